// The results of the issue-16 benchmark (modern.ts) as Markdown: the optimizer-step rows beside
// tf.train.adam, Newton–Schulz's cost, and the training step of the peer's MLP with each optimizer.
import { spread, table, times } from './format.js';
import type { ModernResult } from './modern.js';
import { optimizerTable } from './report.js';

/** A result with the modern benchmark (a structural subset of BackendResult). */
interface WithModern {
  readonly modern?: ModernResult | null;
}

/** How the modern benchmark measures, for the README. */
export const MODERN_METHOD = [
  "Optimizer step: gradkit's `Optimizer.step` with adopt (lr 1e-3), scheduleFreeAdamW (lr 2.5e-3), muon (lr 0.02; every parameter here is a matrix) and cautious(adamw) (lr 1e-3), measured as the optimizer-step benchmark above measures (same gradients, interleaved rounds, the copy floor of the bytes a fused step moves), beside `tf.train.adam(1e-3)`: tfjs has none of these optimizers, so its column and the speedup are against its Adam. The path column says whether a fused kernel ran (`fused:GradkitAdopt` …) or the tf ops did (`reference`).",
  'Newton–Schulz: `newtonSchulz(g, { steps: 5 })` on one matrix (the Frobenius normalization and 5 quintic iterations, as Muon runs per matrix per step), one element read back; the tfjs kernels one call runs; on WebGPU the compute dispatches tfjs records and the queue submits (tfjs-webgpu submits its command encoder every `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE` = 15 dispatches, so 5 iterations do not stay in one submit), and the submits of one whole Muon `Optimizer.step` on that matrix.',
  "Training step: the peer's ReLU MLP (same initial weights and minibatches), `await opt.minimize(loss)` with each optimizer (Muon takes the hidden kernels, AdamW the output kernel and the biases), beside tfjs-layers' `trainOnBatch` with `tf.train.adam` and jax-js's jitted step with Adam written as optax computes it. jax-js has no ADOPT, schedule-free or Muon: it publishes no optimizer library.",
].join('\n\n');

/** The modern benchmark's section of every result that has it. */
export function modernSection(results: readonly WithModern[]): string {
  const parts: string[] = [];
  for (const r of results) {
    const m = r.modern;
    if (!m) continue;
    parts.push(
      `### ${m.run.described}`,
      '',
      `Measured ${m.run.measuredAt.slice(0, 16).replace('T', ' ')} UTC by \`${m.run.command}\` on ${m.run.machine}.`,
      '',
    );
    if (m.rows.length > 0) parts.push('Optimizer step (tfjs column: `tf.train.adam`):', '', optimizerTable(m.rows), '');
    if (m.newtonSchulz.length > 0) {
      const gpu = m.newtonSchulz.some((n) => n.dispatches !== undefined);
      parts.push(
        'Newton–Schulz (5 steps) on one matrix:',
        '',
        table(
          ['matrix', 'ms per orthogonalization', 'tfjs kernels', ...(gpu ? ['dispatches', 'submits', 'submits per muon step'] : [])],
          m.newtonSchulz.map((n) => [
            n.shape.join(' × '),
            spread(n.ms),
            String(n.kernels),
            ...(gpu ? [String(n.dispatches ?? '–'), String(n.submits ?? '–'), String(n.muonStepSubmits ?? '–')] : []),
          ]),
        ),
        '',
      );
    }
    const t = m.training;
    if (t) {
      const base = t.variants['tfjs-layers adam']?.median;
      const adam = t.variants['gradkit adam']?.median;
      parts.push(
        `Training step of the MLP ${t.sizes.join('-')}, batch ${t.batch} (${t.params.toLocaleString('en-US')} parameters), ms per step:`,
        '',
        table(
          ['variant', 'ms/step', 'vs tfjs-layers adam', 'vs gradkit adam', 'path'],
          Object.entries(t.variants).map(([name, v]) => [
            name,
            spread(v),
            base ? times(base / v.median) : '–',
            adam ? times(adam / v.median) : '–',
            v.path ?? '–',
          ]),
        ),
        '',
        ...Object.entries(t.unavailable).map(([name, why]) => `- ${name}: ${why}`),
        '',
      );
    }
  }
  return parts.join('\n');
}
