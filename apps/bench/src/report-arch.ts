// The architecture benchmark's tables, method and targets (issue 14), from the result files.
// Type-only imports of the benchmark: main.ts loads this file and never loads tfjs.
import type { ArchResult } from './arch.js';
import { ARCH_VARIANTS, type ArchVariant } from './arch-names.js';
import { count, ms, ratioText, spread, table } from './format.js';
import type { TargetCheck } from './report.js';
import { inCell } from './report-peer.js';

/** What the tables need of one backend's result (`arch` is absent in files written before issue 14). */
export interface ArchBackend {
  readonly backend: string;
  readonly arch?: readonly ArchResult[];
}

/** Column headings of the variants. */
const HEADINGS: Readonly<Record<ArchVariant, string>> = {
  gradkit: 'gradkit `minimize`',
  'tfjs-layers': 'tfjs-layers `trainOnBatch` (without gradkit)',
  'tfjs-layers + gradkit': 'tfjs-layers + gradkit kernels',
};

/** A ratio as `1.10×`, or `–`. */

/** Bytes as MiB with 3 significant digits. */
export function mib(bytes: number): string {
  const v = bytes / 2 ** 20;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} MiB`;
}

/** A variant's time cell, or why it did not run. */
function timeCell(a: ArchResult, v: ArchVariant): string {
  const s = a.variants[v];
  return s ? spread(s) : `n/a: ${inCell(a.unavailable[v] ?? 'not run')}`;
}

/** Whether the checked losses agree, over the variants compared. */
function lossCell(a: ArchResult): string {
  const c = a.lossCheck;
  if (c.compared.length < 2) return `not compared${c.note ? ` (${c.note})` : ''}`;
  const worst = Math.max(...c.spread);
  const text = `${c.pass ? 'yes' : '**NO**'}: ≤ ${worst.toExponential(1)} (steps ${c.steps.join(', ')}; ${c.compared.join(', ')})`;
  return a.model === 'gru' ? `${text}; gradkit not compared: different GRU equations` : text;
}

/** All rows of `results`, one per backend and net. */
const rowsOf = (results: readonly ArchBackend[]) => results.flatMap((r) => (r.arch ?? []).map((a) => ({ backend: r.backend, a })));

/** The architecture table: ms per step of every variant, the ratios, the loss check. */
export function archTable(results: readonly ArchBackend[]): string {
  return table(
    [
      'backend',
      'net (parameters)',
      ...ARCH_VARIANTS.map((v) => HEADINGS[v]),
      'gradkit vs tfjs-layers',
      'gradkit vs tfjs-layers + gradkit',
      'tfjs-layers with ÷ without gradkit',
      'losses agree',
      'samples × steps',
    ],
    rowsOf(results).map(({ backend, a }) => [
      backend,
      `${a.label} (${count(a.config.params)})`,
      ...ARCH_VARIANTS.map((v) => timeCell(a, v)),
      `**${ratioText(a.ratios.gradkitOverLayers)}**`,
      ratioText(a.ratios.gradkitOverLayersWithGradkit),
      ratioText(a.ratios.layersFastPaths),
      lossCell(a),
      `${a.variants.gradkit?.samples ?? 0} × ${a.config.stepsPerSample}`,
    ]),
  );
}

/** Peak tensor memory of one step per variant, and tensors a step leaves behind. */
export function archMemoryTable(results: readonly ArchBackend[]): string {
  return table(
    ['backend', 'net', ...ARCH_VARIANTS.map((v) => `${v}: peak (new tensors)`)],
    rowsOf(results).map(({ backend, a }) => [
      backend,
      a.model,
      ...ARCH_VARIANTS.map((v) => {
        const m = a.memory[v];
        return m ? `${mib(m.peakBytes)} (${m.newTensors})` : '–';
      }),
    ]),
  );
}

/** Every variant's loss at every checked step. */
export function archLossTable(results: readonly ArchBackend[]): string {
  const rows = rowsOf(results).flatMap(({ backend, a }) =>
    a.lossCheck.steps.map((step, i) => [
      backend,
      a.model,
      String(step),
      ...ARCH_VARIANTS.map((v) => a.lossCheck.all[v]?.[i]?.toPrecision(8) ?? '–'),
      a.lossCheck.compared.length < 2 ? '–' : (a.lossCheck.spread[i] as number).toExponential(1),
    ]),
  );
  return table(['backend', 'net', 'step', ...ARCH_VARIANTS, 'spread over the compared'], rows);
}

/** The method, for the README. */
export function archMethod(a: ArchResult): string {
  const h = a.config.adam;
  return `One training step (forward, backward, Adam with learning rate ${h.learningRate}, β₁ ${h.beta1}, β₂ ${h.beta2}, ε ${h.epsilon} on both sides, the loss read back) of the same net in **gradkit** (\`await opt.minimize(loss)\` over \`@gradkit/nn\` modules: \`conv2d\`, \`maxPool2d\`, \`flatten\`, \`dense\`, \`lstm\`, \`gru\`, \`transformerBlock\`, with \`softmaxCrossEntropy\` or \`meanSquaredError\`, and \`@gradkit/optimizers\`' adam) and in **tfjs-layers** (\`await model.trainOnBatch(x, y)\` of a \`tf.sequential\` compiled with \`tf.train.adam\`), in one Node process per backend. Nets: the conv net of tfjs-examples' mnist \`createConvModel\` (conv 3×3 16 ReLU, max-pool 2, conv 3×3 32 ReLU, max-pool 2, conv 3×3 32 ReLU, flatten, dense 64 ReLU, dense 10; softmax cross-entropy on the logits, \`tf.losses.softmaxCrossEntropy\` on the tfjs-layers side) on 28×28×1 images; an LSTM and a GRU over 100 time steps of 8 features, hidden 64, the last hidden state → dense 1, mean squared error (tfjs-layers' \`recurrentActivation: 'sigmoid'\`, PyTorch's gates, instead of its default hard sigmoid); a 2-block pre-norm transformer encoder (dim 64, 4 heads, ffn 256, gelu, no dropout; PyTorch's \`TransformerEncoderLayer(norm_first=True)\`) over 64 tokens of 64 features, the mean token → dense 10, softmax cross-entropy. tfjs-layers 4.22 has no multi-head attention or transformer layer: its side is a custom \`tf.layers.Layer\` of tf ops (\`src/layers-transformer.ts\`: LayerNorm from \`tf.moments\`, attention from \`matMul\` and \`softmax\`, gelu from \`erf\`), as a tfjs-layers user would write it, then \`globalAveragePooling1d\` and \`dense\`. Inputs uniform in [0, 1), one-hot labels or targets uniform in [−1, 1), ${a.config.batches} minibatches cycled, all from a seed. The tfjs-layers models start from gradkit's initial weights (dense and conv kernels have the same layouts, \`[in, out]\` and \`[kh, kw, in, out]\`; the LSTM's gates are in the same order, PyTorch's i, f, g, o = Keras' i, f, c, o; the GRU's blocks are reordered r, z, n → z, r, h, but tfjs-layers' GRU resets before the recurrent matmul and has no recurrent bias — \`resetAfter: true\` throws there — so its function differs from gradkit's, PyTorch's, and its loss is not compared with gradkit's). **tfjs-layers** is tfjs-layers alone: gradkit's fast paths off (\`setFastPaths(false)\`) and the kernels gradkit supplies where tfjs has none (\`kind: 'missing'\` in \`fastPaths()\`, such as wasm's \`Conv2DBackpropFilter\`, which stay registered with fast paths off) unregistered while it runs; **tfjs-layers + gradkit** has both, which is what a tfjs-layers user gets from calling \`useBackend\`. Before timing, a fresh copy of every variant trains and the losses of the variants that train the same function are compared at the checked steps: a spread (max − min) ÷ min over ${a.lossCheck.tolerance.toExponential(0)} fails the run. Then the variants take samples in a rotating order, round by round. Cells: ms per step, median (p10–p90); ratios > 1: gradkit (or the first-named) is faster. A variant that throws is shown with its error (tfjs-layers alone cannot train a conv net on wasm: tfjs-backend-wasm has no \`Conv2DBackpropFilter\`).

Peak tensor memory: one more step of each variant under \`tf.profile\` (tfjs's per-kernel NaN check off), \`peakBytes\` − \`tf.memory().numBytes\` before the step: the most bytes of tfjs tensors alive at the end of any kernel of the step beyond those alive before it (activations kept for the backward pass, gradients, temporaries; not the weights and optimizer state that persist between steps, nor scratch memory a kernel allocates outside tfjs's tensors). New tensors: tensors alive after the step that were not before (0: no leak).`;
}

