// The host-side random number generator every initializer draws from (not part of the public
// surface). Numbers are generated in float64 on the host and uploaded with tf.tensor, never by a
// backend's RNG kernel, so a seed gives bit-identical tensors on cpu, wasm and webgpu.
import { HyperParameterError } from '@gradkit/core';

const MASK64 = (1n << 64n) - 1n;
/** Added to the splitmix64 seed per call of an initializer, so that call k draws another stream. */
const CALL_STRIDE = 0x632be59bd9b4e019n;

/** splitmix64 (Steele, Lea & Flood 2014; Vigna's reference `splitmix64.c`): seeds xoshiro's state. */
function splitmix64(state: { x: bigint }): bigint {
  state.x = (state.x + 0x9e3779b97f4a7c15n) & MASK64;
  let z = state.x;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/**
 * xoshiro128** 1.1 (Blackman & Vigna 2018): 32-bit outputs, period 2¹²⁸ − 1. Seeded from
 * splitmix64(seed + call·0x632be59bd9b4e019): its first two 64-bit outputs, low word first, are the
 * four state words.
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(state: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0) as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** The generator for `seed` (any safe integer) and the `call`-th use of one initializer. */
  static fromSeed(seed: number, call = 0): Xoshiro128 {
    const st = { x: (BigInt(seed) + BigInt(call) * CALL_STRIDE) & MASK64 };
    const a = splitmix64(st);
    const b = splitmix64(st);
    const w = (v: bigint, shift: bigint) => Number((v >> shift) & 0xffffffffn);
    return new Xoshiro128([w(a, 0n), w(a, 32n), w(b, 0n), w(b, 32n)]);
  }

  /** The next 32-bit output, an integer in [0, 2³²). */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits (two outputs: 27 + 26 bits). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** n uniform doubles in [lo, hi), rounded to float32. */
export function uniformArray(rng: Xoshiro128, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  const width = hi - lo;
  for (let i = 0; i < n; i++) out[i] = lo + width * rng.nextDouble();
  return out;
}

/**
 * n standard normal doubles by Box–Muller (both outputs of each pair used): r = √(−2 ln u₁),
 * z = r·cos 2πu₂, r·sin 2πu₂ with u₁ ∈ (0, 1], u₂ ∈ [0, 1).
 */
export function standardNormals(rng: Xoshiro128, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - rng.nextDouble();
    const u2 = rng.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** A random seed (an integer in [0, 2⁵³)) for initializers made without one. */
export function randomSeed(): number {
  const words = new Uint32Array(2);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(words);
  else for (let i = 0; i < 2; i++) words[i] = Math.floor(Math.random() * 2 ** 32);
  return ((words[0] as number) & 0x1fffff) * 2 ** 32 + (words[1] as number);
}

/** The `seed` option: a safe integer, or a fresh random seed when undefined. */
export function resolveSeed(seed: number | undefined, fn: string): number {
  if (seed === undefined) return randomSeed();
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed))
    throw new HyperParameterError('seed', `${fn}: seed must be an integer (a safe integer, |seed| < 2^53), got ${String(seed)}`);
  return seed;
}
