// Conv2DBackpropFilter (conv2d-backprop-filter.ts) against float64 sums worked in conv-reference.ts:
// strides, dilations, SAME/VALID/explicit pads, NCHW, odd shapes, several im2col chunks. The kernel
// runs on the active backend (gradkit's on cpu and wasm, tfjs's own on webgpu), and the cpu fast path
// is called directly on the cpu backend in every project.
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { attrsOf, type Case, cases, data, label, toNchw } from './conv-reference.js';
import { cpuConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { CPU_MATMUL_MAX_BYTES, setCpuMatMulMaxBytes } from './cpu-matmul.js';
import { fastPaths, setFastPaths } from './registry.js';

await import('@tensorflow/tfjs-backend-cpu');
const cpu = tf.findBackend('cpu') as tf.KernelBackend & { data: { get(id: tf.DataId): { values: Float32Array } } };

afterEach(() => {
  setFastPaths(true);
  setCpuMatMulMaxBytes(CPU_MATMUL_MAX_BYTES);
});

const tolerance = { rtol: 1e-4, atol: 1e-4 };

describe('Conv2DBackpropFilter', () => {
  const dilated = (k: Case) => k.dilation[0] > 1 || k.dilation[1] > 1;
  it.each(cases)('on the active backend: $b×$h×$w×$ci', async (k) => {
    // tfjs's own kernels (webgpu's) ignore a dilations attr: tfjs's gradient never sets one.
    if (dilated(k) && currentBackend() === 'webgpu') return;
    const { x, dy, dyShape, dW } = data(k);
    const got = await expectNoLeaks(() =>
      tf.tidy(
        () => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, [k.b, k.h, k.w, k.ci]), dy: tf.tensor(dy, dyShape) }, attrsOf(k)) as tf.Tensor,
      ),
    );
    expect(got.shape, label(k)).toEqual([k.kh, k.kw, k.ci, k.co]);
    await expectClose(Array.from(await got.data()), Array.from(dW), { ...tolerance, what: label(k) });
    got.dispose();
  });

  it.each(cases.filter((k) => k.b * k.h * k.w < 1000))('NCHW on the cpu kernel: $b×$h×$w×$ci', async (k) => {
    const { x, dy, dyShape, dW } = data(k);
    const xs = [k.b, k.ci, k.h, k.w];
    const dys = [dyShape[0], dyShape[3], dyShape[1], dyShape[2]] as number[];
    const out = cpuConv2DBackpropFilter(() => {
      throw new Error("tfjs's kernel ran");
    })({
      inputs: {
        x: { dataId: cpu.write(toNchw(x, [k.b, k.h, k.w, k.ci]), xs, 'float32'), shape: xs, dtype: 'float32' },
        dy: { dataId: cpu.write(toNchw(dy, dyShape), dys, 'float32'), shape: dys, dtype: 'float32' },
      },
      attrs: attrsOf(k, 'NCHW'),
      backend: cpu,
    }) as tf.TensorInfo;
    const v = cpu.data.get(out.dataId).values;
    cpu.disposeData(out.dataId);
    await expectClose(Array.from(v), Array.from(dW), { ...tolerance, what: `NCHW ${label(k)}` });
  });

  it.each(cases)('the cpu fast path directly, NHWC: $b×$h×$w×$ci', async (k) => {
    const { x, dy, dyShape, dW } = data(k);
    const xs = [k.b, k.h, k.w, k.ci];
    const [before, ids] = [cpu.numDataIds(), [cpu.write(x, xs, 'float32'), cpu.write(dy, dyShape, 'float32')]];
    const out = cpuConv2DBackpropFilter(() => {
      throw new Error("tfjs's kernel ran");
    })({
      inputs: { x: { dataId: ids[0] as tf.DataId, shape: xs, dtype: 'float32' }, dy: { dataId: ids[1] as tf.DataId, shape: dyShape, dtype: 'float32' } },
      attrs: attrsOf(k),
      backend: cpu,
    }) as tf.TensorInfo;
    expect(cpu.numDataIds() - before, 'data entries: the inputs and the output').toBe(3);
    const v = cpu.data.get(out.dataId).values.slice();
    for (const id of [...ids, out.dataId]) cpu.disposeData(id as tf.DataId);
    await expectClose(Array.from(v), Array.from(dW), { ...tolerance, what: label(k) });
  });

  it("hands the call to tfjs's kernel on cpu when the matmul module cannot run, and sums in loops on wasm", async () => {
    setCpuMatMulMaxBytes(0);
    const k = cases[5] as Case;
    const { x, dy, dyShape, dW } = data(k);
    let ran = false;
    const xs = [k.b, k.h, k.w, k.ci];
    const inputs = {
      x: { dataId: cpu.write(x, xs, 'float32'), shape: xs, dtype: 'float32' as const },
      dy: { dataId: cpu.write(dy, dyShape, 'float32'), shape: dyShape, dtype: 'float32' as const },
    };
    const marker = { dataId: cpu.write(new Float32Array(1), [1], 'float32'), shape: [1], dtype: 'float32' as const };
    const out = cpuConv2DBackpropFilter(() => {
      ran = true;
      return marker;
    })({ inputs, attrs: attrsOf(k), backend: cpu });
    expect(ran && out === marker).toBe(true);
    for (const t of [...Object.values(inputs), marker]) cpu.disposeData(t.dataId);
    if (currentBackend() !== 'wasm') return;
    const got = tf.tidy(
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, [k.b, k.h, k.w, k.ci]), dy: tf.tensor(dy, dyShape) }, attrsOf(k)) as tf.Tensor,
    );
    await expectClose(Array.from(await got.data()), Array.from(dW), { ...tolerance, what: `loops: ${label(k)}` });
    got.dispose();
  });

  it('gives tf.conv2d and tf.conv1d their weight gradients on the active backend, fast paths on and off', async () => {
    const k = cases[6] as Case;
    const { x, dy, dyShape, dW } = data(k);
    const k1 = cases[8] as Case;
    const one = data(k1);
    for (const on of [true, false]) {
      setFastPaths(on);
      const [g, g1] = await expectNoLeaks(() =>
        tf.tidy(() => {
          const xt = tf.tensor4d(x, [k.b, k.h, k.w, k.ci]);
          const dyt = tf.tensor(dy, dyShape);
          const pad = attrsOf(k).pad as tf.backend_util.ExplicitPadding;
          const g = tf.grad((w) => tf.sum(tf.mul(tf.conv2d(xt, w as tf.Tensor4D, [...k.stride], pad), dyt)))(tf.zeros([k.kh, k.kw, k.ci, k.co]));
          const x1 = tf.tensor3d(one.x, [k1.h * k1.b, k1.w, k1.ci]);
          const dy1 = tf.tensor(one.dy, [one.dyShape[0] as number, one.dyShape[2] as number, k1.co]);
          const g1 = tf.grad((w) => tf.sum(tf.mul(tf.conv1d(x1, w as tf.Tensor3D, k1.stride[1], 'valid'), dy1)))(tf.zeros([k1.kw, k1.ci, k1.co]));
          return [g, g1] as const;
        }),
      );
      await expectClose(Array.from(await g.data()), Array.from(dW), { ...tolerance, what: `conv2d, fast paths ${on}` });
      await expectClose(Array.from(await g1.data()), Array.from(one.dW), { ...tolerance, what: `conv1d, fast paths ${on}` });
      tf.dispose([g, g1]);
    }
  });

  it('is listed: a cpu fast path and a kernel wasm lacks', () => {
    const listed = fastPaths().filter((p) => p.kernelName === 'Conv2DBackpropFilter');
    expect(listed.map((p) => [p.backend, p.kind])).toEqual([
      ['cpu', 'fast'],
      ['wasm', 'missing'],
    ]);
    if (currentBackend() !== 'webgpu') expect(listed.find((p) => p.backend === currentBackend())?.installed).toBe(true);
  });
});
