// Steps are all-or-nothing, and misuse is a typed error before anything changes (issue 12).
import { currentBackend, expectClose, expectTypedRejection } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { DisposedError, GradkitError, HyperParameterError, ValueError } from '../errors.js';
import { heavyBall } from '../fixtures/heavy-ball.js';
import { gpuBufferOf, type WebGpuBackend } from '../kernels/webgpu.js';
import { chain, type GradientTransformation } from '../transform.js';
import { type FusedKernelArgs, registerFusedKernel, unregisterFusedKernel } from './fused.js';
import { Optimizer } from './optimizer.js';

/** Writes `values` into a tensor's buffer in place, as a fused kernel would, on the active backend. */
function writeInPlace(backend: tf.KernelBackend, t: tf.TensorInfo, values: Float32Array): void {
  const name = currentBackend();
  if (name === 'cpu') ((backend as unknown as { data: { get(id: object): { values: Float32Array } } }).data.get(t.dataId).values as Float32Array).set(values);
  else if (name === 'wasm') (backend as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array }).typedArrayFromHeap(t).set(values);
  else {
    const b = backend as unknown as WebGpuBackend & { device: { queue: { writeBuffer(buf: unknown, offset: number, data: Float32Array): void } } };
    const buffer = gpuBufferOf(b, t);
    b.endComputePassEncoder();
    b.ensureCommandEncoderReady();
    b.submitQueue();
    b.device.queue.writeBuffer(buffer, 0, values);
  }
}

const KERNEL = 'GradkitTestWritesThenThrows';

