;; The statistics of one tensor where it lies in tfjs-backend-wasm's memory, in one f32x4 pass (then a
;; scalar tail; scalar only where the engine has no SIMD), as stats-loop.ts defines them:
;;   full(x, n):  Σx² and Σx in float64 (NaN and ±Infinity propagate), the largest and smallest finite
;;                element (+∞/−∞ when none), the exact counts of zeros and of non-finite elements
;;   saturation(x, n, low, high):  exact counts of x < low or x > high (sigmoid), and of x > high or
;;                x < −high (tanh)
;; Results are read back with the getters. Built by scripts/wasm/wat.mjs (;;#if simd).
(module
  (import "env" "memory" @memory)
  (global $sumSq (mut f64) (f64.const 0))
  (global $sum (mut f64) (f64.const 0))
  (global $max (mut f32) (f32.const 0))
  (global $min (mut f32) (f32.const 0))
  (global $zeros (mut i32) (i32.const 0))
  (global $nonFinite (mut i32) (i32.const 0))
  (global $sigmoid (mut i32) (i32.const 0))
  (global $tanh (mut i32) (i32.const 0))

  (func (export "sumSq") (result f64) (global.get $sumSq))
  (func (export "sum") (result f64) (global.get $sum))
  (func (export "max") (result f32) (global.get $max))
  (func (export "min") (result f32) (global.get $min))
  (func (export "zeros") (result i32) (global.get $zeros))
  (func (export "nonFinite") (result i32) (global.get $nonFinite))
  (func (export "sigmoidSaturated") (result i32) (global.get $sigmoid))
  (func (export "tanhSaturated") (result i32) (global.get $tanh))

  ;; Σx² alone (the 'norm' profile): float64, NaN and ±Infinity propagate.
  (func (export "norm") (param $x i32) (param $n i32)
    (local $end i32) (local $v f64) (local $sq f64)
;;#if simd
    (local $lo v128) (local $hi v128) (local $a v128) (local $b v128) (local $vend i32)
    (local.set $vend (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $vend))
      (then
        (loop $vec
          (local.set $a (v128.load (local.get $x)))
          (local.set $b (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a))))
          (local.set $a (f64x2.promote_low_f32x4 (local.get $a)))
          (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (local.get $a) (local.get $a))))
          (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (local.get $b) (local.get $b))))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (br_if $vec (i32.lt_u (local.get $x) (local.get $vend))))
        (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
        (local.set $sq (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
        (local.set $n (i32.and (local.get $n) (i32.const 3)))))
;;#endif
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then
        (loop $one
          (local.set $v (f64.promote_f32 (f32.load (local.get $x))))
          (local.set $sq (f64.add (local.get $sq) (f64.mul (local.get $v) (local.get $v))))
          (local.set $x (i32.add (local.get $x) (i32.const 4)))
          (br_if $one (i32.lt_u (local.get $x) (local.get $end))))))
    (global.set $sumSq (local.get $sq)))

  ;; Every statistic of the 'full' profile, and the first pass of the 'activation' profile.
  (func (export "full") (param $x i32) (param $n i32)
    (local $end i32) (local $f f32) (local $d f32) (local $v f64) (local $sq f64) (local $s f64)
    (local $max f32) (local $min f32) (local $zeros i32) (local $bad i32)
;;#if simd
    (local $xv v128) (local $dv v128) (local $fin v128) (local $a v128) (local $b v128)
    (local $sqA v128) (local $sqB v128) (local $sA v128) (local $sB v128)
    (local $maxv v128) (local $minv v128) (local $zerov v128) (local $badv v128) (local $vend i32)
;;#endif
    (local.set $max (f32.const -inf))
    (local.set $min (f32.const inf))
;;#if simd
    (local.set $maxv (f32x4.splat (f32.const -inf)))
    (local.set $minv (f32x4.splat (f32.const inf)))
    (local.set $vend (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $vend))
      (then
        (loop $vec
          (local.set $xv (v128.load (local.get $x)))
          (local.set $dv (f32x4.sub (local.get $xv) (local.get $xv)))
          (local.set $fin (f32x4.eq (local.get $dv) (local.get $dv)))
          (local.set $zerov (i32x4.sub (local.get $zerov) (f32x4.eq (local.get $xv) (f32x4.splat (f32.const 0)))))
          (local.set $badv (i32x4.sub (local.get $badv) (v128.not (local.get $fin))))
          (local.set $maxv (f32x4.max (local.get $maxv) (v128.bitselect (local.get $xv) (f32x4.splat (f32.const -inf)) (local.get $fin))))
          (local.set $minv (f32x4.min (local.get $minv) (v128.bitselect (local.get $xv) (f32x4.splat (f32.const inf)) (local.get $fin))))
          (local.set $b (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xv) (local.get $xv))))
          (local.set $a (f64x2.promote_low_f32x4 (local.get $xv)))
          (local.set $sA (f64x2.add (local.get $sA) (local.get $a)))
          (local.set $sB (f64x2.add (local.get $sB) (local.get $b)))
          (local.set $sqA (f64x2.add (local.get $sqA) (f64x2.mul (local.get $a) (local.get $a))))
          (local.set $sqB (f64x2.add (local.get $sqB) (f64x2.mul (local.get $b) (local.get $b))))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (br_if $vec (i32.lt_u (local.get $x) (local.get $vend))))
        (local.set $sA (f64x2.add (local.get $sA) (local.get $sB)))
        (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $sA)) (f64x2.extract_lane 1 (local.get $sA))))
        (local.set $sqA (f64x2.add (local.get $sqA) (local.get $sqB)))
        (local.set $sq (f64.add (f64x2.extract_lane 0 (local.get $sqA)) (f64x2.extract_lane 1 (local.get $sqA))))
        (local.set $zeros (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $zerov)) (i32x4.extract_lane 1 (local.get $zerov)))
          (i32.add (i32x4.extract_lane 2 (local.get $zerov)) (i32x4.extract_lane 3 (local.get $zerov)))))
        (local.set $bad (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $badv)) (i32x4.extract_lane 1 (local.get $badv)))
          (i32.add (i32x4.extract_lane 2 (local.get $badv)) (i32x4.extract_lane 3 (local.get $badv)))))
        (local.set $max (f32.max
          (f32.max (f32x4.extract_lane 0 (local.get $maxv)) (f32x4.extract_lane 1 (local.get $maxv)))
          (f32.max (f32x4.extract_lane 2 (local.get $maxv)) (f32x4.extract_lane 3 (local.get $maxv)))))
        (local.set $min (f32.min
          (f32.min (f32x4.extract_lane 0 (local.get $minv)) (f32x4.extract_lane 1 (local.get $minv)))
          (f32.min (f32x4.extract_lane 2 (local.get $minv)) (f32x4.extract_lane 3 (local.get $minv)))))
        (local.set $n (i32.and (local.get $n) (i32.const 3)))))
