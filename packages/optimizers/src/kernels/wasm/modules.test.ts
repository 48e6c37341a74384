import { Optimizer, tfjsWasmMemory, type WasmVariant } from '@gradkit/core';
import { currentBackend, expectFusedParity, spread } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adam, rmsprop, sgd } from '../../index.js';
import { applyRuleF32, type Clip } from '../f32-rules.js';
import type { FusedRule } from '../plan.js';
import { chooseVariant, instantiateKernels, type WasmKernels, wasmSimdSupported } from './modules.js';
import { wasmStep, wasmUpdate } from './step.js';

// The wasm modules on memories of our own (no tfjs needed, so these run in every project), against
// f32-rules.ts (the JavaScript transcription of the same formulas, rounded after every operation): every build gives the same
// bits. Then, on the wasm backend only, the step over tfjs's own heap when it grows.

/** Every rule with every flag its module has (the rule's slot count after it). */
const RULES: readonly [string, FusedRule, number][] = [
  ['sgd plain', { kind: 'sgd', lr: 0.05, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, first: false }, 0],
  ['sgd weight decay', { kind: 'sgd', lr: 0.05, momentum: 0, dampening: 0, weightDecay: 0.01, nesterov: false, first: false }, 0],
  ['sgd momentum, first step', { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0, nesterov: false, first: true }, 1],
  ['sgd momentum + dampening', { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0, nesterov: false, first: false }, 1],
  ['sgd nesterov + weight decay', { kind: 'sgd', lr: 0.05, momentum: 0.8, dampening: 0, weightDecay: 0.01, nesterov: true, first: false }, 1],
  ...[false, true].flatMap((amsgrad) =>
    [
      [0, false],
      [0.1, false],
      [0.1, true],
    ].map(
      ([wd, decoupled]) =>
        [
          `adam${decoupled ? 'w' : ''} wd ${wd}${amsgrad ? ' amsgrad' : ''}`,
          {
            kind: 'adam',
            lr: 0.01,
            beta1: 0.9,
            beta2: 0.99,
            epsilon: 1e-8,
            weightDecay: wd as number,
            decoupled: decoupled as boolean,
            amsgrad,
            stepSize: 0.01 / (1 - 0.9 ** 3),
            bc2Sqrt: Math.sqrt(1 - 0.99 ** 3),
          },
          amsgrad ? 3 : 2,
        ] as [string, FusedRule, number],
    ),
  ),
  ...[false, true].flatMap((centered) =>
    [0, 0.9].map(
      (momentum) =>
        [
          `rmsprop${centered ? ' centered' : ''} momentum ${momentum} + weight decay`,
          { kind: 'rmsprop', lr: 0.01, alpha: 0.99, epsilon: 1e-8, weightDecay: 0.01, momentum, centered },
          1 + (centered ? 1 : 0) + (momentum ? 1 : 0),
        ] as [string, FusedRule, number],
    ),
  ),
  ['lion', { kind: 'lion', lr: 0.01, beta1: 0.9, beta2: 0.99, weightDecay: 0 }, 1],
  ['lion weight decay', { kind: 'lion', lr: 0.01, beta1: 0.5, beta2: 0.99, weightDecay: 0.5 }, 1],
  ['adopt first step (β₁ 1, β₂ 0, clip 0)', { kind: 'adopt', lr: 0.01, beta1: 1, beta2: 0, epsilon: 1e-6, clip: 0, nesterov: false, weightDecay: 0 }, 2],
  ['adopt clipped', { kind: 'adopt', lr: 0.01, beta1: 0.9, beta2: 0.9999, epsilon: 1e-6, clip: 3 ** 0.25, nesterov: false, weightDecay: 0 }, 2],
  ['adopt nesterov + weight decay', { kind: 'adopt', lr: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 0.5, clip: 2, nesterov: true, weightDecay: 0.1 }, 2],
  ['adopt without clipping', { kind: 'adopt', lr: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, nesterov: false, weightDecay: 0 }, 2],
  ...[0, 0.1].map(
    (weightDecay) =>
      [
        `scheduleFreeAdamW weight decay ${weightDecay}`,
        {
          kind: 'scheduleFreeAdamW',
          lr: 0.0025,
          beta2: 0.999,
          epsilon: 1e-8,
          weightDecay,
          ckp1: 0.3,
          adaptiveYLr: 0.0025 * (0.9 * 0.7 - 1),
          bc2: 1 - 0.999 ** 3,
        },
        2,
      ] as [string, FusedRule, number],
  ),
];

