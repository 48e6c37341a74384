;; Fused ADOPT (plan.ts AdoptRule) over tensors where they lie in tfjs-backend-wasm's memory, rounded to
;; float32 after every op in the reference path's order (as f32-rules.ts).
;; Preprocessed by scripts/wasm/wat.mjs (;;#lanes, V.*): an f32x4 loop, then a scalar tail.
;;   g = clip ? (g / norm) * maxNorm : g;  old = v;  v = old*b2 + (g*g)*ob2
;;   u = g / max(sqrt(old), eps);  if limit: u = clip(u, -c, c) as tfjs clipByValue: 0 when c = 0 (tfjs fills),
;;   a NaN u becomes -c (tfjs-wasm's XNNPACK clamp: pmax then pmin), or stays NaN with flag 16 (tfjs-cpu)
;;   m = m*b1 + u*ob1;  d = nesterov ? m*b1 + u*ob1 : m;  if wd: d = d + p*wd;  p = p + d*negLr
(module
  (import "env" "memory" @memory)
  (global $b1 (mut f32) (f32.const 0))
  (global $b2 (mut f32) (f32.const 0))
  (global $ob1 (mut f32) (f32.const 0))
  (global $ob2 (mut f32) (f32.const 0))
  (global $eps (mut f32) (f32.const 0))
  (global $limit (mut f32) (f32.const 0))
  (global $negLr (mut f32) (f32.const 0))
  (global $wd (mut f32) (f32.const 0))
  (global $norm (mut f32) (f32.const 1))
  (global $maxNorm (mut f32) (f32.const 1))
  ;; bit 0 clip (global norm), 1 weight decay, 2 value clipping at ±limit, 3 nesterov, 4 a NaN stays NaN through the clip
  (global $flags (mut i32) (i32.const 0))

  ;; The step's hyper-parameters, once per step (float32: the caller passes Math.fround values).
  (func (export "setup") (param $b1 f32) (param $b2 f32) (param $ob1 f32) (param $ob2 f32) (param $eps f32)
    (param $limit f32) (param $negLr f32) (param $wd f32) (param $norm f32) (param $maxNorm f32) (param $flags i32)
    (global.set $b1 (local.get $b1))
    (global.set $b2 (local.get $b2))
    (global.set $ob1 (local.get $ob1))
    (global.set $ob2 (local.get $ob2))
    (global.set $eps (local.get $eps))
    (global.set $limit (local.get $limit))
    (global.set $negLr (local.get $negLr))
    (global.set $wd (local.get $wd))
    (global.set $norm (local.get $norm))
    (global.set $maxNorm (local.get $maxNorm))
    (global.set $flags (local.get $flags)))

;;#lanes
  (func $run@ (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $end i32)
    (local $b1 V) (local $b2 V) (local $ob1 V) (local $ob2 V) (local $eps V) (local $limit V) (local $negLimit V)
    (local $negLr V) (local $wd V) (local $norm V) (local $maxNorm V)
    (local $clip i32) (local $decay i32) (local $bound i32) (local $nesterov i32) (local $nanWins i32) (local $zeroLimit i32) (local $zero V)
    (local $x V) (local $gv V) (local $old V) (local $u V) (local $mv V)
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return)))
    (local.set $b1 (V.splat (global.get $b1)))
    (local.set $b2 (V.splat (global.get $b2)))
    (local.set $ob1 (V.splat (global.get $ob1)))
    (local.set $ob2 (V.splat (global.get $ob2)))
    (local.set $eps (V.splat (global.get $eps)))
    (local.set $limit (V.splat (global.get $limit)))
    (local.set $negLimit (V.splat (f32.neg (global.get $limit))))
    (local.set $negLr (V.splat (global.get $negLr)))
    (local.set $wd (V.splat (global.get $wd)))
    (local.set $norm (V.splat (global.get $norm)))
    (local.set $maxNorm (V.splat (global.get $maxNorm)))
    (local.set $clip (i32.and (global.get $flags) (i32.const 1)))
    (local.set $decay (i32.and (global.get $flags) (i32.const 2)))
    (local.set $bound (i32.and (global.get $flags) (i32.const 4)))
    (local.set $nesterov (i32.and (global.get $flags) (i32.const 8)))
    (local.set $nanWins (i32.and (global.get $flags) (i32.const 16)))
    (local.set $zeroLimit (f32.eq (global.get $limit) (f32.const 0)))
    (local.set $zero (V.splat (f32.const 0)))
    (loop $next
      (local.set $x (V.load (local.get $p)))
      (local.set $gv (V.load (local.get $g)))
      (if (local.get $clip) (then (local.set $gv (V.mul (V.div (local.get $gv) (local.get $norm)) (local.get $maxNorm)))))
      (local.set $old (V.load (local.get $v)))
      (V.store (local.get $v) (V.add (V.mul (local.get $old) (local.get $b2)) (V.mul (V.mul (local.get $gv) (local.get $gv)) (local.get $ob2))))
      (local.set $u (V.div (local.get $gv) (V.max (V.sqrt (local.get $old)) (local.get $eps))))
      (if (local.get $bound)
        (then
          (if (local.get $zeroLimit)
            (then (local.set $u (local.get $zero)))
            (else
              (if (local.get $nanWins)
                (then (local.set $u (V.min (V.max (local.get $u) (local.get $negLimit)) (local.get $limit))))
                (else
                  (local.set $u (V.select (local.get $u) (local.get $negLimit) (V.lt (local.get $negLimit) (local.get $u))))
                  (local.set $u (V.select (local.get $u) (local.get $limit) (V.lt (local.get $u) (local.get $limit))))))))))
      (local.set $mv (V.add (V.mul (V.load (local.get $m)) (local.get $b1)) (V.mul (local.get $u) (local.get $ob1))))
      (V.store (local.get $m) (local.get $mv))
      (if (local.get $nesterov) (then (local.set $mv (V.add (V.mul (local.get $mv) (local.get $b1)) (V.mul (local.get $u) (local.get $ob1))))))
      (if (local.get $decay) (then (local.set $mv (V.add (local.get $mv) (V.mul (local.get $x) (local.get $wd))))))
      (V.store (local.get $p) (V.add (local.get $x) (V.mul (local.get $mv) (local.get $negLr))))
      (local.set $p (i32.add (local.get $p) (i32.const V.bytes)))
      (local.set $g (i32.add (local.get $g) (i32.const V.bytes)))
      (local.set $m (i32.add (local.get $m) (i32.const V.bytes)))
      (local.set $v (i32.add (local.get $v) (i32.const V.bytes)))
      (br_if $next (i32.lt_u (local.get $p) (local.get $end)))))
;;#endlanes

  ;; One parameter: byte offsets of p, g, m and v, n elements.
  (func (export "step") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (local $split i32)
    (local.set $split (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (call $run_vec (local.get $p) (local.get $g) (local.get $m) (local.get $v) (i32.add (local.get $p) (local.get $split)))
    (call $run_one
      (i32.add (local.get $p) (local.get $split))
      (i32.add (local.get $g) (local.get $split))
      (i32.add (local.get $m) (local.get $split))
      (i32.add (local.get $v) (local.get $split))
      (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))))