;;#endif
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then
        (loop $one
          (local.set $f (f32.load (local.get $x)))
          (local.set $v (f64.promote_f32 (local.get $f)))
          (local.set $s (f64.add (local.get $s) (local.get $v)))
          (local.set $sq (f64.add (local.get $sq) (f64.mul (local.get $v) (local.get $v))))
          (local.set $d (f32.sub (local.get $f) (local.get $f)))
          (if (f32.eq (local.get $d) (local.get $d))
            (then
              (local.set $max (f32.max (local.get $max) (local.get $f)))
              (local.set $min (f32.min (local.get $min) (local.get $f)))
              (local.set $zeros (i32.add (local.get $zeros) (f32.eq (local.get $f) (f32.const 0)))))
            (else (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
          (local.set $x (i32.add (local.get $x) (i32.const 4)))
          (br_if $one (i32.lt_u (local.get $x) (local.get $end))))))
    (global.set $sum (local.get $s))
    (global.set $sumSq (local.get $sq))
    (global.set $max (local.get $max))
    (global.set $min (local.get $min))
    (global.set $zeros (local.get $zeros))
    (global.set $nonFinite (local.get $bad)))

  ;; The saturation counts of the 'activation' profile (NaN counts as neither).
  (func (export "saturation") (param $x i32) (param $n i32) (param $low f32) (param $high f32)
    (local $end i32) (local $f f32) (local $sig i32) (local $tanh i32) (local $negHigh f32)
;;#if simd
    (local $xv v128) (local $lowv v128) (local $highv v128) (local $negHighv v128) (local $over v128)
    (local $sigv v128) (local $tanhv v128) (local $vend i32)
;;#endif
    (local.set $negHigh (f32.neg (local.get $high)))
;;#if simd
    (local.set $lowv (f32x4.splat (local.get $low)))
    (local.set $highv (f32x4.splat (local.get $high)))
    (local.set $negHighv (f32x4.splat (local.get $negHigh)))
    (local.set $vend (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $vend))
      (then
        (loop $vec
          (local.set $xv (v128.load (local.get $x)))
          (local.set $over (f32x4.gt (local.get $xv) (local.get $highv)))
          (local.set $sigv (i32x4.sub (local.get $sigv) (v128.or (local.get $over) (f32x4.lt (local.get $xv) (local.get $lowv)))))
          (local.set $tanhv (i32x4.sub (local.get $tanhv) (v128.or (local.get $over) (f32x4.lt (local.get $xv) (local.get $negHighv)))))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (br_if $vec (i32.lt_u (local.get $x) (local.get $vend))))
        (local.set $sig (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $sigv)) (i32x4.extract_lane 1 (local.get $sigv)))
          (i32.add (i32x4.extract_lane 2 (local.get $sigv)) (i32x4.extract_lane 3 (local.get $sigv)))))
        (local.set $tanh (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $tanhv)) (i32x4.extract_lane 1 (local.get $tanhv)))
          (i32.add (i32x4.extract_lane 2 (local.get $tanhv)) (i32x4.extract_lane 3 (local.get $tanhv)))))
        (local.set $n (i32.and (local.get $n) (i32.const 3)))))
;;#endif
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then
        (loop $one
          (local.set $f (f32.load (local.get $x)))
          (local.set $sig (i32.add (local.get $sig)
            (i32.or (f32.lt (local.get $f) (local.get $low)) (f32.gt (local.get $f) (local.get $high)))))
          (local.set $tanh (i32.add (local.get $tanh)
            (i32.or (f32.gt (local.get $f) (local.get $high)) (f32.lt (local.get $f) (local.get $negHigh)))))
          (local.set $x (i32.add (local.get $x) (i32.const 4)))
          (br_if $one (i32.lt_u (local.get $x) (local.get $end))))))
    (global.set $sigmoid (local.get $sig))
    (global.set $tanh (local.get $tanh))))
