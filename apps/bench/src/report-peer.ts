// The peer benchmark's and the profiles' tables and text (issue 13), from the result files. Type-only
// imports of the benchmarks: main.ts loads this file and never loads tfjs or jax-js.
import { count, ms, ratioText, spread, table } from './format.js';
import type { PeerResult } from './peer.js';
import { PEER_VARIANTS, type PeerVariant } from './peer-names.js';
import type { BenchProfile } from './profile.js';
import type { TargetCheck } from './report.js';

/** What the tables need of one backend's result. */
export interface PeerBackend {
  readonly backend: string;
  readonly backendInfo: { readonly described: string };
  readonly peer: readonly PeerResult[];
  readonly profiles: readonly BenchProfile[];
}

/** Column headings of the variants. */
const HEADINGS: Readonly<Record<PeerVariant, string>> = {
  gradkit: 'gradkit `minimize`',
  'gradkit, fast paths off': 'gradkit, fast paths off',
  'tfjs-layers': 'tfjs-layers `trainOnBatch` (without gradkit)',
  'tfjs-layers + gradkit': 'tfjs-layers + gradkit fast paths',
  'jax-js': 'jax-js `jit`',
};

/** `mlp 784-256-256-10, batch 128 (269.3k parameters)`. */
export function netLabel(p: Pick<PeerResult, 'model' | 'config'>): string {
  return `${p.model} ${p.config.sizes.join('-')}, batch ${p.config.batch} (${count(p.config.params)} parameters)`;
}

/** The largest relative spread of the checked losses, with the steps: `≤ 1.2e-6 (steps 1, 5, 20)`. */
export function lossAgreement(p: PeerResult): string {
  const worst = Math.max(...p.lossCheck.spread);
  return `${p.lossCheck.pass ? 'yes' : '**NO**'}: ≤ ${worst.toExponential(1)} (steps ${p.lossCheck.steps.join(', ')})`;
}

/** `text` on one line, safe inside a markdown table cell (an error message may hold newlines or pipes). */
export const inCell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');

/** A ratio as `1.10×`, or `–`. */

/** The peer table over several backends' results: ms per step of every variant, the ratios, the loss check. */
export function peerTable(results: readonly PeerBackend[]): string {
  const rows: string[][] = [];
  for (const r of results)
    for (const p of r.peer) {
      const cell = (v: PeerVariant) => {
        const s = p.variants[v];
        if (s) return v === 'jax-js' ? `${spread(s)} [${p.jaxDevice}]` : spread(s);
        return `n/a: ${inCell(p.unavailable[v] ?? 'not run')}`;
      };
      rows.push([
        r.backend,
        netLabel(p),
        ...PEER_VARIANTS.map(cell),
        `**${ratioText(p.ratios.gradkitOverJax)}**`,
        `**${ratioText(p.ratios.gradkitOverLayers)}**`,
        `**${ratioText(p.ratios.layersFastPaths)}**`,
        lossAgreement(p),
        `${p.variants.gradkit?.samples ?? 0} × ${p.config.stepsPerSample}`,
      ]);
    }
  return table(
    [
      'backend',
      'net',
      ...PEER_VARIANTS.map((v) => HEADINGS[v]),
      'gradkit vs jax-js',
      'gradkit vs tfjs-layers',
      'tfjs-layers with ÷ without gradkit',
      'losses agree',
      'samples × steps',
    ],
    rows,
  );
}

/** Every variant's loss at every checked step, per backend and net. */
export function lossTable(results: readonly PeerBackend[]): string {
  const rows = results.flatMap((r) =>
    r.peer.flatMap((p) =>
      p.lossCheck.steps.map((step, i) => [
        r.backend,
        p.model,
        String(step),
        ...PEER_VARIANTS.map((v) => p.lossCheck.losses[v]?.[i]?.toPrecision(8) ?? '–'),
        (p.lossCheck.spread[i] as number).toExponential(1),
      ]),
    ),
  );
  return table(['backend', 'net', 'step', ...PEER_VARIANTS, 'spread (max − min) ÷ min'], rows);
}