/** Lengths: empty, 1, a tail only, a multiple of 4, a SIMD body plus every tail length. */
const LENGTHS = [0, 1, 3, 8, 4097, 4099];

/** A bump allocator over a memory of our own (`misalign` shifts every tensor by 4 bytes: unaligned SIMD loads). */
function arena(memory: WebAssembly.Memory, misalign = false) {
  let next = 64;
  return (values: Float32Array) => {
    const at = next + (misalign ? 4 : 0);
    next = at + values.length * 4 + 64 - ((at + values.length * 4) % 16);
    const needed = Math.ceil(next / 65536) - memory.buffer.byteLength / 65536;
    if (needed > 0) memory.grow(needed);
    new Float32Array(memory.buffer, at, values.length).set(values);
    return at;
  };
}

/**
 * Runs one rule over one tensor of `n` elements through step.ts's update pass on `k` and through
 * f32-rules.ts on copies; returns both results (parameter, then slots).
 */
function runBoth(k: WasmKernels, rule: FusedRule, slots: number, n: number, seed: number, clip?: Clip, misalign = false) {
  const alloc = arena(k.memory, misalign);
  const p0 = spread(n, seed);
  const g0 = spread(n, seed + 1);
  // Second moments are non-negative (and v − a² ≥ 0 for centered RMSprop); momenta (and schedule-free's z) are signed.
  const moment = (s: number) =>
    rule.kind === 'rmsprop' || (rule.kind === 'adam' && s > 0) || ((rule.kind === 'adopt' || rule.kind === 'scheduleFreeAdamW') && s === 1);
  const s0 = Array.from({ length: slots }, (_, s) => spread(n, seed + 2 + s).map((x) => (moment(s) ? Math.abs(x) : x)));
  if (rule.kind === 'rmsprop' && rule.centered) s0[1] = (s0[1] as Float32Array).map((x) => x / 4);
  const offsets = new Map<object, number>();
  const info = (values: Float32Array): tf.TensorInfo => {
    const t = { dataId: {}, shape: [n], dtype: 'float32' as const };
    offsets.set(t.dataId, alloc(values));
    return t;
  };
  const [p, g, ...s] = [info(p0), info(g0), ...s0.map(info)] as [tf.TensorInfo, tf.TensorInfo, ...tf.TensorInfo[]];
  const at = (t: tf.TensorInfo) => offsets.get(t.dataId) as number;
  wasmUpdate(k, { rule }, { params: [p], grads: [g], slots: s.map((x) => [x]) }, at, clip ? [clip.norm, clip.maxNorm] : undefined);
  const wasm = [p, ...s].map((t) => new Float32Array(k.memory.buffer, at(t), n).slice());
  const js = [p0.slice(), ...s0.map((x) => x.slice())] as [Float32Array, ...Float32Array[]];
  applyRuleF32(rule, js[0], g0, js.slice(1), clip);
  return { wasm, js };
}

/** Where two lists of float32 arrays first differ in their bits (`''` when they are identical). */
function bitDifference(a: readonly Float32Array[], b: readonly Float32Array[]): string {
  if (a.length !== b.length) return `${a.length} arrays against ${b.length}`;
  for (const [k, x] of a.entries()) {
    const y = b[k] as Float32Array;
    if (x.length !== y.length) return `array ${k}: ${x.length} elements against ${y.length}`;
    const [xi, yi] = [new Int32Array(x.buffer, x.byteOffset, x.length), new Int32Array(y.buffer, y.byteOffset, y.length)];
    for (let i = 0; i < xi.length; i++) if (xi[i] !== yi[i]) return `array ${k}[${i}]: ${x[i]} against ${y[i]}`;
  }
  return '';
}

const fresh = (variant: WasmVariant) =>
  instantiateKernels(
    variant.endsWith('Shared') ? new WebAssembly.Memory({ initial: 1, maximum: 1024, shared: true }) : new WebAssembly.Memory({ initial: 1 }),
    variant,
  );

