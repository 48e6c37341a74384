;; Fused Lion (plan.ts LionRule) over tensors where they lie in tfjs-backend-wasm's memory, rounded to
;; float32 after every op in the reference path's order (as f32-rules.ts).
;; Preprocessed by scripts/wasm/wat.mjs (;;#lanes, V.*): an f32x4 loop, then a scalar tail.
;;   g = clip ? (g / norm) * maxNorm : g;  c = m*b1 + g*ob1;  d = sign(c) (0 for 0 and NaN)
;;   if wd: d = d + p*wd;  m = m*b2 + g*ob2;  p = p + d*negLr
(module
  (import "env" "memory" @memory)
  (global $b1 (mut f32) (f32.const 0))
  (global $b2 (mut f32) (f32.const 0))
  (global $ob1 (mut f32) (f32.const 0))
  (global $ob2 (mut f32) (f32.const 0))
  (global $wd (mut f32) (f32.const 0))
  (global $negLr (mut f32) (f32.const 0))
  (global $norm (mut f32) (f32.const 1))
  (global $maxNorm (mut f32) (f32.const 1))
  ;; bit 0 clip, 1 weight decay
  (global $flags (mut i32) (i32.const 0))

  ;; The step's hyper-parameters, once per step (float32: the caller passes Math.fround values).
  (func (export "setup") (param $b1 f32) (param $b2 f32) (param $ob1 f32) (param $ob2 f32) (param $wd f32)
    (param $negLr f32) (param $norm f32) (param $maxNorm f32) (param $flags i32)
    (global.set $b1 (local.get $b1))
    (global.set $b2 (local.get $b2))
    (global.set $ob1 (local.get $ob1))
    (global.set $ob2 (local.get $ob2))
    (global.set $wd (local.get $wd))
    (global.set $negLr (local.get $negLr))
    (global.set $norm (local.get $norm))
    (global.set $maxNorm (local.get $maxNorm))
    (global.set $flags (local.get $flags)))

;;#lanes
  (func $run@ (param $p i32) (param $g i32) (param $m i32) (param $end i32)
    (local $b1 V) (local $b2 V) (local $ob1 V) (local $ob2 V) (local $wd V) (local $negLr V) (local $norm V) (local $maxNorm V)
    (local $zero V) (local $one V) (local $minusOne V)
    (local $clip i32) (local $decay i32)
    (local $x V) (local $gv V) (local $mv V) (local $c V) (local $d V)
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return)))
    (local.set $b1 (V.splat (global.get $b1)))
    (local.set $b2 (V.splat (global.get $b2)))
    (local.set $ob1 (V.splat (global.get $ob1)))
    (local.set $ob2 (V.splat (global.get $ob2)))
    (local.set $wd (V.splat (global.get $wd)))
    (local.set $negLr (V.splat (global.get $negLr)))
    (local.set $norm (V.splat (global.get $norm)))
    (local.set $maxNorm (V.splat (global.get $maxNorm)))
    (local.set $zero (V.splat (f32.const 0)))
    (local.set $one (V.splat (f32.const 1)))
    (local.set $minusOne (V.splat (f32.const -1)))
    (local.set $clip (i32.and (global.get $flags) (i32.const 1)))
    (local.set $decay (i32.and (global.get $flags) (i32.const 2)))
    (loop $next
      (local.set $x (V.load (local.get $p)))
      (local.set $gv (V.load (local.get $g)))
      (local.set $mv (V.load (local.get $m)))
      (if (local.get $clip) (then (local.set $gv (V.mul (V.div (local.get $gv) (local.get $norm)) (local.get $maxNorm)))))
      (local.set $c (V.add (V.mul (local.get $mv) (local.get $b1)) (V.mul (local.get $gv) (local.get $ob1))))
      (local.set $d
        (V.select (local.get $one)
          (V.select (local.get $minusOne) (local.get $zero) (V.lt (local.get $c) (local.get $zero)))
          (V.gt (local.get $c) (local.get $zero))))
      (if (local.get $decay) (then (local.set $d (V.add (local.get $d) (V.mul (local.get $x) (local.get $wd))))))
      (V.store (local.get $m) (V.add (V.mul (local.get $mv) (local.get $b2)) (V.mul (local.get $gv) (local.get $ob2))))
      (V.store (local.get $p) (V.add (local.get $x) (V.mul (local.get $d) (local.get $negLr))))
      (local.set $p (i32.add (local.get $p) (i32.const V.bytes)))
      (local.set $g (i32.add (local.get $g) (i32.const V.bytes)))
      (local.set $m (i32.add (local.get $m) (i32.const V.bytes)))
      (br_if $next (i32.lt_u (local.get $p) (local.get $end)))))
;;#endlanes

  ;; One parameter: byte offsets of p, g and m, n elements.
  (func (export "step") (param $p i32) (param $g i32) (param $m i32) (param $n i32)
    (local $split i32)
    (local.set $split (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (call $run_vec (local.get $p) (local.get $g) (local.get $m) (i32.add (local.get $p) (local.get $split)))
    (call $run_one
      (i32.add (local.get $p) (local.get $split))
      (i32.add (local.get $g) (local.get $split))
      (i32.add (local.get $m) (local.get $split))
      (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))))
