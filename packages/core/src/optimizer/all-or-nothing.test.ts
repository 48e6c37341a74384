// Steps are all-or-nothing, and misuse is a typed error before anything changes (issue 12).
import { currentBackend, expectClose, expectTypedRejection } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { DisposedError, GradkitError, HyperParameterError, ValueError } from '../errors.js';
import { heavyBall } from '../fixtures/heavy-ball.js';
import { gpuBufferOf, type WebGpuBackend } from '../kernels/webgpu.js';
import { partition } from '../partition.js';
import { chain, type GradientTransformation } from '../transform.js';
import { map } from '../tree.js';
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
    let kernelCalls = 0;
    registerFusedKernel({
      kernelName: KERNEL,
      backendName: currentBackend(),
      pattern: ['heavyBall'],
      slots: () => [['velocity']],
      kernelFunc: () => void kernelCalls++,
    });
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
    expect(kernelCalls).toBe(0);
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
    const before = await opt.saveState();
    const during = opt.saveState();
    opt.dispose();
    expect(await during).toEqual(before);
    expect(before.stepCount).toBe(6);
    tf.dispose([params.a, params.b, g.a, g.b]);
  });

  it('a partition whose second kernel refuses its inputs: the first group is not written either', async () => {
    const seen: string[] = [];
    const write = (name: string, refuse: boolean) =>
      registerFusedKernel({
        kernelName: name,
        backendName: currentBackend(),
        pattern: [name === KERNEL ? 'heavyBall' : 'boom'],
        slots: () => [[name === KERNEL ? 'velocity' : 'v']],
        atomic: true,
        validate: () => {
          if (refuse) throw new GradkitError('TEST', `${name} refuses its inputs`);
        },
        kernelFunc: ({ backend, params }: FusedKernelArgs) => {
          seen.push(name);
          if (refuse) throw new GradkitError('TEST', `${name} refuses its inputs`);
          writeInPlace(backend, params[0] as tf.TensorInfo, new Float32Array([99, 99]));
        },
      });
    write(KERNEL, false);
    write('GradkitTestBoom', true);
    const boom: GradientTransformation = { ...heavyBall(0.1, 0), name: 'boom', init: (p) => ({ count: 0, v: map(p, (x) => tf.zerosLike(x)) }) };
    const params = { a: tf.variable(tf.tensor1d([1, 2])), b: tf.variable(tf.tensor1d([3, 4])) };
    const opt = new Optimizer(
      params,
      partition({ x: heavyBall(0.1, 0.9), y: boom }, (path) => (path === 'a' ? 'x' : 'y')),
    );
    const g = { a: tf.tensor1d([1, 1]), b: tf.tensor1d([1, 1]) };
    expect(() => opt.step(g)).toThrow(/refuses its inputs/);
    expect(seen).toEqual([]); // validated before any kernel ran
    await expectClose(params.a, [1, 2], { rtol: 0, atol: 0 });
    expect(opt.stepCount).toBe(0);
    opt.dispose();
    unregisterFusedKernel('GradkitTestBoom', currentBackend());
    tf.dispose([params.a, params.b, g.a, g.b]);
  });

  it('the reference path: a state variable moved to another slot is read before any slot is written', async () => {
    // prev ← cur; cur ← cur + g; the update is −prev (the running sum two steps back). cur comes first
    // in the state, so assigning it before reading prev would hand prev the new sum.
    const lag: GradientTransformation = {
      name: 'lag',
      options: {},
      init: (p) => ({ cur: map(p, (x) => tf.zerosLike(x)), prev: map(p, (x) => tf.zerosLike(x)) }),
      update: (grads, state) => {
        const s = state as { prev: { w: tf.Tensor }; cur: { w: tf.Tensor } };
        const cur = tf.add(s.cur.w, (grads as { w: tf.Tensor }).w);
        return { updates: { w: tf.neg(s.prev.w) }, state: { cur: { w: cur }, prev: { w: s.cur.w } } };
      },
    };
    const params = { w: tf.variable(tf.scalar(0)) };
    const opt = new Optimizer(params, lag);
    const g = { w: tf.scalar(1) };
    for (let i = 0; i < 3; i++) opt.step(g); // prev before each step: 0, 0, 1 → w = −1
    await expectClose(params.w, -1);
    const loss = tf.scalar(5);
    opt.step(g, { loss });
    expect(loss.isDisposed).toBe(false);
    opt.dispose();
    tf.dispose([params.w, g.w, loss]);
  });

  it("refuses masked(...) wherever it would be a parameter's whole treatment (in a wrapper, in a partition group)", () => {
    const params = { w: tf.variable(tf.scalar(1)) };
    const fakeMasked: GradientTransformation = { name: 'masked', options: {}, init: () => ({}), update: (g, s) => ({ updates: g, state: s }) };
    const wrapper: GradientTransformation = { ...fakeMasked, name: 'guard', inner: fakeMasked, init: () => ({ inner: {} }) };
    expect(() => new Optimizer(params, wrapper)).toThrow(/gradient ascent/);
    expect(
      () =>
        new Optimizer(
          params,
          partition({ a: fakeMasked }, () => 'a'),
        ),
    ).toThrow(/gradient ascent/);
    new Optimizer(
      params,
      partition({ a: chain(fakeMasked, heavyBall(0.1, 0)) }, () => 'a'),
    ).dispose();
    params.w.dispose();
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