// The modules need no tfjs backend: they run once, in the wasm project.
describe.skipIf(currentBackend() !== 'wasm')('wasm kernel modules on memories of their own', () => {
  it('node has wasm SIMD, and the variant follows the memory: shared for a SharedArrayBuffer', () => {
    expect(wasmSimdSupported()).toBe(true);
    expect(chooseVariant(new WebAssembly.Memory({ initial: 1 }))).toBe('simd');
    expect(chooseVariant(new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true }))).toBe('simdShared');
  });

  for (const variant of ['simd', 'scalar', 'simdShared', 'scalarShared'] as const) {
    it(`${variant}: every rule and flag gives exactly f32-rules.ts's bits, lengths ${LENGTHS.join(', ')}, clipped or not`, () => {
      const k = fresh(variant);
      expect(k.variant).toBe(variant);
      if (variant.endsWith('Shared')) expect(k.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
      for (const [what, rule, slots] of RULES) {
        for (const [j, n] of LENGTHS.entries()) {
          for (const clip of [undefined, { norm: Math.fround(7.3), maxNorm: 5 }]) {
            const { wasm, js } = runBoth(k, rule, slots, n, 10 * j + 1, clip, j % 2 === 1);
            expect(bitDifference(wasm, js), `${what}, n = ${n}, ${clip ? 'clipped' : 'not clipped'}`).toBe('');
          }
        }
      }
    });
  }

  it('the SIMD and scalar builds give the same bits (adam amsgrad, 4099 elements)', () => {
    const [rule, slots] = [RULES.find(([w]) => w === 'adam wd 0.1 amsgrad')?.[1] as FusedRule, 3];
    const a = runBoth(fresh('simd'), rule, slots, 4099, 5).wasm;
    const b = runBoth(fresh('scalar'), rule, slots, 4099, 5).wasm;
    expect(bitDifference(a, b)).toBe('');
  });

  for (const variant of ['simd', 'scalar', 'simdShared'] as const) {
    it(`${variant}: the read pass sums squares as cpu/step.ts does and finds NaN and ±∞ anywhere`, () => {
      const k = fresh(variant);
      const alloc = arena(k.memory);
      const xs = [spread(4099, 1), spread(3, 2), spread(0, 3), spread(8, 4)];
      const ats = xs.map(alloc);
      k.norm.reset();
      for (const [i, x] of xs.entries()) k.norm.add(ats[i] as number, x.length);
      let total = 0;
      for (const x of xs) {
        let s = 0;
        for (const v of x) s += Math.fround(v * v);
        total = Math.fround(total + Math.fround(s));
      }
      expect(k.norm.total()).toBe(total);
      expect(k.norm.nonFinite()).toBe(0);
      // `partial` over pieces of a tensor (as the cpu step reads one in chunks): the same float64 sum, the total unchanged.
      const [x0, at0] = [xs[0] as Float32Array, ats[0] as number];
      const pieces = k.norm.partial(at0, 2050) + k.norm.partial(at0 + 2050 * 4, 2049);
      expect(Math.fround(pieces)).toBe(Math.fround(x0.reduce((s, v) => s + Math.fround(v * v), 0)));
      expect(k.norm.total()).toBe(total);
      for (const [where, bad] of [
        [0, Number.NaN],
        [4096, Number.POSITIVE_INFINITY],
        [4098, Number.NEGATIVE_INFINITY],
      ] as const) {
        const x = spread(4099, 1);
        x[where] = bad;
        const at = alloc(x);
        k.norm.reset();
        k.norm.add(at, x.length);
        expect(k.norm.nonFinite(), `${bad} at ${where}`).toBe(1);
        k.norm.reset();
        k.norm.partial(at + 4 * where, x.length - where);
        expect(k.norm.nonFinite(), `partial: ${bad} at ${where}`).toBe(1);
      }
      // A finite value whose square overflows float32: an infinite norm, not a non-finite gradient.
      const at = alloc(Float32Array.of(1, 2, 3e20, 4, 5));
      k.norm.reset();
      k.norm.add(at, 5);
      expect([k.norm.total(), k.norm.nonFinite()]).toEqual([Number.POSITIVE_INFINITY, 0]);
    });
  }

  it('memory growth between steps: the same instance works on the grown memory, old and new tensors', () => {
    const k = fresh('simd');
    const rule = RULES[3]?.[1] as FusedRule;
    const before = runBoth(k, rule, 1, 4097, 7);
    const pages = k.memory.buffer.byteLength / 65536;
    k.memory.grow(64);
    expect(k.memory.buffer.byteLength / 65536).toBe(pages + 64);
    // runWithSize allocates from the start again (the old region) and past it into the new pages.
    const again = runBoth(k, rule, 1, 4097, 7);
    expect(bitDifference(again.wasm, before.js)).toBe('');
    const far = runBoth(k, rule, 1, 100_000, 9);
    expect(bitDifference(far.wasm, far.js)).toBe('');
  });
});