/** Issue 14's target on one backend: gradkit at least as fast as tfjs-layers on every net. */
export function archChecks(backend: string, arch: readonly ArchResult[] | undefined): TargetCheck[] {
  return (arch ?? []).map((a) => {
    const g = a.variants.gradkit;
    const alone = a.variants['tfjs-layers'];
    const withGradkit = a.variants['tfjs-layers + gradkit'];
    const target = `arch, ${a.model}: gradkit's training step at least as fast as tfjs-layers'`;
    if (!g) return { backend, target, measured: inCell(`gradkit did not run: ${a.unavailable.gradkit ?? 'not run'}`), pass: null };
    if (alone)
      return {
        backend,
        target,
        measured: `${ratioText(alone.median / g.median)} (${ms(g.median)} vs ${ms(alone.median)} ms/step)`,
        pass: alone.median >= g.median,
      };
    if (withGradkit)
      return {
        backend,
        target,
        measured: inCell(
          `tfjs-layers alone cannot train it (${a.unavailable['tfjs-layers'] ?? 'not run'}); with gradkit's kernels ${ratioText(withGradkit.median / g.median)} (${ms(g.median)} vs ${ms(withGradkit.median)} ms/step)`,
        ),
        pass: withGradkit.median >= g.median,
      };
    return { backend, target, measured: 'tfjs-layers did not run', pass: null };
  });
}
