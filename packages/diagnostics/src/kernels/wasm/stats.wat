;; The statistics of one tensor where it lies in tfjs-backend-wasm's memory (or of a chunk of one
;; copied into a memory of our own, on the cpu backend), in one f32x4 pass (then a scalar tail; scalar
;; only where the engine has no SIMD), as stats-loop.ts defines them:
;;   norm(x, n):  Σx² in float64 (NaN and ±Infinity propagate)
;;   full(x, n):  Σx² and Σx in float64, the largest and smallest finite element (+∞/−∞ when none),
;;                the exact counts of zeros and of non-finite elements
;;   saturation(x, n, low, high):  exact counts of x < low or x > high (sigmoid), and of x > high or
;;                x < −high (tanh)
;; Every pass adds to the totals (sums and counts added, max and min combined) that reset() zeroes, so
;; that a tensor can be passed chunk by chunk; the totals are read back with the getters. Built by
;; scripts/wasm/wat.mjs (;;#if simd).
(module
  (import "env" "memory" @memory)
  (global $sumSq (mut f64) (f64.const 0))
  (global $sum (mut f64) (f64.const 0))
  (global $max (mut f32) (f32.const -inf))
  (global $min (mut f32) (f32.const inf))
  (global $zeros (mut i32) (i32.const 0))
  (global $nonFinite (mut i32) (i32.const 0))
  (global $sigmoid (mut i32) (i32.const 0))
  (global $tanh (mut i32) (i32.const 0))

  ;; Zeroes the totals: before the first pass over a tensor.
  (func (export "reset")
    (global.set $sumSq (f64.const 0))
    (global.set $sum (f64.const 0))
    (global.set $max (f32.const -inf))
    (global.set $min (f32.const inf))
    (global.set $zeros (i32.const 0))
    (global.set $nonFinite (i32.const 0))
    (global.set $sigmoid (i32.const 0))
    (global.set $tanh (i32.const 0)))

  (func (export "sumSq") (result f64) (global.get $sumSq))
  (func (export "sum") (result f64) (global.get $sum))
  (func (export "max") (result f32) (global.get $max))
  (func (export "min") (result f32) (global.get $min))
  (func (export "zeros") (result i32) (global.get $zeros))
  (func (export "nonFinite") (result i32) (global.get $nonFinite))
  (func (export "sigmoidSaturated") (result i32) (global.get $sigmoid))
  (func (export "tanhSaturated") (result i32) (global.get $tanh))

  ;; Σx² alone (the 'norm' profile): float64, NaN and ±Infinity propagate. 8 elements an iteration, the
  ;; squares of each half added before they join one of two accumulators (the adds' latency bounds it).
  (func (export "norm") (param $x i32) (param $n i32)
    (local $end i32) (local $v f64) (local $sq f64)
;;#if simd
    (local $lo v128) (local $hi v128) (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $vend i32)
    (local.set $vend (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $vend))
      (then
        (loop $vec
          (local.set $a (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $x))))
          (local.set $b (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $x))))
          (local.set $c (f64x2.promote_low_f32x4 (v128.load64_zero offset=16 (local.get $x))))
          (local.set $d (f64x2.promote_low_f32x4 (v128.load64_zero offset=24 (local.get $x))))
          (local.set $lo (f64x2.add (local.get $lo) (f64x2.add (f64x2.mul (local.get $a) (local.get $a)) (f64x2.mul (local.get $b) (local.get $b)))))
          (local.set $hi (f64x2.add (local.get $hi) (f64x2.add (f64x2.mul (local.get $c) (local.get $c)) (f64x2.mul (local.get $d) (local.get $d)))))
          (local.set $x (i32.add (local.get $x) (i32.const 32)))
          (br_if $vec (i32.lt_u (local.get $x) (local.get $vend))))
        (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
        (local.set $sq (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
        (local.set $n (i32.and (local.get $n) (i32.const 7)))))
;;#endif
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then
        (loop $one
          (local.set $v (f64.promote_f32 (f32.load (local.get $x))))
          (local.set $sq (f64.add (local.get $sq) (f64.mul (local.get $v) (local.get $v))))
          (local.set $x (i32.add (local.get $x) (i32.const 4)))
          (br_if $one (i32.lt_u (local.get $x) (local.get $end))))))
    (global.set $sumSq (f64.add (global.get $sumSq) (local.get $sq))))

  ;; Every statistic of the 'full' profile, and the first pass of the 'activation' profile: one pass
  ;; that takes max and min over every element (pmax/pmin: one instruction each, where f32x4.max/min
  ;; cost several), which are the finite ones unless Σx comes out non-finite (NaN or ±∞ among them; a
  ;; float64 sum of finite float32 values cannot overflow): then the exact pass runs over them again.
  (func (export "full") (param $x i32) (param $n i32)
    (local $x0 i32) (local $n0 i32) (local $end i32) (local $f f32) (local $v f64) (local $sq f64) (local $s f64)
    (local $max f32) (local $min f32) (local $zeros i32)
;;#if simd
    (local $xv v128) (local $a v128) (local $b v128)
    (local $sqA v128) (local $sqB v128) (local $sA v128) (local $sB v128)
    (local $maxv v128) (local $minv v128) (local $zerov v128) (local $vend i32)
;;#endif
    (local.set $x0 (local.get $x))
    (local.set $n0 (local.get $n))
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
          (local.set $zerov (i32x4.sub (local.get $zerov) (f32x4.eq (local.get $xv) (f32x4.splat (f32.const 0)))))
          (local.set $maxv (f32x4.pmax (local.get $maxv) (local.get $xv)))
          (local.set $minv (f32x4.pmin (local.get $minv) (local.get $xv)))
          (local.set $b (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $x))))
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
          (local.set $zeros (i32.add (local.get $zeros) (f32.eq (local.get $f) (f32.const 0))))
          (local.set $max (select (local.get $f) (local.get $max) (f32.gt (local.get $f) (local.get $max))))
          (local.set $min (select (local.get $f) (local.get $min) (f32.lt (local.get $f) (local.get $min))))
          (local.set $x (i32.add (local.get $x) (i32.const 4)))
          (br_if $one (i32.lt_u (local.get $x) (local.get $end))))))
    (if (f64.ne (f64.sub (local.get $s) (local.get $s)) (f64.const 0))
      (then (call $exact (local.get $x0) (local.get $n0)) (return)))
    (call $add (local.get $s) (local.get $sq) (local.get $max) (local.get $min) (local.get $zeros) (i32.const 0)))

  ;; `full`'s exact pass, for a run with non-finite elements: max and min over the finite ones only.
  (func $exact (param $x i32) (param $n i32)
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
          (local.set $b (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $x))))
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
    (call $add (local.get $s) (local.get $sq) (local.get $max) (local.get $min) (local.get $zeros) (local.get $bad)))

  ;; Adds one run's statistics to the totals.
  (func $add (param $s f64) (param $sq f64) (param $max f32) (param $min f32) (param $zeros i32) (param $bad i32)
    (global.set $sum (f64.add (global.get $sum) (local.get $s)))
    (global.set $sumSq (f64.add (global.get $sumSq) (local.get $sq)))
    (global.set $max (f32.max (global.get $max) (local.get $max)))
    (global.set $min (f32.min (global.get $min) (local.get $min)))
    (global.set $zeros (i32.add (global.get $zeros) (local.get $zeros)))
    (global.set $nonFinite (i32.add (global.get $nonFinite) (local.get $bad))))

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
    (global.set $sigmoid (i32.add (global.get $sigmoid) (local.get $sig)))
    (global.set $tanh (i32.add (global.get $tanh) (local.get $tanh))))

  ;; The active units of the 'activation' profile: `units` int32 flags at byte offset $flags (scratch the
  ;; caller provides), cleared by clearFlags, set by active for every unit that is > 0 in one of `rows`
  ;; whole rows at $x (NaN is not > 0), and counted by countFlags.
  (func (export "clearFlags") (param $flags i32) (param $units i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $flags) (i32.shl (local.get $units) (i32.const 2))))
    (if (i32.lt_u (local.get $flags) (local.get $end))
      (then
        (loop $zero
          (i32.store (local.get $flags) (i32.const 0))
          (local.set $flags (i32.add (local.get $flags) (i32.const 4)))
          (br_if $zero (i32.lt_u (local.get $flags) (local.get $end)))))))

  (func (export "active") (param $x i32) (param $rows i32) (param $units i32) (param $flags i32)
    (local $f i32) (local $fend i32) (local $row i32)
;;#if simd
    (local $fvend i32)
    (local.set $fvend (i32.add (local.get $flags) (i32.shl (i32.and (local.get $units) (i32.const -4)) (i32.const 2))))
;;#endif
    (local.set $fend (i32.add (local.get $flags) (i32.shl (local.get $units) (i32.const 2))))
    (if (i32.eqz (local.get $units)) (then (return)))
    (loop $rows
      (if (i32.ge_u (local.get $row) (local.get $rows)) (then (return)))
      (local.set $f (local.get $flags))
;;#if simd
      (if (i32.lt_u (local.get $f) (local.get $fvend))
        (then
          (loop $vec
            (v128.store (local.get $f) (v128.or (v128.load (local.get $f))
              (f32x4.gt (v128.load (local.get $x)) (f32x4.splat (f32.const 0)))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $f (i32.add (local.get $f) (i32.const 16)))
            (br_if $vec (i32.lt_u (local.get $f) (local.get $fvend))))))
;;#endif
      (if (i32.lt_u (local.get $f) (local.get $fend))
        (then
          (loop $one
            (i32.store (local.get $f) (i32.or (i32.load (local.get $f)) (f32.gt (f32.load (local.get $x)) (f32.const 0))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $f (i32.add (local.get $f) (i32.const 4)))
            (br_if $one (i32.lt_u (local.get $f) (local.get $fend))))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rows)))

  (func (export "countFlags") (param $flags i32) (param $units i32) (result i32)
    (local $end i32) (local $count i32)
    (local.set $end (i32.add (local.get $flags) (i32.shl (local.get $units) (i32.const 2))))
    (if (i32.lt_u (local.get $flags) (local.get $end))
      (then
        (loop $count
          (local.set $count (i32.add (local.get $count) (i32.ne (i32.load (local.get $flags)) (i32.const 0))))
          (local.set $flags (i32.add (local.get $flags) (i32.const 4)))
          (br_if $count (i32.lt_u (local.get $flags) (local.get $end))))))
    (local.get $count)))
