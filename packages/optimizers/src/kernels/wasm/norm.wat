;; The read pass of a clipped or guarded fused step, over the gradients where they lie in
;; tfjs-backend-wasm's memory: the global sum of squares as cpu/step.ts sums it (each square rounded to
;; float32, summed per tensor in float64, the tensor's sum rounded to float32 and added to the float32
;; total) and whether every element is finite (x - x is 0 for finite x, NaN otherwise).
(module
  (import "env" "memory" @memory)
  (global $total (mut f32) (f32.const 0))
  (global $nonFinite (mut i32) (i32.const 0))

  ;; Starts a step: total 0, every element finite so far.
  (func (export "reset")
    (global.set $total (f32.const 0))
    (global.set $nonFinite (i32.const 0)))

  ;; The float32 sum of squares so far.
  (func (export "total") (result f32) (global.get $total))

  ;; 1 when an element seen so far was NaN or ±Infinity, else 0.
  (func (export "nonFinite") (result i32) (global.get $nonFinite))

  ;; Adds one gradient (byte offset, n elements): its sum of squares, rounded to float32, to the total.
  (func (export "add") (param $g i32) (param $n i32)
    (global.set $total (f32.add (global.get $total) (f32.demote_f64 (call $partial (local.get $g) (local.get $n))))))

  ;; The float64 sum of the float32 squares of n elements at byte offset g (a gradient, or a piece of
  ;; one), noting any non-finite element; the total is unchanged.
  (func $partial (export "partial") (param $g i32) (param $n i32) (result f64)
    (local $end i32) (local $x f32) (local $sq f32) (local $bad f32) (local $sum f64)
;;#if simd
    (local $xv v128) (local $sqv v128) (local $badv v128) (local $lo v128) (local $hi v128) (local $vend i32)
    (local.set $vend (i32.add (local.get $g) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (if (i32.lt_u (local.get $g) (local.get $vend))
      (then
        (loop $vec
          (local.set $xv (v128.load (local.get $g)))
          (local.set $sqv (f32x4.mul (local.get $xv) (local.get $xv)))
          (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $sqv))))
          (local.set $hi (f64x2.add (local.get $hi)
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $sqv) (local.get $sqv)))))
          (local.set $badv (f32x4.add (local.get $badv) (f32x4.sub (local.get $xv) (local.get $xv))))
          (local.set $g (i32.add (local.get $g) (i32.const 16)))
          (br_if $vec (i32.lt_u (local.get $g) (local.get $vend))))
        (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
        (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
        (if (v128.any_true (f32x4.ne (local.get $badv) (local.get $badv)))
          (then (global.set $nonFinite (i32.const 1))))
        (local.set $n (i32.and (local.get $n) (i32.const 3)))))
;;#endif
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.lt_u (local.get $g) (local.get $end))
      (then
        (loop $one
          (local.set $x (f32.load (local.get $g)))
          (local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (f32.mul (local.get $x) (local.get $x)))))
          (local.set $bad (f32.add (local.get $bad) (f32.sub (local.get $x) (local.get $x))))
          (local.set $g (i32.add (local.get $g) (i32.const 4)))
          (br_if $one (i32.lt_u (local.get $g) (local.get $end))))
        (if (f32.ne (local.get $bad) (local.get $bad)) (then (global.set $nonFinite (i32.const 1))))))
    (local.get $sum)))
