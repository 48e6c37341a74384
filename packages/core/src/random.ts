// The host-side seeded random number generator of gradkit. Numbers are drawn on the host (in JS) and
// uploaded with tf.tensor, never by a backend's RNG kernel, so a seed gives bit-identical tensors on
// cpu, wasm and webgpu. Initializers, dropout masks and minibatch shuffles all draw from it.

import { HyperParameterError } from './errors.js';
import { describeValue } from './options.js';

const MASK64 = (1n << 64n) - 1n;
/** Added to the splitmix64 seed per stream, so that stream k of a seed is another sequence. */
const STREAM_STRIDE = 0x632be59bd9b4e019n;
const TWO_POW_M24 = 2 ** -24;
const TWO_POW_M32 = 2 ** -32;

/** splitmix64 (Steele, Lea & Flood 2014; Vigna's reference `splitmix64.c`): seeds xoshiro's state. */
function splitmix64(state: { x: bigint }): bigint {
  state.x = (state.x + 0x9e3779b97f4a7c15n) & MASK64;
  let z = state.x;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A seeded pseudo-random number generator that runs on the host: the same seed gives the same
 * numbers in every environment and on every backend (cpu, wasm, webgpu), because nothing is drawn
 * by a backend kernel. gradkit's initializers, dropout masks and minibatch shuffles draw from it;
 * use it for your own reproducible shuffles, splits and noise.
 *
 * Algorithm: xoshiro128** 1.1 (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
 * 2018, ACM TOMS 47(4) 2021; reference code `xoshiro128starstar.c` at prng.di.unimi.it): 128 bits of
 * state, 32-bit outputs, period 2¹²⁸ − 1. `fromSeed(seed, stream)` runs splitmix64 (Steele, Lea &
 * Flood 2014; `splitmix64.c`) from (seed + stream·0x632be59bd9b4e019) mod 2⁶⁴; its first two 64-bit
 * outputs, low word first, are the four state words. Not for cryptography. PyTorch:
 * `torch.Generator().manual_seed(seed)`; NumPy: `numpy.random.default_rng(seed)`.
 *
 * @example
 * ```ts
 * const rng = Xoshiro128.fromSeed(42);
 * const order = rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // the same permutation everywhere
 * const [train, test] = [order.slice(0, 8), order.slice(8)];
 * const u = rng.nextDouble(); // uniform in [0, 1)
 * const k = rng.below(6); // integer in [0, 6)
 * ```
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * A generator whose state is exactly the four 32-bit words `state` (as in the reference C code);
   * the all-zero state, a fixed point, becomes `[1, 0, 0, 0]`. Prefer `Xoshiro128.fromSeed`.
   *
   * @example
   * ```ts
   * new Xoshiro128([1, 2, 3, 4]).nextUint32(); // 11520
   * ```
   */
  constructor(state: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0) as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * The generator for `seed` (a safe integer, negative allowed) and its `stream`-th independent
   * sequence (a non-negative safe integer, default 0): state from splitmix64(seed + stream·0x632be59bd9b4e019).
   * Initializers use stream k for their k-th call, so repeated calls differ and a new factory repeats them.
   *
   * @throws HyperParameterError naming `seed` or `stream` when it is not such an integer.
   * @example
   * ```ts
   * const rng = Xoshiro128.fromSeed(42); // rng.nextUint32() === 1776835114
   * const other = Xoshiro128.fromSeed(42, 1); // another sequence from the same seed
   * ```
   */
  static fromSeed(seed: number, stream = 0): Xoshiro128 {
    checkSeed(seed, 'seed', 'Xoshiro128.fromSeed');
    if (typeof stream !== 'number' || !Number.isSafeInteger(stream) || stream < 0)
      throw new HyperParameterError('stream', `Xoshiro128.fromSeed: stream must be a non-negative integer (0, 1, 2 …), got ${String(stream)}`);
    const st = { x: (BigInt(seed) + BigInt(stream) * STREAM_STRIDE) & MASK64 };
    const a = splitmix64(st);
    const b = splitmix64(st);
    const w = (v: bigint, shift: bigint) => Number((v >> shift) & 0xffffffffn);
    return new Xoshiro128([w(a, 0n), w(a, 32n), w(b, 0n), w(b, 32n)]);
  }

  /**
   * The next 32-bit output, an integer in [0, 2³²): result = rotl(s₁·5, 7)·9, then the state advances.
   *
   * @example
   * ```ts
   * Xoshiro128.fromSeed(42).nextUint32(); // 1776835114
   * ```
   */
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

  /**
   * A uniform double in [0, 1) with 53 random bits, from two outputs: (a ≫ 5)·2⁻²⁷ + (b ≫ 6)·2⁻⁵³.
   *
   * @example
   * ```ts
   * Xoshiro128.fromSeed(42).nextDouble(); // 0.41370165…
   * ```
   */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * A uniform number in [0, 1) with 24 random bits, (x ≫ 8)·2⁻²⁴ from one output x: exactly
   * representable in float32, so `u < p` decides the same in float32 and float64 (dropout masks).
   *
   * @example
   * ```ts
   * Xoshiro128.fromSeed(42).nextFloat32(); // 0.41370165348052979 (= 6940762 / 2²⁴)
   * ```
   */
  nextFloat32(): number {
    return (this.nextUint32() >>> 8) * TWO_POW_M24;
  }

  /**
   * A uniform integer in [0, n) for an integer 1 ≤ n ≤ 2³², by multiply-shift ⌊x·n / 2³²⌋ of one
   * output x (Lemire 2019 without rejection: the bias is below n / 2³²).
   *
   * @throws HyperParameterError naming `n` when it is not such an integer.
   * @example
   * ```ts
   * const die = Xoshiro128.fromSeed(1).below(6) + 1; // 1 … 6
   * ```
   */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new HyperParameterError('n', `below(n): n must be an integer in [1, 2^32], got ${String(n)}`);
    return Math.floor(this.nextUint32() * TWO_POW_M32 * n);
  }

  /**
   * Shuffles `items` in place and returns it: Fisher–Yates from the last position down (Durstenfeld
   * 1964), swapping position i with `below(i + 1)`; every permutation is (up to `below`'s bias) equally
   * likely. PyTorch: `x[torch.randperm(n, generator=g)]`; NumPy: `rng.shuffle(x)`.
   *
   * @example
   * ```ts
   * const rng = Xoshiro128.fromSeed(1);
   * rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // [0, 8, 5, 9, 4, 6, 7, 1, 2, 3]
   * ```
   */
  shuffle<A extends { length: number; [index: number]: unknown }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /**
   * `n` uniform numbers in [low, high): low + (high − low)·u with u from `nextDouble`, rounded to float32.
   *
   * @example
   * ```ts
   * const noise = tf.tensor(Xoshiro128.fromSeed(3).uniformArray(6, -0.1, 0.1), [2, 3]);
   * ```
   */
  uniformArray(n: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(n);
    const width = high - low;
    for (let i = 0; i < n; i++) out[i] = low + width * this.nextDouble();
    return out;
  }

  /**
   * `n` standard normal doubles by Box–Muller, both outputs of each pair used: r = √(−2 ln u₁),
   * z = r·cos 2πu₂, r·sin 2πu₂ with u₁ = 1 − `nextDouble()` ∈ (0, 1], u₂ = `nextDouble()` ∈ [0, 1).
   * An odd `n` drops the last pair's second value.
   *
   * @example
   * ```ts
   * const z = Xoshiro128.fromSeed(42).standardNormals(4); // [1.0330460…, 0.0258647…, −0.5788627…, −1.3285483…]
   * ```
   */
  standardNormals(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = 1 - this.nextDouble();
      const u2 = this.nextDouble();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }
}

