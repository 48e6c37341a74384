// The cpu Conv2D fast path (cpu-conv2d.ts) against float64 convolutions worked in conv-reference.ts,
// over the conv cases of the gradient kernels' tests (strides, dilations, SAME/VALID/explicit pads,
// several im2col chunks): called directly on the cpu backend in every project, and through
// tf.conv2d on the active backend with fast paths on and off.
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { attrsOf, type Case, cases, convForward, data, label } from './conv-reference.js';
import { cpuConv2D } from './cpu-conv2d.js';
import { setFastPaths } from './registry.js';

await import('@tensorflow/tfjs-backend-cpu');
const cpu = tf.findBackend('cpu') as tf.KernelBackend & { data: { get(id: tf.DataId): { values: Float32Array } } };
const tolerance = { rtol: 1e-4, atol: 1e-4 };

afterEach(() => setFastPaths(true));

describe('cpu Conv2D', () => {
  it.each(cases)('the fast path directly: $b×$h×$w×$ci', async (k) => {
    const { x, w, dyShape } = data(k);
    const before = cpu.numDataIds();
    const inputs = {
      x: { dataId: cpu.write(x, [k.b, k.h, k.w, k.ci], 'float32'), shape: [k.b, k.h, k.w, k.ci], dtype: 'float32' as const },
      filter: { dataId: cpu.write(w, [k.kh, k.kw, k.ci, k.co], 'float32'), shape: [k.kh, k.kw, k.ci, k.co], dtype: 'float32' as const },
    };
    const out = cpuConv2D(() => {
      throw new Error("tfjs's kernel ran");
    })({ inputs, attrs: attrsOf(k), backend: cpu }) as tf.TensorInfo;
    expect(out.shape).toEqual(dyShape);
    expect(cpu.numDataIds() - before, 'data entries: the inputs and the output').toBe(3);
    const v = cpu.data.get(out.dataId).values.slice();
    for (const t of [...Object.values(inputs), out]) cpu.disposeData(t.dataId);
    await expectClose(Array.from(v), Array.from(convForward(k, k.ci, k.co, x, w)), { ...tolerance, what: label(k) });
  });

  it('hands NCHW to tfjs', () => {
    const k = cases[1] as Case;
    let ran = false;
    const shape = [k.b, k.ci, k.h, k.w];
    const x = { dataId: cpu.write(new Float32Array(k.b * k.ci * k.h * k.w), shape, 'float32'), shape, dtype: 'float32' as const };
    const filter = {
      dataId: cpu.write(new Float32Array(k.kh * k.kw * k.ci * k.co), [k.kh, k.kw, k.ci, k.co], 'float32'),
      shape: [k.kh, k.kw, k.ci, k.co],
      dtype: 'float32' as const,
    };
    const marker = { dataId: cpu.write(new Float32Array(1), [1], 'float32'), shape: [1], dtype: 'float32' as const };
    cpuConv2D(() => {
      ran = true;
      return marker;
    })({ inputs: { x, filter }, attrs: attrsOf(k, 'NCHW'), backend: cpu });
    expect(ran).toBe(true);
    for (const t of [x, filter, marker]) cpu.disposeData(t.dataId);
  });

  it('tf.conv2d on the active backend, fast paths on and off', async () => {
    const k = cases[6] as Case;
    const { x, w } = data(k);
    for (const on of [true, false]) {
      setFastPaths(on);
      const y = await expectNoLeaks(() =>
        tf.tidy(() =>
          tf.conv2d(
            tf.tensor4d(x, [k.b, k.h, k.w, k.ci]),
            tf.tensor4d(w, [k.kh, k.kw, k.ci, k.co]),
            [...k.stride],
            attrsOf(k).pad as tf.backend_util.ExplicitPadding,
          ),
        ),
      );
      await expectClose(Array.from(await y.data()), Array.from(convForward(k, k.ci, k.co, x, w)), { ...tolerance, what: `fast paths ${on}` });
      y.dispose();
    }
  });
});
