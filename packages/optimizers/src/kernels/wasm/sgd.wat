;; Fused SGD (plan.ts SgdRule) over tensors where they lie in tfjs-backend-wasm's memory, rounded to
;; float32 after every op in the reference path's order (bit-identical to it and to f32-rules.ts).
;; Preprocessed by scripts/wasm/wat.mjs (;;#lanes, V.*): an f32x4 loop, then a scalar tail.
;;   g = clip ? (g / norm) * maxNorm : g;  if wd: g = g + p*wd
;;   momentum: b = first ? g : b*mom + g*keep;  d = nesterov ? g + b*mom : b;  else d = g
;;   p = p + d*negLr
(module
  (import "env" "memory" @memory)
  (global $negLr (mut f32) (f32.const 0))
  (global $wd (mut f32) (f32.const 0))
  (global $mom (mut f32) (f32.const 0))
  (global $keep (mut f32) (f32.const 0))
  (global $norm (mut f32) (f32.const 1))
  (global $maxNorm (mut f32) (f32.const 1))
  ;; bit 0 clip, 1 weight decay, 2 momentum, 3 first step, 4 nesterov
  (global $flags (mut i32) (i32.const 0))

  ;; The step's hyper-parameters, once per step (float32: the caller passes Math.fround values).
  (func (export "setup") (param $negLr f32) (param $wd f32) (param $mom f32) (param $keep f32)
    (param $norm f32) (param $maxNorm f32) (param $flags i32)
    (global.set $negLr (local.get $negLr))
    (global.set $wd (local.get $wd))
    (global.set $mom (local.get $mom))
    (global.set $keep (local.get $keep))
    (global.set $norm (local.get $norm))
    (global.set $maxNorm (local.get $maxNorm))
    (global.set $flags (local.get $flags)))

;;#lanes
  (func $run@ (param $p i32) (param $g i32) (param $b i32) (param $end i32)
    (local $negLr V) (local $wd V) (local $mom V) (local $keep V) (local $norm V) (local $maxNorm V)
    (local $clip i32) (local $decay i32) (local $momentum i32) (local $first i32) (local $nesterov i32)
    (local $x V) (local $gv V) (local $bv V) (local $d V)
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return)))
    (local.set $negLr (V.splat (global.get $negLr)))
    (local.set $wd (V.splat (global.get $wd)))
    (local.set $mom (V.splat (global.get $mom)))
    (local.set $keep (V.splat (global.get $keep)))
    (local.set $norm (V.splat (global.get $norm)))
    (local.set $maxNorm (V.splat (global.get $maxNorm)))
    (local.set $clip (i32.and (global.get $flags) (i32.const 1)))
    (local.set $decay (i32.and (global.get $flags) (i32.const 2)))
    (local.set $momentum (i32.and (global.get $flags) (i32.const 4)))
    (local.set $first (i32.and (global.get $flags) (i32.const 8)))
    (local.set $nesterov (i32.and (global.get $flags) (i32.const 16)))
    (loop $next
      (local.set $x (V.load (local.get $p)))
      (local.set $gv (V.load (local.get $g)))
      (if (local.get $clip) (then (local.set $gv (V.mul (V.div (local.get $gv) (local.get $norm)) (local.get $maxNorm)))))
      (if (local.get $decay) (then (local.set $gv (V.add (local.get $gv) (V.mul (local.get $x) (local.get $wd))))))
      (local.set $d (local.get $gv))
      (if (local.get $momentum)
        (then
          (if (local.get $first)
            (then (local.set $bv (local.get $gv)))
            (else (local.set $bv (V.add (V.mul (V.load (local.get $b)) (local.get $mom)) (V.mul (local.get $gv) (local.get $keep))))))
          (V.store (local.get $b) (local.get $bv))
          (local.set $b (i32.add (local.get $b) (i32.const V.bytes)))
          (local.set $d (local.get $bv))
          (if (local.get $nesterov) (then (local.set $d (V.add (local.get $gv) (V.mul (local.get $bv) (local.get $mom))))))))
      (V.store (local.get $p) (V.add (local.get $x) (V.mul (local.get $d) (local.get $negLr))))
      (local.set $p (i32.add (local.get $p) (i32.const V.bytes)))
      (local.set $g (i32.add (local.get $g) (i32.const V.bytes)))
      (br_if $next (i32.lt_u (local.get $p) (local.get $end)))))
;;#endlanes

  ;; One parameter: byte offsets of p, g and the momentum buffer (any value without momentum), n elements.
  (func (export "step") (param $p i32) (param $g i32) (param $b i32) (param $n i32)
    (local $split i32)
    (local.set $split (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (call $run_vec (local.get $p) (local.get $g) (local.get $b) (i32.add (local.get $p) (local.get $split)))
    (call $run_one
      (i32.add (local.get $p) (local.get $split))
      (i32.add (local.get $g) (local.get $split))
      (i32.add (local.get $b) (local.get $split))
      (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))))
