// Conv2DBackpropInput (conv2d-backprop-input.ts) against float64 sums worked in conv-reference.ts,
// over the cases the filter kernel's test uses: on the active backend (gradkit's fast path on cpu
// and wasm, tfjs's kernel on webgpu), the cpu fast path called directly in every project (NHWC and
// NCHW), and tf.conv2d's input gradient with fast paths on and off.
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { attrsOf, type Case, cases, data, label, toNchw } from './conv-reference.js';
import { cpuConv2DBackpropInput } from './conv2d-backprop-input.js';
import { CPU_MATMUL_MAX_BYTES, setCpuMatMulMaxBytes } from './cpu-matmul.js';
import { fastPathCalls, setFastPaths } from './registry.js';

await import('@tensorflow/tfjs-backend-cpu');
const cpu = tf.findBackend('cpu') as tf.KernelBackend & { data: { get(id: tf.DataId): { values: Float32Array } } };
const tolerance = { rtol: 1e-4, atol: 1e-4 };
const noOriginal: tf.KernelFunc = () => {
  throw new Error("tfjs's kernel ran");
};

afterEach(() => {
  setFastPaths(true);
  setCpuMatMulMaxBytes(CPU_MATMUL_MAX_BYTES);
});

/** The cpu fast path on the cpu backend's instance; returns dx's values (the data entries checked). */
function onCpu(k: Case, dataFormat: 'NHWC' | 'NCHW', original = noOriginal): Float32Array {
  const { w, dy, dyShape } = data(k);
  const dys = dataFormat === 'NHWC' ? dyShape : [dyShape[0], dyShape[3], dyShape[1], dyShape[2]];
  const before = cpu.numDataIds();
  const inputs = {
    dy: { dataId: cpu.write(dataFormat === 'NHWC' ? dy : toNchw(dy, dyShape), dys as number[], 'float32'), shape: dys as number[], dtype: 'float32' as const },
    filter: { dataId: cpu.write(w, [k.kh, k.kw, k.ci, k.co], 'float32'), shape: [k.kh, k.kw, k.ci, k.co], dtype: 'float32' as const },
  };
  const out = cpuConv2DBackpropInput(original)({ inputs, attrs: attrsOf(k, dataFormat), backend: cpu }) as tf.TensorInfo;
  expect(cpu.numDataIds() - before, 'data entries: the inputs and the output').toBe(3);
  const v = cpu.data.get(out.dataId).values.slice();
  for (const t of [...Object.values(inputs), out]) cpu.disposeData(t.dataId);
  return v;
}

describe('Conv2DBackpropInput', () => {
  it.each(cases)('on the active backend: $b×$h×$w×$ci', async (k) => {
    if ((k.dilation[0] > 1 || k.dilation[1] > 1) && currentBackend() === 'webgpu') return; // tfjs's kernel reads no dilations
    const { w, dy, dyShape, dx } = data(k);
    const calls = fastPathCalls('wasm', 'Conv2DBackpropInput');
    const got = await expectNoLeaks(() =>
      tf.tidy(
        () =>
          tf
            .engine()
            .runKernel('Conv2DBackpropInput', { dy: tf.tensor(dy, dyShape), filter: tf.tensor4d(w, [k.kh, k.kw, k.ci, k.co]) }, attrsOf(k)) as tf.Tensor,
      ),
    );
    expect(got.shape, label(k)).toEqual([k.b, k.h, k.w, k.ci]);
    await expectClose(Array.from(await got.data()), Array.from(dx), { ...tolerance, what: label(k) });
    got.dispose();
    if (currentBackend() === 'wasm') expect(fastPathCalls('wasm', 'Conv2DBackpropInput')).toBe(calls + 1);
  });

  it.each(cases)('the cpu fast path directly, NHWC and NCHW: $b×$h×$w×$ci', async (k) => {
    const { dx } = data(k);
    await expectClose(Array.from(onCpu(k, 'NHWC')), Array.from(dx), { ...tolerance, what: label(k) });
    if (k.b * k.h * k.w < 1000) {
      const [b, h, w, ci] = [k.b, k.h, k.w, k.ci];
      await expectClose(Array.from(onCpu(k, 'NCHW')), Array.from(toNchw(Float32Array.from(dx), [b, h, w, ci])), { ...tolerance, what: `NCHW ${label(k)}` });
    }
  });

  it("hands the call to tfjs's kernel when the matmul module cannot run", () => {
    setCpuMatMulMaxBytes(0);
    let ran = false;
    const marker = new Float32Array([42]);
    onCpu(cases[1] as Case, 'NHWC', () => {
      ran = true;
      return { dataId: cpu.write(marker, [1], 'float32'), shape: [1], dtype: 'float32' };
    });
    expect(ran).toBe(true);
  });

  it('gives tf.conv2d its input gradient, fast paths on and off', async () => {
    const k = cases[6] as Case;
    const { x, w, dx } = data(k);
    for (const on of [true, false]) {
      setFastPaths(on);
      const g = await expectNoLeaks(() =>
        tf.tidy(() => {
          const wt = tf.tensor4d(w, [k.kh, k.kw, k.ci, k.co]);
          const { dy, dyShape } = data(k);
          const pad = attrsOf(k).pad as tf.backend_util.ExplicitPadding;
          return tf.grad((xt) => tf.sum(tf.mul(tf.conv2d(xt as tf.Tensor4D, wt, [...k.stride], pad), tf.tensor(dy, dyShape))))(
            tf.tensor4d(x, [k.b, k.h, k.w, k.ci]),
          );
        }),
      );
      await expectClose(Array.from(await g.data()), Array.from(dx), { ...tolerance, what: `fast paths ${on}` });
      g.dispose();
    }
  });
});