describe.skipIf(currentBackend() !== 'wasm')('the wasm fused step on tfjs-backend-wasm', () => {
  it("finds tfjs's WebAssembly.Memory: its buffer is the backend's heap", () => {
    const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    const memory = tfjsWasmMemory(backend);
    expect(memory).toBeInstanceOf(WebAssembly.Memory);
    expect(memory?.buffer).toBe(backend.wasm.HEAPU8.buffer);
  });

  it('keeps matching the reference path when the heap grows between steps', async () => {
    const memory = tfjsWasmMemory(tf.backend()) as WebAssembly.Memory;
    const grow = () => tf.zeros([(memory.buffer.byteLength / 4) | 0]);
    const big: tf.Tensor[] = [];
    const bytes = memory.buffer.byteLength;
    const path = await expectFusedParity(() => rmsprop({ learningRate: 0.01, centered: true, momentum: 0.5 }), {
      steps: 3,
      grad: (step, k, n) => {
        if (k === 0 && step === 1) big.push(grow()); // allocated between steps 0 and 1
        return spread(n, 100 * step + k);
      },
    });
    expect(path).toBe('fused:GradkitRmsprop');
    expect(memory.buffer.byteLength).toBeGreaterThan(bytes);
    tf.dispose(big);
  });

  it('steps in JavaScript over the same heap where the modules cannot be instantiated, with the same numbers', async () => {
    const backend = tf.backend() as unknown as { dataIdMap: unknown; typedArrayFromHeap: (t: tf.TensorInfo) => unknown };
    // A view of the backend without its Emscripten module: no memory to import, so the JavaScript step runs.
    const withoutModule = { dataIdMap: backend.dataIdMap, typedArrayFromHeap: backend.typedArrayFromHeap.bind(backend) };
    const make = () => ({ w: tf.variable(tf.tensor1d(spread(4099, 1))), b: tf.variable(tf.scalar(0.5)) });
    const [a, b] = [make(), make()];
    const opt = new Optimizer(a, adam({ learningRate: 0.01, amsgrad: true }));
    const slots = ['mu', 'nu', 'nuMax'].map(() => [tf.variable(tf.zerosLike(b.w)), tf.variable(tf.zerosLike(b.b))]);
    const g = { w: tf.tensor1d(spread(4099, 2)), b: tf.scalar(-0.25) };
    opt.step(g);
    expect(opt.lastStepPath).toBe('fused:GradkitAdam');
    const rule: FusedRule = {
      kind: 'adam',
      lr: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0,
      decoupled: false,
      amsgrad: true,
      stepSize: 0.01 / (1 - 0.9),
      bc2Sqrt: Math.sqrt(1 - 0.999),
    };
    wasmStep(withoutModule as unknown as tf.KernelBackend, { rule }, { params: [b.w, b.b], grads: [g.w, g.b], slots });
    expect(Array.from(await b.w.data())).toEqual(Array.from(await a.w.data()));
    expect(Array.from(await b.b.data())).toEqual(Array.from(await a.b.data()));
    opt.dispose();
    tf.dispose([a.w, a.b, b.w, b.b, g.w, g.b, ...slots.flat()]);
  });

  it('plain sgd stays bit-identical to the reference path at 262144 elements', async () => {
    const make = () => ({ w: tf.variable(tf.tensor1d(spread(1 << 18, 3))) });
    const [a, b] = [make(), make()];
    const g = { w: tf.tensor1d(spread(1 << 18, 4)) };
    const fused = new Optimizer(a, sgd({ learningRate: 0.1, weightDecay: 0.01 }));
    const reference = new Optimizer(b, sgd({ learningRate: 0.1, weightDecay: 0.01 }), { fused: false });
    fused.step(g);
    reference.step(g);
    expect(fused.lastStepPath).toBe('fused:GradkitSgd');
    expect(bitDifference([(await a.w.data()) as Float32Array], [(await b.w.data()) as Float32Array])).toBe('');
    fused.dispose();
    reference.dispose();
    tf.dispose([a.w, b.w, g.w]);
  });
});
