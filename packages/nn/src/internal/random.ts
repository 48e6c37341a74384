import { HyperParameterError } from '@gradkit/core';

/** 2⁻³² and 2⁻²⁴, for turning 32-bit integers into uniforms in [0, 1). */
const TWO_POW_M32 = 2 ** -32;
const TWO_POW_M24 = 2 ** -24;

/**
 * A small, fast, seedable PRNG that runs on the host: xoshiro128** 1.1 (Blackman & Vigna 2018),
 * period 2¹²⁸ − 1, seeded through splitmix32. Masks and permutations are drawn here and uploaded,
 * so the same seed gives the same numbers on every backend.
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 | 0;
    this.s1 = s1 | 0;
    this.s2 = s2 | 0;
    this.s3 = s3 | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s3 = 1; // the all-zero state is a fixed point
  }

  /** A generator whose state is exactly `[s0, s1, s2, s3]` (for checking against the reference C code). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Random {
    return new Random(s0, s1, s2, s3);
  }

  /** A generator seeded from an integer in (−2⁵³, 2⁵³): its low and high 32 bits feed splitmix32. */
  static fromSeed(seed: number): Random {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    let a = (lo ^ Math.imul(hi ^ 0x5bd1e995, 0x9e3779b9)) | 0;
    const splitmix32 = () => {
      a = (a + 0x9e3779b9) | 0;
      let t = a ^ (a >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) | 0;
    };
    return new Random(splitmix32(), splitmix32(), splitmix32(), splitmix32());
  }

  /** The next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** A uniform number in [0, 1) with 24 random bits (exact in float32). */
  uniform(): number {
    return (this.nextUint32() >>> 8) * TWO_POW_M24;
  }

  /** A uniform integer in [0, n) (n ≤ 2³²; the bias of the multiply-shift is below n/2³²). */
  below(n: number): number {
    return Math.floor(this.nextUint32() * TWO_POW_M32 * n);
  }
}

/** A seed for `Random.fromSeed` when the caller gave none (not reproducible). */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/**
 * Validates an optional `seed` option: an integer of magnitude below 2⁵³; `undefined` draws a fresh
 * seed from `Math.random`.
 */
export function checkSeed(seed: unknown, field = 'seed'): number {
  if (seed === undefined) return freshSeed();
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed))
    throw new HyperParameterError(field, `${field} must be an integer (e.g. 42), got ${String(seed)}`);
  return seed;
}