function checkSeed(seed: unknown, field: string, where: string | undefined): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed))
    throw new HyperParameterError(
      field,
      `${where === undefined ? '' : `${where}: `}${field} must be an integer with |${field}| < 2^53 (e.g. 42), got ${describeValue(seed)}`,
    );
}

/**
 * A fresh random seed, an integer in [0, 2⁵³), from `crypto.getRandomValues` (or `Math.random` where
 * there is no Web Crypto). Not reproducible: for seeded objects made without a seed; read their
 * `seed` back to repeat a run.
 *
 * @example
 * ```ts
 * const seed = randomSeed();
 * console.log(`seed ${seed}`); // Xoshiro128.fromSeed(seed) repeats this run
 * ```
 */
export function randomSeed(): number {
  const words = new Uint32Array(2);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(words);
  else for (let i = 0; i < 2; i++) words[i] = Math.floor(Math.random() * 2 ** 32);
  return ((words[0] as number) & 0x1fffff) * 2 ** 32 + (words[1] as number);
}

/**
 * Validates a `seed` option: a safe integer (|seed| < 2⁵³) is returned as is, `undefined` gets a
 * fresh `randomSeed()`, anything else throws.
 *
 * @param where - prefix of the error message (the function the option belongs to), e.g. `'dropout'`.
 * @throws HyperParameterError with field `'seed'` for a non-integer, NaN or unsafe number, or a non-number.
 * @example
 * ```ts
 * const seed = resolveSeed(options.seed, 'myShuffle'); // options.seed ?? a random seed
 * const rng = Xoshiro128.fromSeed(seed);
 * ```
 */
export function resolveSeed(seed: unknown, where?: string): number {
  if (seed === undefined) return randomSeed();
  checkSeed(seed, 'seed', where);
  return seed;
}
