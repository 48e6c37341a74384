;; The cpu backend's matmul fast path (cpu-matmul.ts): C = A·B in float32, A [m, k] and B [k, n] given
;; by element strides (a transposed operand is just other strides), in three steps over this module's
;; own memory:
;;   pack(src, dst, X, k, sx, sp, W)   copies one operand into panels of W (4 for A's rows, 8 for B's
;;                                     columns): element (x, p) of the panel x/W lies at
;;                                     dst + ((x/W)·k + p)·W·4 + (x%W)·4; x ≥ X are zeros
;;   gemm(a, b, c, mp, np, k, ldc)     every 4×8 tile of C (row stride ldc bytes) from the packed panels:
;;                                     Σₚ A[i,p]·B[p,j], p ascending, one f32 multiply and add per term
;;                                     (f32x4: 8 accumulators; scalar: one row of 8 at a time, the
;;                                     same operations in the same order, so both builds agree bitwise)
;;   finish(c, m, n, ldc, bias, flags) compacts the padded rows to [m, n] in place, adding the bias row
;;                                     (flags & 1), then relu (& 2) or relu6 (& 4)
;; Built by scripts/wasm/wat.mjs (;;#if simd, ;;#lanes).
(module
  (import "env" "memory" @memory)

  (func (export "pack") (param $src i32) (param $dst i32) (param $X i32) (param $k i32) (param $sx i32) (param $sp i32) (param $W i32)
    (local $x i32) (local $p i32) (local $s i32) (local $d i32) (local $panel i32) (local $count i32) (local $j i32)
    ;; bytes between consecutive p in a panel, and per panel; X rounded up to a multiple of W
    (local $step i32) (local $size i32) (local $xpad i32)
;;#if simd
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
;;#endif
    (local.set $step (i32.shl (local.get $W) (i32.const 2)))
    (local.set $size (i32.mul (local.get $step) (local.get $k)))
    (if (i32.eq (local.get $sx) (i32.const 4))
      (then
        ;; x contiguous (A transposed, B not): row p of the source, panel after panel
        (if (i32.eqz (local.get $k)) (then (return)))
        (loop $rows
          (local.set $x (i32.const 0))
          (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $p) (local.get $step))))
          (local.set $s (i32.add (local.get $src) (i32.mul (local.get $p) (local.get $sp))))
          (loop $panels
            (local.set $count (i32.sub (local.get $X) (local.get $x)))
            (if (i32.gt_s (local.get $count) (local.get $W)) (then (local.set $count (local.get $W))))
            (local.set $j (i32.const 0))
;;#if simd
            (if (i32.eq (local.get $count) (local.get $W))
              (then
                (loop $vec
                  (v128.store (i32.add (local.get $d) (local.get $j)) (v128.load (i32.add (local.get $s) (local.get $j))))
                  (local.set $j (i32.add (local.get $j) (i32.const 16)))
                  (br_if $vec (i32.lt_u (local.get $j) (local.get $step))))))
;;#endif
            (block $done
              (loop $one
                (br_if $done (i32.ge_u (local.get $j) (local.get $step)))
                (f32.store (i32.add (local.get $d) (local.get $j))
                  (if (result f32) (i32.lt_u (local.get $j) (i32.shl (local.get $count) (i32.const 2)))
                    (then (f32.load (i32.add (local.get $s) (local.get $j))))
                    (else (f32.const 0))))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $one)))
            (local.set $x (i32.add (local.get $x) (local.get $W)))
            (local.set $s (i32.add (local.get $s) (local.get $step)))
            (local.set $d (i32.add (local.get $d) (local.get $size)))
            (br_if $panels (i32.lt_s (local.get $x) (local.get $X))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br_if $rows (i32.lt_u (local.get $p) (local.get $k)))))
      (else
        (if (i32.eqz (local.get $k)) (then (return)))
        (local.set $xpad (i32.mul (i32.div_u (i32.add (local.get $X) (i32.sub (local.get $W) (i32.const 1))) (local.get $W)) (local.get $W)))
;;#if simd
        ;; p contiguous (A as given, B transposed): 4 x at a time, 4×4 blocks transposed in registers
        (if (i32.eq (local.get $sp) (i32.const 4))
          (then
            (block $groups
              (loop $group
                (br_if $groups (i32.gt_u (i32.add (local.get $x) (i32.const 4)) (local.get $X)))
                (local.set $panel (i32.div_u (local.get $x) (local.get $W)))
                (local.set $d (i32.add (i32.add (local.get $dst) (i32.mul (local.get $panel) (local.get $size)))
                  (i32.shl (i32.sub (local.get $x) (i32.mul (local.get $panel) (local.get $W))) (i32.const 2))))
                (local.set $s (i32.add (local.get $src) (i32.mul (local.get $x) (local.get $sx))))
                (local.set $p (i32.const 0))
                (block $blocks
                  (loop $block
                    (br_if $blocks (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $k)))
                    (local.set $r0 (v128.load (local.get $s)))
                    (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $sx))))
                    (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $sx) (i32.const 1)))))
                    (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $sx) (i32.const 3)))))
                    ;; interleave rows 0 and 1, 2 and 3, then take the columns
                    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                    (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                    (local.set $d (i32.add (local.get $d) (local.get $step)))
                    (v128.store (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                    (local.set $d (i32.add (local.get $d) (local.get $step)))
                    (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                    (local.set $d (i32.add (local.get $d) (local.get $step)))
                    (v128.store (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                    (local.set $d (i32.add (local.get $d) (local.get $step)))
                    (local.set $s (i32.add (local.get $s) (i32.const 16)))
                    (local.set $p (i32.add (local.get $p) (i32.const 4)))
                    (br $block)))
                ;; the last k mod 4 of the 4 rows
                (block $tails
                  (loop $tail
                    (br_if $tails (i32.ge_u (local.get $p) (local.get $k)))
                    (f32.store (local.get $d) (f32.load (local.get $s)))
                    (f32.store offset=4 (local.get $d) (f32.load (i32.add (local.get $s) (local.get $sx))))
                    (f32.store offset=8 (local.get $d) (f32.load (i32.add (local.get $s) (i32.shl (local.get $sx) (i32.const 1)))))
                    (f32.store offset=12 (local.get $d) (f32.load (i32.add (local.get $s) (i32.mul (local.get $sx) (i32.const 3)))))
                    (local.set $d (i32.add (local.get $d) (local.get $step)))
                    (local.set $s (i32.add (local.get $s) (i32.const 4)))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (br $tail)))
                (local.set $x (i32.add (local.get $x) (i32.const 4)))
                (br $group)))))