/** The method of the peer benchmark, for the README. */
export function peerMethod(p: PeerResult): string {
  const a = p.config.adam;
  return `The same ReLU MLP in three libraries in one Node process, trained with softmax cross-entropy on the logits and Adam (β₁ ${a.beta1}, β₂ ${a.beta2}, ε ${a.epsilon} on every side: tf.train.adam's default ε of 1e-7 is overridden) from the same initial weights (He-normal kernels, zero biases, generated once in JavaScript from a seed) over the same ${p.config.batches} minibatches of MNIST-shaped inputs with one-hot labels, the loss read back every step on every side. **gradkit** is \`await opt.minimize(loss)\` over \`@gradkit/nn\` dense layers with \`@gradkit/optimizers\`' adam; **tfjs-layers** is \`await model.trainOnBatch(x, y)\` of a \`tf.sequential\` of \`tf.layers.dense\` compiled with \`tf.train.adam\`; **jax-js** (@jax-js/jax ${p.jaxVersion}) runs the whole step, forward, backward and optax's Adam written out, in one \`jit\`, on its own wasm device (on one thread in Node, which has no global \`Worker\`) or, on the webgpu row, its webgpu device on the same Dawn adapter. gradkit's training fast paths (\`setFastPaths\` in @gradkit/core) replace tfjs kernels globally, so with them off tfjs runs its own kernels: **tfjs-layers** without them is tfjs-layers without gradkit, and **tfjs-layers + gradkit** is what a tfjs-layers user gets from calling \`useBackend\`. Before timing, a fresh copy of every variant trains and the losses are compared at the checked steps: their spread (max − min) ÷ min must stay within ${p.lossCheck.tolerance.toExponential(0)}, or the run fails (float32 rounding in different summation orders gives about 1e-6; ε 1e-7 instead of 1e-8, β₂ 0.99 instead of 0.999 or a learning rate 1% off move the MLP's loss by 1e-3 or more by step 20). Then the variants take samples of a few steps each (the last column: samples × steps per sample; fewer where a step is slow, see the notes) in a rotating order, round by round. Cells: ms per step, median (p10–p90). Ratios > 1: the first-named is faster; "gradkit vs jax-js" is jax-js ÷ gradkit, "gradkit vs tfjs-layers" is tfjs-layers without gradkit ÷ gradkit.`;
}

/** One row per profile: step time, phase totals, the three slowest kernels. */
export function profileSummaryTable(results: readonly PeerBackend[]): string {
  const rows: string[][] = [];
  for (const r of results)
    for (const b of r.profiles) {
      const p = b.profile;
      const gpu = p.submits === undefined ? '' : `; ${p.dispatches ?? '?'} dispatches, ${p.submits} submits`;
      rows.push([
        r.backend,
        b.library,
        b.fastPaths ? 'on' : 'off',
        spread(p.stepMs),
        ms(p.phases.forward.ms),
        ms(p.phases.backward.ms),
        ms(p.phases.update.ms),
        `${p.kernels
          .slice(0, 3)
          .map((k) => `${k.name} (${k.phase}) ${ms(k.ms)}`)
          .join(', ')}${gpu}`,
      ]);
    }
  return table(['backend', 'library', 'fast paths', 'ms/step', 'forward ms', 'backward ms', 'update ms', 'slowest kernels (ms per step)'], rows);
}

/** Each backend's profiles as text blocks, under headings. */
export function profileBlocks(results: readonly PeerBackend[]): string[] {
  const parts: string[] = [];
  for (const r of results) {
    if (r.profiles.length === 0) continue;
    parts.push(`### ${r.backendInfo.described}`, '');
    for (const b of r.profiles)
      parts.push(
        `${b.library}, ${b.model} ${b.sizes.join('-')} (batch ${b.batch}), fast paths ${b.fastPaths ? 'on' : 'off'}:`,
        '',
        '```text',
        b.text,
        '```',
        '',
      );
  }
  return parts;
}

/** Issue 13's targets on one backend: ratios of the same run on the MLP. */
export interface PeerTargets {
  /** jax-js ÷ gradkit at least this. */
  readonly overJax: number;
  /** tfjs-layers without gradkit ÷ gradkit at least this. */
  readonly overLayers: number;
  /** tfjs-layers without ÷ with gradkit's fast paths at least this. */
  readonly layersFastPaths: number;
}

/** Issue 13's targets checked on one backend's MLP peer result. */
export function peerChecks(backend: string, peer: readonly PeerResult[], t: PeerTargets): TargetCheck[] {
  const p = peer.find((x) => x.model === 'mlp');
  const check = (target: string, value: number | null, limit: number, a: PeerVariant, b: PeerVariant): TargetCheck => {
    const sa = p?.variants[a];
    const sb = p?.variants[b];
    const missing =
      p === undefined
        ? 'not run'
        : value === null
          ? `not measured: ${[a, b].map((v) => p.unavailable[v]).find((u) => u !== undefined) ?? 'a side did not run'}`
          : undefined;
    return {
      backend,
      target: `peer, MLP: ${target}`,
      measured: missing !== undefined ? inCell(missing) : `${ratioText(value)} (${ms(sb?.median ?? Number.NaN)} vs ${ms(sa?.median ?? Number.NaN)} ms/step)`,
      pass: value === null ? null : value >= limit,
    };
  };
  return [
    check(
      `gradkit's training step ${t.overJax === 1 ? 'at least as fast as' : `≥ ${t.overJax}× as fast as`} jax-js's jitted step`,
      p?.ratios.gradkitOverJax ?? null,
      t.overJax,
      'jax-js',
      'gradkit',
    ),
    check(`gradkit ≥ ${t.overLayers}× faster than tfjs-layers without gradkit`, p?.ratios.gradkitOverLayers ?? null, t.overLayers, 'tfjs-layers', 'gradkit'),
    check(
      `tfjs-layers trainOnBatch ≥ ${t.layersFastPaths}× faster with gradkit's fast paths than without`,
      p?.ratios.layersFastPaths ?? null,
      t.layersFastPaths,
      'tfjs-layers',
      'tfjs-layers + gradkit',
    ),
  ];
}
