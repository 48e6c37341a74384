/**
 * The plain-SGD update over one float32 buffer, in place, rounded to float32 after every operation in
 * the order the reference tf-ops path uses, so cpu and wasm fused steps are bit-identical to it:
 * wd = 0: p ← p + g·(−η);  else p ← p + (g + p·wd)·(−η).
 */
export function sgdInPlace(p: Float32Array, g: Float32Array, learningRate: number, weightDecay: number): void {
  const f = Math.fround;
  const negLr = f(-learningRate);
  const wd = f(weightDecay);
  const n = p.length;
  if (wd === 0) {
    for (let j = 0; j < n; j++) p[j] = (p[j] as number) + f((g[j] as number) * negLr);
  } else {
    for (let j = 0; j < n; j++) {
      const pj = p[j] as number;
      p[j] = pj + f(f((g[j] as number) + f(pj * wd)) * negLr);
    }
  }
}
