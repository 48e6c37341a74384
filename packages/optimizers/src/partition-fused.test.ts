// `partition` on the fused path: one real fused kernel per group, the same numbers as the reference
// path (issue 12: "AdamW, no decay on biases and norm gains, lower rate for the head" in one line,
// fused). And keys named like Object.prototype's members on the fused path (the wasm step used to
// write half of such a step).
import { Optimizer, partition, setToZero } from '@gradkit/core';
import { expectClose, expectFusedParity } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adamw, lion, sgd } from './index.js';

// expectFusedParity's parameters are p0 … p4 with shapes [], [1], [3], [5, 7], [4097].
const label = (path: string) => (path === 'p3' ? 'decay' : path === 'p4' ? 'head' : 'noDecay');

describe('partition, fused', () => {
  it('AdamW with and without weight decay and a lower head rate: one fused kernel per group, the reference numbers', async () => {
    const path = await expectFusedParity(() =>
      partition(
        {
          decay: adamw({ learningRate: 1e-2, weightDecay: 0.05 }),
          noDecay: adamw({ learningRate: 1e-2, weightDecay: 0 }),
          head: adamw({ learningRate: 1e-3, weightDecay: 0.05 }),
        },
        label,
      ),
    );
    expect(path).toBe('fused:GradkitAdamw');
  });

  it('groups with different rules (sgd, lion) and a frozen group', async () => {
    const path = await expectFusedParity(() =>
      partition({ decay: sgd({ learningRate: 0.1, momentum: 0.9 }), head: lion({ learningRate: 1e-3 }), noDecay: setToZero() }, label),
    );
    expect(path).toMatch(/^fused:(GradkitSgd\+GradkitLion|GradkitLion\+GradkitSgd)$/);
  });

  it("parameters named 'constructor' and 'toString' step fully on the fused path", async () => {
    const params = { constructor: tf.variable(tf.tensor1d([1, 2, 3])), toString: tf.variable(tf.tensor1d([4, 5])) } as unknown as Record<string, tf.Variable>;
    const opt = new Optimizer(params, sgd({ learningRate: 0.5 }));
    const grads = { toString: tf.tensor1d([2, 2]), constructor: tf.tensor1d([1, 1, 1]) } as unknown as Record<string, tf.Tensor>;
    opt.step(grads);
    expect(opt.lastStepPath).toBe('fused:GradkitSgd');
    await expectClose(params.constructor as unknown as tf.Variable, [0.5, 1.5, 2.5]);
    await expectClose(params.toString as unknown as tf.Variable, [3, 4]);
    opt.dispose();
    tf.dispose([...Object.values(params), ...Object.values(grads)] as unknown as tf.Tensor[]);
  });
});