describe('Optimizer steps are all-or-nothing', () => {
  afterEach(() => unregisterFusedKernel(KERNEL, currentBackend()));

  for (const atomic of [false, true]) {
    it(`a fused kernel (atomic: ${atomic}) that writes parameters and slots and then throws: ${atomic ? 'the runner trusts it (no copy made)' : 'nothing changed'}`, async () => {
      let calls = 0;
      registerFusedKernel({
        kernelName: KERNEL,
        backendName: currentBackend(),
        pattern: ['heavyBall'],
        slots: () => [['velocity']],
        atomic,
        kernelFunc: ({ backend, params, slots }: FusedKernelArgs) => {
          calls++;
          writeInPlace(backend, params[0] as tf.TensorInfo, new Float32Array([99, 99]));
          writeInPlace(backend, slots[0]?.[0] as tf.TensorInfo, new Float32Array([7, 7]));
          throw new GradkitError('TEST', 'the kernel failed after writing');
        },
      });
      const params = { w: tf.variable(tf.tensor1d([1, 2])) };
      const opt = new Optimizer(params, heavyBall(0.1, 0.9));
      const g = { w: tf.tensor1d([1, 1]) };
      const before = await opt.saveState();
      expect(() => opt.step(g)).toThrow(/failed after writing/);
      expect(calls).toBe(1);
      if (!atomic) {
        // Without the restore, w would read [99, 99] and the velocity [7, 7].
        await expectClose(params.w, [1, 2], { rtol: 0, atol: 0 });
        expect(await opt.saveState()).toEqual(before);
        expect(opt.stepCount).toBe(0);
      } else {
        // The contract of an atomic kernel is to throw before writing; this one breaks it, and its write shows.
        await expectClose(params.w, [99, 99], { rtol: 0, atol: 0 });
      }
      opt.dispose();
      tf.dispose([params.w, g.w]);
    });
  }

  it('a parameter disposed under a live optimizer: DisposedError naming its path, before any kernel runs', async () => {
    const params = { layer: { w: tf.variable(tf.tensor1d([1, 2])), b: tf.variable(tf.scalar(0)) } };
    const opt = new Optimizer(params, heavyBall(0.1, 0.9));
    const g = { layer: { w: tf.tensor1d([1, 1]), b: tf.scalar(1) } };
    opt.step(g);
    params.layer.b.dispose();
    const keep = tf.variable(tf.tensor1d([5, 6])); // a new tensor that may reuse the freed memory
    let error: unknown;
    try {
      opt.step(g);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DisposedError);
    expect((error as DisposedError).what).toBe('layer.b');
    await expectClose(keep, [5, 6], { rtol: 0, atol: 0 });
    await expectClose(params.layer.w, [0.9, 1.9]);
    expect(opt.stepCount).toBe(1);
    opt.dispose();
    tf.dispose([params.layer.w, keep, g.layer.w, g.layer.b]);
  });

  it('minimize of a loss that depends on no parameter: ValueError naming loss, no step (tfjs throws there too)', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const elsewhere = tf.variable(tf.tensor1d([3, 4]));
    const opt = new Optimizer(params, heavyBall(0.1, 0.9));
    await opt.minimize((p) => tf.sum(tf.square(p.w))); // momentum now non-zero
    const state = await opt.saveState();
    const before = tf.memory().numTensors;
    await expect(opt.minimize(() => tf.sum(tf.square(elsewhere)))).rejects.toThrow(ValueError);
    await expect(opt.minimize(() => tf.sum(tf.square(elsewhere)))).rejects.toThrow(/does not depend on any/);
    expect(tf.memory().numTensors).toBe(before);
    expect(await opt.saveState()).toEqual(state);
    // w moved once: w − 0.1·2w = 0.8 w
    await expectClose(params.w, [0.8, 1.6]);
    opt.dispose();
    tf.dispose([params.w, elsewhere]);
  });

  it('a step whose last part throws resolves `committed` to false; a good one to true', async () => {
    const seen: boolean[] = [];
    const watch: GradientTransformation = {
      name: 'watch',
      options: {},
      init: () => ({}),
      update: (grads, state, _p, extras) => {
        void extras?.committed?.then((ok) => seen.push(ok));
        return { updates: grads, state };
      },
    };
    let fail = false;
    const failing: GradientTransformation = {
      name: 'failing',
      options: {},
      init: () => ({}),
      update: (grads, state) => {
        if (fail) throw new GradkitError('TEST', 'fails');
        return { updates: grads, state };
      },
    };
    const params = { w: tf.variable(tf.scalar(1)) };
    const opt = new Optimizer(params, chain(watch, failing, heavyBall(0.1, 0)));
    const g = { w: tf.scalar(1) };
    opt.step(g);
    fail = true;
    expect(() => opt.step(g)).toThrow(/fails/);
    await Promise.resolve();
    await Promise.resolve();
    expect(seen).toEqual([true, false]);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('refuses masked(...) alone, which would add raw gradients to the parameters it does not select', () => {
    const params = { w: tf.variable(tf.scalar(1)) };
    const fakeMasked: GradientTransformation = { name: 'masked', options: {}, init: () => ({}), update: (g, s) => ({ updates: g, state: s }) };
    expect(() => new Optimizer(params, fakeMasked)).toThrow(HyperParameterError);
    expect(() => new Optimizer(params, fakeMasked)).toThrow(/gradient ascent.*partition/);
    const ok = new Optimizer(params, chain(fakeMasked, heavyBall(0.1, 0)));
    ok.dispose();
    params.w.dispose();
  });

  it('saveState is a consistent snapshot while steps run, and survives dispose() during it', async () => {
    const params = { a: tf.variable(tf.tensor1d([1, 2, 3])), b: tf.variable(tf.scalar(4)) };
    const opt = new Optimizer(params, chain(heavyBall(0.1, 0.9), heavyBall(0.2, 0.5)));
    const g = { a: tf.tensor1d([1, -1, 2]), b: tf.scalar(3) };
    opt.step(g);
    const reference = await opt.saveState();
    const racing = opt.saveState();
    for (let i = 0; i < 5; i++) await opt.minimize((p) => tf.add(tf.sum(tf.square(p.a)), p.b));
    expect(await racing).toEqual(reference);
    const during = opt.saveState();
    opt.dispose();
    expect(await during).toEqual(await during);
    expect((await during).stepCount).toBe(6);
    tf.dispose([params.a, params.b, g.a, g.b]);
  });
});

describe('Optimizer rejects careless calls with typed errors', () => {
  const params = () => ({ w: tf.variable(tf.scalar(1)) });
  const cases: { input: string; names: string; run: () => unknown }[] = [
    { input: 'new Optimizer(params, adam) (the factory, not called)', names: 'transform', run: () => new Optimizer(params(), ((o: object) => o) as never) },
    { input: 'new Optimizer(params, null)', names: 'transform', run: () => new Optimizer(params(), null as never) },
    { input: 'new Optimizer(null, tx)', names: 'params', run: () => new Optimizer(null as never, heavyBall(0.1, 0)) },
    {
      input: 'new Optimizer(params, tx, { fussed: false })',
      names: 'fussed',
      run: () => new Optimizer(params(), heavyBall(0.1, 0), { fussed: false } as never),
    },
    { input: "opt.minimize('loss')", names: 'loss', run: () => new Optimizer(params(), heavyBall(0.1, 0)).minimize('loss' as never) },
    {
      input: 'opt.step(grads, { los: l })',
      names: 'los',
      run: () => new Optimizer(params(), heavyBall(0.1, 0)).step({ w: tf.scalar(1) }, { los: 1 } as never),
    },
    { input: 'opt.reportMetric(NaN)', names: 'metric', run: () => new Optimizer(params(), heavyBall(0.1, 0)).reportMetric(Number.NaN) },
  ];
  for (const c of cases) it(c.input, async () => expect(await expectTypedRejection(c)).toBe('typed'));
});
