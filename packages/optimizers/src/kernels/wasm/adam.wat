;; Fused Adam / AdamW (plan.ts AdamRule) over tensors where they lie in tfjs-backend-wasm's memory,
;; rounded to float32 after every op in the reference path's order (as f32-rules.ts).
;; Preprocessed by scripts/wasm/wat.mjs (;;#lanes, V.*): an f32x4 loop, then a scalar tail.
;;   g = clip ? (g / norm) * maxNorm : g;  if l2: g = g + p*wd
;;   m = m*b1 + g*ob1;  v = v*b2 + (g*g)*ob2;  vm = amsgrad ? (vMax = max(vMax, v)) : v
;;   (max as tfjs-backend-wasm's Maximum computes it, vMax < v ? v : vMax: a NaN v keeps vMax, as the
;;   reference path does on this backend; cpu's Math.max would give NaN)
;;   s = (m / (sqrt(vm)*ibc2 + eps)) * negStep;  if decoupled: s = s - p*lrWd;  p = p + s
;;   (ibc2 = 1/bc2Sqrt, set once per step: one division fewer per element than sqrt(vm)/bc2Sqrt)
(module
  (import "env" "memory" @memory)
  (global $b1 (mut f32) (f32.const 0))
  (global $b2 (mut f32) (f32.const 0))
  (global $ob1 (mut f32) (f32.const 0))
  (global $ob2 (mut f32) (f32.const 0))
  (global $eps (mut f32) (f32.const 0))
  (global $ibc2 (mut f32) (f32.const 1))
  (global $negStep (mut f32) (f32.const 0))
  (global $wd (mut f32) (f32.const 0))
  (global $lrWd (mut f32) (f32.const 0))
  (global $norm (mut f32) (f32.const 1))
  (global $maxNorm (mut f32) (f32.const 1))
  ;; bit 0 clip, 1 L2 weight decay (added to g), 2 decoupled weight decay, 3 amsgrad
  (global $flags (mut i32) (i32.const 0))

  ;; The step's hyper-parameters, once per step (float32: the caller passes Math.fround values).
  (func (export "setup") (param $b1 f32) (param $b2 f32) (param $ob1 f32) (param $ob2 f32) (param $eps f32)
    (param $ibc2 f32) (param $negStep f32) (param $wd f32) (param $lrWd f32) (param $norm f32) (param $maxNorm f32) (param $flags i32)
    (global.set $b1 (local.get $b1))
    (global.set $b2 (local.get $b2))
    (global.set $ob1 (local.get $ob1))
    (global.set $ob2 (local.get $ob2))
    (global.set $eps (local.get $eps))
    (global.set $ibc2 (local.get $ibc2))
    (global.set $negStep (local.get $negStep))
    (global.set $wd (local.get $wd))
    (global.set $lrWd (local.get $lrWd))
    (global.set $norm (local.get $norm))
    (global.set $maxNorm (local.get $maxNorm))
    (global.set $flags (local.get $flags)))

;;#lanes
  (func $run@ (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $vmax i32) (param $end i32)
    (local $b1 V) (local $b2 V) (local $ob1 V) (local $ob2 V) (local $eps V) (local $ibc2 V) (local $negStep V)
    (local $wd V) (local $lrWd V) (local $norm V) (local $maxNorm V)
    (local $clip i32) (local $l2 i32) (local $decoupled i32) (local $amsgrad i32)
    (local $x V) (local $gv V) (local $mv V) (local $vv V) (local $s V)
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return)))
    (local.set $b1 (V.splat (global.get $b1)))
    (local.set $b2 (V.splat (global.get $b2)))
    (local.set $ob1 (V.splat (global.get $ob1)))
    (local.set $ob2 (V.splat (global.get $ob2)))
    (local.set $eps (V.splat (global.get $eps)))
    (local.set $ibc2 (V.splat (global.get $ibc2)))
    (local.set $negStep (V.splat (global.get $negStep)))
    (local.set $wd (V.splat (global.get $wd)))
    (local.set $lrWd (V.splat (global.get $lrWd)))
    (local.set $norm (V.splat (global.get $norm)))
    (local.set $maxNorm (V.splat (global.get $maxNorm)))
    (local.set $clip (i32.and (global.get $flags) (i32.const 1)))
    (local.set $l2 (i32.and (global.get $flags) (i32.const 2)))
    (local.set $decoupled (i32.and (global.get $flags) (i32.const 4)))
    (local.set $amsgrad (i32.and (global.get $flags) (i32.const 8)))
    (loop $next
      (local.set $x (V.load (local.get $p)))
      (local.set $gv (V.load (local.get $g)))
      (if (local.get $clip) (then (local.set $gv (V.mul (V.div (local.get $gv) (local.get $norm)) (local.get $maxNorm)))))
      (if (local.get $l2) (then (local.set $gv (V.add (local.get $gv) (V.mul (local.get $x) (local.get $wd))))))
      (local.set $mv (V.add (V.mul (V.load (local.get $m)) (local.get $b1)) (V.mul (local.get $gv) (local.get $ob1))))
      (local.set $vv (V.add (V.mul (V.load (local.get $v)) (local.get $b2)) (V.mul (V.mul (local.get $gv) (local.get $gv)) (local.get $ob2))))
      (V.store (local.get $m) (local.get $mv))
      (V.store (local.get $v) (local.get $vv))
      (if (local.get $amsgrad)
        (then
          (local.set $s (V.load (local.get $vmax)))
          (local.set $vv (V.select (local.get $vv) (local.get $s) (V.lt (local.get $s) (local.get $vv))))
          (V.store (local.get $vmax) (local.get $vv))
          (local.set $vmax (i32.add (local.get $vmax) (i32.const V.bytes)))))
      (local.set $s
        (V.mul (V.div (local.get $mv) (V.add (V.mul (V.sqrt (local.get $vv)) (local.get $ibc2)) (local.get $eps))) (local.get $negStep)))
      (if (local.get $decoupled) (then (local.set $s (V.sub (local.get $s) (V.mul (local.get $x) (local.get $lrWd))))))
      (V.store (local.get $p) (V.add (local.get $x) (local.get $s)))
      (local.set $p (i32.add (local.get $p) (i32.const V.bytes)))
      (local.set $g (i32.add (local.get $g) (i32.const V.bytes)))
      (local.set $m (i32.add (local.get $m) (i32.const V.bytes)))
      (local.set $v (i32.add (local.get $v) (i32.const V.bytes)))
      (br_if $next (i32.lt_u (local.get $p) (local.get $end)))))
;;#endlanes

  ;; One parameter: byte offsets of p, g, m, v and vMax (any value without amsgrad), n elements.
  (func (export "step") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $vmax i32) (param $n i32)
    (local $split i32)
    (local.set $split (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (call $run_vec (local.get $p) (local.get $g) (local.get $m) (local.get $v) (local.get $vmax)
      (i32.add (local.get $p) (local.get $split)))
    (call $run_one
      (i32.add (local.get $p) (local.get $split))
      (i32.add (local.get $g) (local.get $split))
      (i32.add (local.get $m) (local.get $split))
      (i32.add (local.get $v) (local.get $split))
      (i32.add (local.get $vmax) (local.get $split))
      (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))))
