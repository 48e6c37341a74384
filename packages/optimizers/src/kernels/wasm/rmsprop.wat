;; Fused RMSprop (plan.ts RmspropRule) over tensors where they lie in tfjs-backend-wasm's memory,
;; rounded to float32 after every op in the reference path's order (as f32-rules.ts).
;; Preprocessed by scripts/wasm/wat.mjs (;;#lanes, V.*): an f32x4 loop, then a scalar tail.
;;   g = clip ? (g / norm) * maxNorm : g;  if wd: g = g + p*wd;  v = v*alpha + (g*g)*oa
;;   centered: a = a + (g - a)*oa, den = sqrt(v - a*a) + eps;  else den = sqrt(v) + eps
;;   momentum: b = b*mom + g/den, u = b*negLr;  else u = (g/den)*negLr;  p = p + u
(module
  (import "env" "memory" @memory)
  (global $alpha (mut f32) (f32.const 0))
  (global $oa (mut f32) (f32.const 0))
  (global $eps (mut f32) (f32.const 0))
  (global $wd (mut f32) (f32.const 0))
  (global $mom (mut f32) (f32.const 0))
  (global $negLr (mut f32) (f32.const 0))
  (global $norm (mut f32) (f32.const 1))
  (global $maxNorm (mut f32) (f32.const 1))
  ;; bit 0 clip, 1 weight decay, 2 centered, 3 momentum
  (global $flags (mut i32) (i32.const 0))

  ;; The step's hyper-parameters, once per step (float32: the caller passes Math.fround values).
  (func (export "setup") (param $alpha f32) (param $oa f32) (param $eps f32) (param $wd f32) (param $mom f32)
    (param $negLr f32) (param $norm f32) (param $maxNorm f32) (param $flags i32)
    (global.set $alpha (local.get $alpha))
    (global.set $oa (local.get $oa))
    (global.set $eps (local.get $eps))
    (global.set $wd (local.get $wd))
    (global.set $mom (local.get $mom))
    (global.set $negLr (local.get $negLr))
    (global.set $norm (local.get $norm))
    (global.set $maxNorm (local.get $maxNorm))
    (global.set $flags (local.get $flags)))

;;#lanes
  (func $run@ (param $p i32) (param $g i32) (param $sq i32) (param $ga i32) (param $buf i32) (param $end i32)
    (local $alpha V) (local $oa V) (local $eps V) (local $wd V) (local $mom V) (local $negLr V) (local $norm V) (local $maxNorm V)
    (local $clip i32) (local $decay i32) (local $centered i32) (local $momentum i32)
    (local $x V) (local $gv V) (local $vv V) (local $a V) (local $den V) (local $u V)
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return)))
    (local.set $alpha (V.splat (global.get $alpha)))
    (local.set $oa (V.splat (global.get $oa)))
    (local.set $eps (V.splat (global.get $eps)))
    (local.set $wd (V.splat (global.get $wd)))
    (local.set $mom (V.splat (global.get $mom)))
    (local.set $negLr (V.splat (global.get $negLr)))
    (local.set $norm (V.splat (global.get $norm)))
    (local.set $maxNorm (V.splat (global.get $maxNorm)))
    (local.set $clip (i32.and (global.get $flags) (i32.const 1)))
    (local.set $decay (i32.and (global.get $flags) (i32.const 2)))
    (local.set $centered (i32.and (global.get $flags) (i32.const 4)))
    (local.set $momentum (i32.and (global.get $flags) (i32.const 8)))
    (loop $next
      (local.set $x (V.load (local.get $p)))
      (local.set $gv (V.load (local.get $g)))
      (if (local.get $clip) (then (local.set $gv (V.mul (V.div (local.get $gv) (local.get $norm)) (local.get $maxNorm)))))
      (if (local.get $decay) (then (local.set $gv (V.add (local.get $gv) (V.mul (local.get $x) (local.get $wd))))))
      (local.set $vv (V.add (V.mul (V.load (local.get $sq)) (local.get $alpha)) (V.mul (V.mul (local.get $gv) (local.get $gv)) (local.get $oa))))
      (V.store (local.get $sq) (local.get $vv))
      (if (local.get $centered)
        (then
          (local.set $a (V.load (local.get $ga)))
          (local.set $a (V.add (local.get $a) (V.mul (V.sub (local.get $gv) (local.get $a)) (local.get $oa))))
          (V.store (local.get $ga) (local.get $a))
          (local.set $ga (i32.add (local.get $ga) (i32.const V.bytes)))
          (local.set $den (V.add (V.sqrt (V.sub (local.get $vv) (V.mul (local.get $a) (local.get $a)))) (local.get $eps))))
        (else (local.set $den (V.add (V.sqrt (local.get $vv)) (local.get $eps)))))
      (if (local.get $momentum)
        (then
          (local.set $u (V.add (V.mul (V.load (local.get $buf)) (local.get $mom)) (V.div (local.get $gv) (local.get $den))))
          (V.store (local.get $buf) (local.get $u))
          (local.set $buf (i32.add (local.get $buf) (i32.const V.bytes)))
          (local.set $u (V.mul (local.get $u) (local.get $negLr))))
        (else (local.set $u (V.mul (V.div (local.get $gv) (local.get $den)) (local.get $negLr)))))
      (V.store (local.get $p) (V.add (local.get $x) (local.get $u)))
      (local.set $p (i32.add (local.get $p) (i32.const V.bytes)))
      (local.set $g (i32.add (local.get $g) (i32.const V.bytes)))
      (local.set $sq (i32.add (local.get $sq) (i32.const V.bytes)))
      (br_if $next (i32.lt_u (local.get $p) (local.get $end)))))
;;#endlanes

  ;; One parameter: byte offsets of p, g, squareAvg, gradAvg and momentumBuffer (any value for a slot
  ;; the options do not have), n elements.
  (func (export "step") (param $p i32) (param $g i32) (param $sq i32) (param $ga i32) (param $buf i32) (param $n i32)
    (local $split i32)
    (local.set $split (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (call $run_vec (local.get $p) (local.get $g) (local.get $sq) (local.get $ga) (local.get $buf)
      (i32.add (local.get $p) (local.get $split)))
    (call $run_one
      (i32.add (local.get $p) (local.get $split))
      (i32.add (local.get $g) (local.get $split))
      (i32.add (local.get $sq) (local.get $split))
      (i32.add (local.get $ga) (local.get $split))
      (i32.add (local.get $buf) (local.get $split))
      (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))))
