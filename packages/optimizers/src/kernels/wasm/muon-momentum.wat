;; Muon's momentum (muon-momentum.ts), element-wise, into two new tensors where they lie in
;; tfjs-backend-wasm's memory, rounded to float32 after every op in the reference path's order.
;; Preprocessed by scripts/wasm/wat.mjs (;;#lanes, V.*): an f32x4 loop, then a scalar tail.
;;   b' = b + (g - b)*keep;  u = nesterov ? g + (b' - g)*momentum : b'   (keep = 1 - momentum)
(module
  (import "env" "memory" @memory)
  (global $keep (mut f32) (f32.const 0))
  (global $momentum (mut f32) (f32.const 0))
  ;; bit 0 nesterov
  (global $flags (mut i32) (i32.const 0))

  ;; The step's constants (float32: the caller passes Math.fround values).
  (func (export "setup") (param $keep f32) (param $momentum f32) (param $flags i32)
    (global.set $keep (local.get $keep))
    (global.set $momentum (local.get $momentum))
    (global.set $flags (local.get $flags)))

;;#lanes
  (func $run@ (param $g i32) (param $b i32) (param $outB i32) (param $outU i32) (param $end i32)
    (local $keep V) (local $momentum V) (local $nesterov i32) (local $gv V) (local $next V)
    (if (i32.ge_u (local.get $g) (local.get $end)) (then (return)))
    (local.set $keep (V.splat (global.get $keep)))
    (local.set $momentum (V.splat (global.get $momentum)))
    (local.set $nesterov (i32.and (global.get $flags) (i32.const 1)))
    (loop $next
      (local.set $gv (V.load (local.get $g)))
      (local.set $next (V.load (local.get $b)))
      (local.set $next (V.add (local.get $next) (V.mul (V.sub (local.get $gv) (local.get $next)) (local.get $keep))))
      (V.store (local.get $outB) (local.get $next))
      (if (local.get $nesterov)
        (then (local.set $next (V.add (local.get $gv) (V.mul (V.sub (local.get $next) (local.get $gv)) (local.get $momentum))))))
      (V.store (local.get $outU) (local.get $next))
      (local.set $g (i32.add (local.get $g) (i32.const V.bytes)))
      (local.set $b (i32.add (local.get $b) (i32.const V.bytes)))
      (local.set $outB (i32.add (local.get $outB) (i32.const V.bytes)))
      (local.set $outU (i32.add (local.get $outU) (i32.const V.bytes)))
      (br_if $next (i32.lt_u (local.get $g) (local.get $end)))))
;;#endlanes

  ;; One tensor: byte offsets of g, the buffer, and the two outputs, n elements.
  (func (export "step") (param $g i32) (param $b i32) (param $outB i32) (param $outU i32) (param $n i32)
    (local $split i32)
    (local.set $split (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (call $run_vec (local.get $g) (local.get $b) (local.get $outB) (local.get $outU) (i32.add (local.get $g) (local.get $split)))
    (call $run_one
      (i32.add (local.get $g) (local.get $split))
      (i32.add (local.get $b) (local.get $split))
      (i32.add (local.get $outB) (local.get $split))
      (i32.add (local.get $outU) (local.get $split))
      (i32.add (local.get $g) (i32.shl (local.get $n) (i32.const 2))))))