;;#endif
        ;; one x at a time, down the panel (the rest, and every x of a source strided both ways)
        (if (i32.ge_u (local.get $x) (local.get $xpad)) (then (return)))
        (loop $xs
          (local.set $panel (i32.div_u (local.get $x) (local.get $W)))
          (local.set $d (i32.add (i32.add (local.get $dst) (i32.mul (local.get $panel) (local.get $size)))
            (i32.shl (i32.sub (local.get $x) (i32.mul (local.get $panel) (local.get $W))) (i32.const 2))))
          (local.set $s (i32.add (local.get $src) (i32.mul (local.get $x) (local.get $sx))))
          (local.set $p (i32.const 0))
          (if (i32.lt_u (local.get $x) (local.get $X))
            (then
              (loop $copy
                (f32.store (local.get $d) (f32.load (local.get $s)))
                (local.set $s (i32.add (local.get $s) (local.get $sp)))
                (local.set $d (i32.add (local.get $d) (local.get $step)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br_if $copy (i32.lt_u (local.get $p) (local.get $k)))))
            (else
              (loop $zero
                (f32.store (local.get $d) (f32.const 0))
                (local.set $d (i32.add (local.get $d) (local.get $step)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br_if $zero (i32.lt_u (local.get $p) (local.get $k))))))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br_if $xs (i32.lt_u (local.get $x) (local.get $xpad)))))))

;;#if simd
  ;; One 4×8 tile: a is A's panel (4 floats per p), b B's (8 per p), c the tile's top-left corner.
  (func $tile (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $k i32)
    (local $end i32) (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $k) (i32.const 4))))
    (if (i32.lt_u (local.get $a) (local.get $end))
      (then
        (loop $p
          (local.set $b0 (v128.load (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $x (v128.load32_splat (local.get $a)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=4 (local.get $a)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=8 (local.get $a)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=12 (local.get $a)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (br_if $p (i32.lt_u (local.get $a) (local.get $end))))))
    (v128.store (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c10))
    (v128.store offset=16 (local.get $c) (local.get $c11))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c20))
    (v128.store offset=16 (local.get $c) (local.get $c21))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c30))
    (v128.store offset=16 (local.get $c) (local.get $c31)))
;;#else
  ;; One 4×8 tile, a row of 8 at a time.
  (func $tile (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $k i32)
    (local $r i32) (local $pa i32) (local $pb i32) (local $end i32) (local $x f32)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32)
    (local $s4 f32) (local $s5 f32) (local $s6 f32) (local $s7 f32)
    (loop $row
      (local.set $pa (i32.add (local.get $a) (i32.shl (local.get $r) (i32.const 2))))
      (local.set $pb (local.get $b))
      (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $k) (i32.const 4))))
      (local.set $s0 (f32.const 0)) (local.set $s1 (f32.const 0)) (local.set $s2 (f32.const 0)) (local.set $s3 (f32.const 0))
      (local.set $s4 (f32.const 0)) (local.set $s5 (f32.const 0)) (local.set $s6 (f32.const 0)) (local.set $s7 (f32.const 0))
      (if (i32.lt_u (local.get $pa) (local.get $end))
        (then
          (loop $p
            (local.set $x (f32.load (local.get $pa)))
            (local.set $s0 (f32.add (local.get $s0) (f32.mul (local.get $x) (f32.load (local.get $pb)))))
            (local.set $s1 (f32.add (local.get $s1) (f32.mul (local.get $x) (f32.load offset=4 (local.get $pb)))))
            (local.set $s2 (f32.add (local.get $s2) (f32.mul (local.get $x) (f32.load offset=8 (local.get $pb)))))
            (local.set $s3 (f32.add (local.get $s3) (f32.mul (local.get $x) (f32.load offset=12 (local.get $pb)))))
            (local.set $s4 (f32.add (local.get $s4) (f32.mul (local.get $x) (f32.load offset=16 (local.get $pb)))))
            (local.set $s5 (f32.add (local.get $s5) (f32.mul (local.get $x) (f32.load offset=20 (local.get $pb)))))
            (local.set $s6 (f32.add (local.get $s6) (f32.mul (local.get $x) (f32.load offset=24 (local.get $pb)))))
            (local.set $s7 (f32.add (local.get $s7) (f32.mul (local.get $x) (f32.load offset=28 (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
            (br_if $p (i32.lt_u (local.get $pa) (local.get $end))))))
      (f32.store (local.get $c) (local.get $s0))
      (f32.store offset=4 (local.get $c) (local.get $s1))
      (f32.store offset=8 (local.get $c) (local.get $s2))
      (f32.store offset=12 (local.get $c) (local.get $s3))
      (f32.store offset=16 (local.get $c) (local.get $s4))
      (f32.store offset=20 (local.get $c) (local.get $s5))
      (f32.store offset=24 (local.get $c) (local.get $s6))
      (f32.store offset=28 (local.get $c) (local.get $s7))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $r) (i32.const 4)))))
;;#endif

  ;; Every tile: mp panels of 4 rows of A by np panels of 8 columns of B; B's panel stays in cache
  ;; while A's panels pass.
  (func (export "gemm") (param $a i32) (param $b i32) (param $c i32) (param $mp i32) (param $np i32) (param $k i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $pa i32) (local $ct i32)
    (if (i32.or (i32.eqz (local.get $mp)) (i32.eqz (local.get $np))) (then (return)))
    (loop $cols
      (local.set $i (i32.const 0))
      (local.set $pa (local.get $a))
      (local.set $ct (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 5))))
      (loop $rows
        (call $tile (local.get $pa) (local.get $b) (local.get $ct) (local.get $ldc) (local.get $k))
        (local.set $pa (i32.add (local.get $pa) (i32.shl (local.get $k) (i32.const 4))))
        (local.set $ct (i32.add (local.get $ct) (i32.shl (local.get $ldc) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_u (local.get $i) (local.get $mp))))
      (local.set $b (i32.add (local.get $b) (i32.shl (local.get $k) (i32.const 5))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $cols (i32.lt_u (local.get $j) (local.get $np)))))

;;#lanes
  ;; One row's elements from s to d (d ≤ s) until d reaches end, with bias and activation.
  (func $row@ (param $s i32) (param $d i32) (param $bias i32) (param $end i32) (param $flags i32)
    (local $v V)
    (if (i32.ge_u (local.get $d) (local.get $end)) (then (return)))
    (loop $next
      (local.set $v (V.load (local.get $s)))
      (if (i32.and (local.get $flags) (i32.const 1)) (then (local.set $v (V.add (local.get $v) (V.load (local.get $bias))))))
      (if (i32.and (local.get $flags) (i32.const 6)) (then (local.set $v (V.max (local.get $v) (V.splat (f32.const 0))))))
      (if (i32.and (local.get $flags) (i32.const 4)) (then (local.set $v (V.min (local.get $v) (V.splat (f32.const 6))))))
      (V.store (local.get $d) (local.get $v))
      (local.set $s (i32.add (local.get $s) (i32.const V.bytes)))
      (local.set $bias (i32.add (local.get $bias) (i32.const V.bytes)))
      (local.set $d (i32.add (local.get $d) (i32.const V.bytes)))
      (br_if $next (i32.lt_u (local.get $d) (local.get $end)))))
;;#endlanes

  (func (export "finish") (param $c i32) (param $m i32) (param $n i32) (param $ldc i32) (param $bias i32) (param $flags i32)
    (local $i i32) (local $s i32) (local $d i32) (local $vec i32) (local $row i32)
    (if (i32.or (i32.eqz (local.get $m)) (i32.eqz (local.get $n))) (then (return)))
    (local.set $row (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vec (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (loop $rows
      (local.set $s (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))
      (local.set $d (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $row))))
      (call $row_vec (local.get $s) (local.get $d) (local.get $bias) (i32.add (local.get $d) (local.get $vec)) (local.get $flags))
      (call $row_one (i32.add (local.get $s) (local.get $vec)) (i32.add (local.get $d) (local.get $vec)) (i32.add (local.get $bias) (local.get $vec))
        (i32.add (local.get $d) (local.get $row)) (local.get $flags))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $m))))))
