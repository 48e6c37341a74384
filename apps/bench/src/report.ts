// The result file of one backend's run, and the markdown tables made from the result files.
import type { BackendInfo } from '@gradkit/core';
import type { ArchResult } from './arch.js';
import type { EndToEndResult } from './e2e.js';
import { count, ms, pct, share, spread, table, times } from './format.js';
import type { MachineInfo, SourceInfo } from './machine.js';
import type { ModernResult } from './modern.js';
import type { OptimizerRow, OptimizerStepResult, StepOptimizer } from './optimizer-step.js';
import type { OverheadResult } from './overhead.js';
import type { PeerResult } from './peer.js';
import type { BenchProfile } from './profile.js';
import { archChecks, archLossTable, archMemoryTable, archMethod, archTable } from './report-arch.js';
import { MODERN_METHOD, modernSection } from './report-modern.js';
import { lossTable, type PeerTargets, peerChecks, peerMethod, peerTable, profileBlocks, profileSummaryTable } from './report-peer.js';
import type { Summary } from './timing.js';

export { count, ms, pct, share, spread, table, times };

/** The `format` of result files; changed whenever their shape changes. */
export const FORMAT = 'gradkit-bench/4';

/** `apps/bench/results/<backend>.json`. */
export interface BackendResult {
  /** Always `FORMAT`. */
  readonly format: typeof FORMAT;
  readonly backend: string;
  /** What `useBackend` started, and its one-line description. */
  readonly backendInfo: BackendInfo & { readonly described: string };
  readonly machine: MachineInfo;
  /** The command that produced it. */
  readonly command: string;
  /** The source measured: the git commit and the workspace paths with uncommitted changes (none: a clean checkout). */
  readonly source: SourceInfo;
  /** ISO date-time of the start. */
  readonly startedAt: string;
  /** Wall-clock seconds of the whole run of this backend. */
  readonly seconds: number;
  /** 1-minute load average at the end. */
  readonly loadAverageAtEnd: number;
  /** Monitoring overhead, one entry per optimizer. */
  readonly overhead: readonly OverheadResult[];
  readonly optimizerStep: OptimizerStepResult;
  /** The end-to-end training step (null: not run). */
  readonly endToEnd: EndToEndResult | null;
  /** The peer benchmark (gradkit, tfjs-layers, jax-js), one entry per net (empty: not run). */
  readonly peer: readonly PeerResult[];
  /** Profiles of the MLP's training step, gradkit and tfjs-layers, fast paths on and off (empty: not run). */
  readonly profiles: readonly BenchProfile[];
  /** The architecture benchmark (issue 14), one entry per net (empty: not run; absent in files written before it). */
  readonly arch?: readonly ArchResult[];
  /** The modern optimizers (issue 16; null or absent: not run). */
  readonly modern?: ModernResult | null;
  /** What was left out and why (sizes skipped for time, …). */
  readonly notes: readonly string[];
}

/** The overhead target of issue 5 (fraction of a training step). */
export const OVERHEAD_TARGET = 0.05;

/** The monitoring-overhead table over several backends' results. */
export function overheadTable(results: readonly BackendResult[]): string {
  const rows: string[][] = [];
  for (const r of results)
    for (const o of r.overhead) {
      const plain = o.variants.plain as Summary & { path: string };
      const mon = o.variants.monitorGradients as Summary & { path: string };
      const taps = o.variants['observe+taps'];
      const oh = o.overhead.monitorGradients;
      const ot = o.overhead['observe+taps'];
      const target = r.backend === 'webgpu' ? 'n/a' : oh && oh.ofMedians <= OVERHEAD_TARGET ? 'met' : 'NOT met';
      rows.push([
        r.backend,
        o.config.optimizer,
        `${spread(plain)} [${plain.path}]`,
        `${spread(mon)} [${mon.path}]`,
        oh ? `**${pct(oh.ofMedians, 2)}** (paired ${pct(oh.paired, 2)})` : '–',
        taps ? spread(taps) : '–',
        ot ? `${pct(ot.ofMedians)} (paired ${pct(ot.paired)})` : '–',
        target,
        String(plain.samples),
      ]);
    }
  return table(
    ['backend', 'optimizer', 'plain ms/step [path]', 'monitorGradients every step [path]', 'overhead', 'observe + taps', 'overhead', '≤ 5%', 'steps timed'],
    rows,
  );
}

/** One line per overhead result: met or not, and what the extra time is made of (from the profile). */
export function overheadFindings(results: readonly BackendResult[]): string[] {
  const lines: string[] = [];
  for (const r of results)
    for (const o of r.overhead) {
      const oh = o.overhead.monitorGradients;
      if (!oh) continue;
      const plain = (o.variants.plain as Summary).median;
      const extra = (o.variants.monitorGradients as Summary).median - plain;
      const ref = o.profile.referencePath;
      const stats = o.profile.stats;
      const plainPath = (o.variants.plain as { path: string }).path;
      const monPath = (o.variants.monitorGradients as { path: string }).path;
      const refCost = ref ? `${ms(ref.median - plain)} ms (${pct(ref.median / plain - 1)})` : '';
      const parts = [
        ...(ref && monPath === 'reference'
          ? [`${refCost} because the monitored step runs on the reference path while the plain one runs ${plainPath}`]
          : ref
            ? [`the monitored step keeps ${monPath} (the reference path instead: ${refCost} per step)`]
            : []),
        `${ms(stats.total.median)} ms (${share(stats.total.median / plain)}) the statistics themselves (${ms(stats.gradsOnly.median)} ms of it the gradients alone, the rest ‖θ‖ per layer)`,
      ];
      const verdict = r.backend === 'webgpu' ? 'no target on WebGPU' : oh.ofMedians <= OVERHEAD_TARGET ? 'meets ≤ 5%' : 'does NOT meet ≤ 5%';
      lines.push(
        `- ${r.backend}, ${o.config.optimizer}: monitoring every step costs ${pct(oh.ofMedians, 2)} (paired ${pct(oh.paired, 2)}), ${verdict}. Extra ${ms(extra)} ms per step; measured separately: ${parts.join('; ')}.`,
      );
    }
  return lines;
}

/** Where the monitoring time goes, per backend and optimizer. */
export function profileTable(results: readonly BackendResult[]): string {
  const rows: string[][] = [];
  for (const r of results)
    for (const o of r.overhead) {
      const plain = (o.variants.plain as Summary).median;
      const mon = (o.variants.monitorGradients as Summary).median;
      const ref = o.profile.referencePath;
      rows.push([
        r.backend,
        o.config.optimizer,
        ms(mon - plain),
        ref ? `${ms(ref.median - plain)} (${pct(ref.median / plain - 1)})` : '– (plain runs the reference path)',
        `${ms(o.profile.stats.total.median)} (${share(o.profile.stats.total.median / plain)})`,
        ms(o.profile.stats.launch.median),
        ms(o.profile.stats.report.median),
        ms(o.profile.stats.gradsOnly.median),
        o.lastVerdict,
        o.reportsPerStep.toFixed(2),
      ]);
    }
  return table(
    [
      'backend',
      'optimizer',
      'extra ms/step (monitorGradients − plain)',
      'reference path instead of fused (reference − plain)',
      'statistics alone: observe(grads, params)',
      'launch',
      'readback + report',
      'gradients only: observe(grads)',
      'last verdict',
      'reports/step',
    ],
    rows,
  );
}

/** `label = count` when the label is not the count itself. */
const layoutLabel = (label: string, params: number) => (label === count(params) ? label : `${label} = ${count(params)}`);

/** How an optimizer is named in the tables. */
export function optimizerName(o: StepOptimizer): string {
  return o === 'clip-adam' ? 'clipByGlobalNorm → adam' : o;
}

/** The optimizer-step table of one backend (with the WebGPU submits per step when counted). */
export function optimizerTable(rows: readonly OptimizerRow[]): string {
  const submits = rows.some((r) => r.submits !== undefined);
  return table(
    [
      'optimizer',
      'params (tensors)',
      'gradkit ms/step',
      'gradkit path',
      'tfjs ms/step',
      'speedup',
      'gradkit GB/s',
      'tfjs GB/s',
      'copy floor ms',
      'gradkit ÷ floor',
      ...(submits ? ['submits/step gradkit (tfjs)'] : []),
    ],
    rows.map((r) => [
      optimizerName(r.optimizer),
      `${layoutLabel(r.layout, r.params)} (${r.tensors})`,
      spread(r.gradkit),
      r.gradkit.path,
      spread(r.tfjs),
      `**${times(r.speedup)}**`,
      r.gradkit.gbs.toFixed(2),
      r.tfjs.gbs.toFixed(2),
      ms(r.floor.ms),
      times(r.gradkitOverFloor),
      ...(submits ? [r.submits ? `${r.submits.gradkit} (${r.submits.tfjs})${r.submits.errors ? ' ⚠' : ''}` : '–'] : []),
    ]),
  );
}

/** One line per case where WebGPU rejected work of a step (its timing does not count). */
export function gpuErrorNotes(rows: readonly OptimizerRow[]): string[] {
  return rows.flatMap((r) =>
    Object.entries(r.submits?.errors ?? {}).map(
      ([side, message]) =>
        `⚠ ${optimizerName(r.optimizer)} at ${layoutLabel(r.layout, r.params)}: WebGPU rejected work of ${side === 'gradkit' ? "gradkit's" : "tfjs's"} step ("${message}"); the rejected command buffers were dropped, so that side's timing does not count.`,
    ),
  );
}

/** The copy floors of one backend: copies of each case's bytes, in ms and GB/s. */
export function floorTable(rows: readonly OptimizerRow[]): string {
  const gbs = (bytes: number, s: Summary) => (bytes / (s.median / 1000) / 1e9).toFixed(2);
  const tfCopy = rows.some((r) => r.floor.tfCopy !== undefined);
  return table(
    ['optimizer', 'params', 'bytes per step', `${rows[0]?.floor.kind ?? 'copy'}: ms (GB/s)`, ...(tfCopy ? ['tf.add(x, 0), for comparison: ms (GB/s)'] : [])],
    rows.map((r) => [
      optimizerName(r.optimizer),
      layoutLabel(r.layout, r.params),
      `${(r.bytesPerStep / 1e6).toFixed(2)} MB`,
      `${spread(r.floor.copy)} (${gbs(r.bytesPerStep, r.floor.copy)})`,
      ...(tfCopy ? [r.floor.tfCopy ? `${spread(r.floor.tfCopy)} (${gbs(r.bytesPerStep, r.floor.tfCopy)})` : '–'] : []),
    ]),
  );
}

/** Images per second, rounded. */
const perSecond = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** The end-to-end table over several backends' results. */
export function endToEndTable(results: readonly BackendResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    const e = r.endToEnd;
    if (!e) continue;
    const v = e.variants;
    const cell = (name: keyof typeof v) => `${spread(v[name])} (${perSecond(v[name].samplesPerSecond)}/s)`;
    rows.push([
      r.backend,
      `${cell('gradkit step')} [${e.path}]`,
      cell('model.fit'),
      `**${times(e.speedupOverFit)}**`,
      cell('gradkit minimize'),
      cell('trainOnBatch'),
      times(e.speedupOverTrainOnBatch),
      String(v['gradkit step'].samples),
    ]);
  }
  return table(
    [
      'backend',
      'gradkit valueAndGrad + step: ms/step (samples/s) [path]',
      'tfjs-layers model.fit',
      'speedup',
      'gradkit await minimize',
      'tfjs-layers await trainOnBatch',
      'speedup',
      'samples timed',
    ],
    rows,
  );
}

/** One line of the targets table. */
export interface TargetCheck {
  readonly backend: string;
  /** The target, in words. */
  readonly target: string;
  /** What was measured (per case). */
  readonly measured: string;
  /** Met, not met, or null when this run did not measure it. */
  readonly pass: boolean | null;
}

/** Issue 6's targets per backend (speedup over tf.train.adam, ratio to the copy floor at ≥ 1M parameters, end to end), and issue 13's peer targets on wasm. */
export const TARGETS: Readonly<
  Record<string, { readonly speedup: number; readonly floor?: number; readonly oneSubmit?: boolean; readonly endToEnd: number; readonly peer?: PeerTargets }>
> = {
  cpu: { speedup: 30, floor: 2.5, endToEnd: 1.3 },
  wasm: { speedup: 3, floor: 2.5, endToEnd: 1, peer: { overJax: 1, overLayers: 4, layersFastPaths: 3 } },
  webgpu: { speedup: 3, oneSubmit: true, endToEnd: 1 },
};

/** The targets of issues 6, 13 and 14 checked against one or more backends' results. */
export function targetChecks(results: readonly BackendResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const r of results) {
    const t = TARGETS[r.backend];
    if (!t) continue;
    const big = r.optimizerStep.rows.filter((row) => row.optimizer === 'adam' && row.params >= 1e6);
    const rejected = (row: OptimizerRow) => row.submits?.errors?.gradkit !== undefined;
    const each = (f: (row: OptimizerRow) => string) =>
      big.length === 0
        ? 'not run'
        : big.map((row) => `${layoutLabel(row.layout, row.params)}: ${f(row)}${rejected(row) ? ' ⚠ WebGPU rejected the step' : ''}`).join('; ');
    const all = (ok: (row: OptimizerRow) => boolean) => (big.length === 0 ? null : big.every((row) => ok(row) && !rejected(row)));
    checks.push({
      backend: r.backend,
      target: `adam ≥ ${t.speedup}× faster than tf.train.adam (≥ 1M parameters)`,
      measured: each((row) => `${times(row.speedup)} (${ms(row.gradkit.median)} vs ${ms(row.tfjs.median)} ms, ${row.gradkit.path})`),
      pass: all((row) => row.speedup >= t.speedup),
    });
    if (t.floor !== undefined) {
      const limit = t.floor;
      checks.push({
        backend: r.backend,
        target: `adam within ${limit}× of the copy floor (≥ 1M parameters)`,
        measured: each((row) => `${times(row.gradkitOverFloor)} (${ms(row.gradkit.median)} vs ${ms(row.floor.ms)} ms)`),
        pass: all((row) => row.gradkitOverFloor <= limit),
      });
    }
    if (t.oneSubmit) {
      const counted = r.optimizerStep.rows.filter((row) => row.submits !== undefined);
      // The target is the fused path's: a reference step that happens to fit in one tfjs batch does not count.
      const off = counted.filter((row) => row.submits?.gradkit !== 1 || row.gradkit.path === 'reference' || rejected(row));
      const name = (row: OptimizerRow) =>
        `${optimizerName(row.optimizer)} ${layoutLabel(row.layout, row.params)}: ${row.submits?.gradkit} (${row.gradkit.path})`;
      const others = off.length === 0 ? '' : `; others: ${off.slice(0, 4).map(name).join(', ')}${off.length > 4 ? ', …' : ''}`;
      checks.push({
        backend: r.backend,
        target: 'exactly one queue submit per gradkit step, on a fused path (every optimizer and size)',
        measured: counted.length === 0 ? 'not counted' : `${counted.length - off.length} of ${counted.length} cases${others}`,
        pass: counted.length === 0 ? null : off.length === 0,
      });
    }
    const e = r.endToEnd;
    checks.push({
      backend: r.backend,
      target: `end to end: gradkit ${t.endToEnd === 1 ? 'at least as fast as' : `≥ ${t.endToEnd}× as fast as`} tfjs-layers model.fit`,
      measured: e
        ? `${times(e.speedupOverFit)} (${perSecond(e.variants['gradkit step'].samplesPerSecond)} vs ${perSecond(e.variants['model.fit'].samplesPerSecond)} samples/s, ${e.path})`
        : 'not run',
      pass: e ? e.speedupOverFit >= t.endToEnd : null,
    });
    if (t.peer) checks.push(...peerChecks(r.backend, r.peer, t.peer));
    checks.push(...archChecks(r.backend, r.arch));
  }
  return checks;
}

/** The targets table. */
export function targetTable(results: readonly BackendResult[]): string {
  return table(
    ['backend', 'target', 'measured', 'met'],
    targetChecks(results).map((c) => [c.backend, c.target, c.measured, c.pass === null ? 'not measured' : c.pass ? '**yes**' : '**no**']),
  );
}

/** The machine section: one list shared by all results, plus each backend's line. */
export function machineSection(results: readonly BackendResult[]): string {
  const m = results[0]?.machine;
  if (!m) return '';
  const lines = [
    `- OS: ${m.os}`,
    `- CPU: ${m.cpu}, ${m.cores} logical cores; ${m.memoryGiB} GiB memory`,
    `- Node ${m.node}, tfjs-core ${m.tfjs}`,
    ...(results[0]?.source
      ? [
          `- Source: commit ${results[0].source.commit.slice(0, 12)}${results[0].source.changed.length > 0 ? ` plus uncommitted changes in ${results[0].source.changed.join(', ')}` : ''}`,
        ]
      : []),
    ...results.map(
      (r) =>
        `- ${r.backend}: ${r.backendInfo.described}; run ${r.startedAt.replace('T', ' ').slice(0, 16)} UTC, ${r.seconds.toFixed(0)} s; load average ${r.machine.loadAverageAtStart} → ${r.loadAverageAtEnd}`,
    ),
  ];
  return lines.join('\n');
}

const BYTE_MODEL = `Effective GB/s = bytes a fused float32 step must move ÷ median time, with 10⁹ bytes per GB: per parameter, read θ, g and every state slot and write θ and every state slot — sgd 12 B, sgd with momentum 20 B, rmsprop 20 B (no momentum, not centered), adam 28 B, clipByGlobalNorm → adam 32 B (g is read once more for the norm). tfjs moves more than that (it launches several kernels per variable, each reading and writing whole tensors), so its effective GB/s is lower than the traffic it really causes. The copy floor is a plain copy of exactly those bytes (bytes per step ÷ 8 float32 elements, each read once and written once) in the memory where the backend keeps its tensors, timed in the same rounds as the two optimizers: on cpu \`Float32Array.prototype.set\` between two arrays; on wasm the same between two tensors inside the WebAssembly heap (a memmove within \`WebAssembly.Memory\`); on WebGPU \`copyBufferToBuffer\` between two GPU buffers, one command buffer and one queue submit per copy, waited for with \`onSubmittedWorkDone\`. "gradkit ÷ floor" = 1× would be a step as fast as copying its bytes once. Working sets are reused every step on every side, so small sizes run from the caches.`;

const METHOD = `Every sample runs N steps back to back and ends with one \`await data()\` of one element (a slice of the last parameter), which waits for the queued work; ms/step = sample time ÷ N, N chosen from the last warm-up sample so that a sample takes about 25 ms (50 ms on WebGPU; at least one step, at 10M exactly one). gradkit and tfjs samples alternate in a rotating order after a warm-up, the copy floor in the same rounds; both optimizers get their own parameters with the same initial values and the same gradients every step (N(0, 0.01²) per element). tfjs has no clipping optimizer: its side of clipByGlobalNorm → adam is what a tfjs user writes, the global norm and the scaled gradients from tf ops in \`tf.tidy\`, then \`tf.train.adam\`'s \`applyGradients\`. Cells show the median and, in parentheses, p10–p90. The path gradkit's \`Optimizer\` took (\`opt.lastStepPath\`) is shown: \`fused:<kernel>\` or \`reference\` (the transformation's tf ops).`;

const SUBMITS = `On WebGPU the queue submits of one step are counted after the timed rounds: tfjs's pending work is submitted and the queue drained first, then \`device.queue.submit\` of the backend's device is wrapped for the step; work the step leaves recorded for tfjs to submit later is submitted right after it and counts as one more. The most over three steps of each side is shown, gradkit's first and tfjs's in parentheses (tfjs batches up to 15 dispatches per submit).`;

const E2E_METHOD = (e: EndToEndResult) =>
  `One training step of the gradient lab's MLP, ${e.config.inputs} → ${e.config.depth} × [dense ${e.config.width} → ReLU] → dense ${e.config.classes} (He-normal kernels, zero biases; ${count(e.config.params)} parameters in ${e.config.tensors} tensors), softmax cross-entropy on the logits (\`tf.losses.softmaxCrossEntropy\` on both sides), adam with learning rate 1e-3, minibatch ${e.config.batch} of MNIST-shaped inputs. gradkit builds it from \`@gradkit/nn\` (\`dense\`, \`act('relu')\`, \`sequential\`) and \`@gradkit/initializers\`' \`heNormal\` and trains it with \`Optimizer\` + \`adam\`; tfjs-layers builds \`tf.sequential\` of \`tf.layers.dense\` (\`heNormal\`, which truncates) compiled with \`tf.train.adam\`. Each sample is ${e.config.batchesPerSample} steps over the same ${e.config.batchesPerSample} minibatches (sliced inside the timed region on both sides); the variants alternate in a rotating order after a warm-up, each with its own net. **gradkit step** is what a gradkit user writes, \`valueAndGrad(loss)(net.params)\` then \`opt.step(grads)\`, with no readback per step (the sample ends with one one-element readback); **model.fit** is one \`model.fit(x, y, { batchSize, epochs: 1, shuffle: false })\` over the sample's minibatches (the target's comparison). **gradkit minimize** (\`await opt.minimize(loss)\`) and **trainOnBatch** (\`await model.trainOnBatch(xb, yb)\`) both read the loss back every step. ms per step, samples (images) per second at the median in parentheses.`;

const TARGETS_TEXT =
  "Issue 6's targets, on this 2-core machine, medians of the same run, 1M+ parameters: cpu ≥ 30× faster than `tf.train.adam` and within 2.5× of the copy floor; wasm ≥ 3× and within 2.5× of the floor; WebGPU (SwiftShader) ≥ 3× and exactly one queue submit per step; end to end, gradkit's training step at least as fast as tfjs-layers `model.fit` on every backend and ≥ 1.3× on cpu. The optimizer targets are checked on the adam rows at 1M and 10M parameters, the submit count on every gradkit row. Issue 13's, on wasm, ratios of the same run on the peer benchmark's MLP (784-256-256-10, batch 128): gradkit's training step at least as fast as jax-js's jitted step and ≥ 4× faster than tfjs-layers without gradkit, and tfjs-layers' `trainOnBatch` ≥ 3× faster with gradkit's fast paths than without; cpu and webgpu report the same table without targets. Issue 14's, on every backend: gradkit's training step of each architecture (conv net, LSTM, GRU, transformer) at least as fast as tfjs-layers' `trainOnBatch` without gradkit (where tfjs-layers alone cannot train the net, with gradkit's kernels).";

const WEBGPU_RELATIVE =
  "WebGPU here is SwiftShader, a software renderer on the CPU: its times show the relative cost of the libraries' GPU work (dispatches, submits, readbacks and software shaders), not what a GPU would do.";

const PROFILES_TEXT =
  "One training step of the peer benchmark's MLP profiled with `profileStep` from @gradkit/diagnostics (the bench's command: `pnpm bench profile --backend wasm --fast-paths both`): gradkit's `Optimizer.minimize` and tfjs-layers' `trainOnBatch`, with gradkit's training fast paths on and off, each on a fresh copy of the net. ms/step is a plain step's wall-clock time (the loss read back); the phases and kernels are per-step kernel times of the profiled steps (on WebGPU, see each profile's notes for how kernel time was measured there).";

const overheadMethod = (taps: number) =>
  `One training step of the same net (forward, backward, optimizer step, the loss read back, as \`await optimizer.minimize(loss)\`) without monitoring (**plain**), with \`monitorGradients({ every: 1, onReport })\` first in the chain (a step counts until its report was delivered: \`await monitor.flush()\`), and with the gradient lab's pattern (\`withTaps(valueAndGrad(loss))\`, \`GradientMonitor.observe({ grads, params, taps })\` beside a plain \`step\`: dead units, saturation and ∂L/∂h of all ${taps} tapped layer outputs). When the plain step runs a fused kernel, **reference** is the same step with \`{ fused: false }\`: what monitoring would cost if it made the optimizer give up its fused kernel. The path each step took is shown in brackets. The variants alternate step by step in a rotating order, each on its own copy of the net (same seeds), after a warm-up; "overhead" is median(monitored) ÷ median(plain) − 1, "paired" the median over rounds of the per-round ratio.`;

/** `results/README.md`: the machine, the targets, the method, and every table. */
export function readme(results: readonly BackendResult[], failures: readonly string[] = []): string {
  const first = results[0];
  const withOverhead = results.filter((r) => r.overhead.length > 0);
  const net = withOverhead[0]?.overhead[0]?.config;
  const withSteps = results.filter((r) => r.optimizerStep.rows.length > 0);
  const e2e = results.find((r) => r.endToEnd)?.endToEnd;
  const parts = [
    // The typedoc site includes this file as a document: its frontmatter names the page.
    '---',
    'title: Benchmarks',
    '---',
    '',
    '# gradkit benchmarks',
    '',
    `Generated by \`${first?.command ?? 'pnpm bench'}\` (apps/bench): one Node process per backend; the numbers below come from \`results/<backend>.json\`. Machine:`,
    '',
    machineSection(results),
    ...failures.map((f) => `- ${f}`),
    '',
    '## Targets (issues 6, 13 and 14)',
    '',
    TARGETS_TEXT,
    '',
    targetTable(results),
    '',
  ];
  if (withSteps.length > 0) {
    parts.push('## Optimizer step: gradkit `Optimizer.step` vs `tf.train.*`', '', METHOD, '', BYTE_MODEL, '');
    if (withSteps.some((r) => r.optimizerStep.rows.some((row) => row.submits))) parts.push(SUBMITS, '');
    for (const r of withSteps) {
      parts.push(
        `### ${r.backendInfo.described}`,
        '',
        optimizerTable(r.optimizerStep.rows),
        '',
        'The copy floors (same rounds):',
        '',
        floorTable(r.optimizerStep.rows),
        '',
      );
      const notes = [...gpuErrorNotes(r.optimizerStep.rows), ...r.notes];
      if (notes.length > 0) parts.push(...notes.map((n) => `- ${n}`), '');
    }
  }
  if (e2e) parts.push('## End to end: a training step, gradkit vs tfjs-layers', '', E2E_METHOD(e2e), '', endToEndTable(results), '');
  const withPeer = results.filter((r) => r.peer.length > 0);
  const peer = withPeer[0]?.peer[0];
  if (peer)
    parts.push(
      '## The peer: gradkit vs tfjs-layers vs jax-js (issue 13)',
      '',
      peerMethod(peer),
      '',
      peerTable(withPeer),
      '',
      ...(withPeer.some((r) => r.backend === 'webgpu') ? [WEBGPU_RELATIVE, ''] : []),
      'The losses of the fresh runs at the checked steps (every variant from the same initial weights):',
      '',
      lossTable(withPeer),
      '',
    );
  const withArch = results.filter((r) => (r.arch?.length ?? 0) > 0);
  const arch = withArch[0]?.arch?.[0];
  if (arch)
    parts.push(
      '## Architectures: conv net, LSTM, GRU, transformer, gradkit vs tfjs-layers (issue 14)',
      '',
      archMethod(arch),
      '',
      archTable(withArch),
      '',
      ...(withArch.some((r) => r.backend === 'webgpu') ? [WEBGPU_RELATIVE, ''] : []),
      'Peak tensor memory of one training step (MiB beyond the tensors alive before it) and, in parentheses, tensors the step left behind:',
      '',
      archMemoryTable(withArch),
      '',
      "The losses of the fresh runs at the checked steps (the tfjs-layers models start from gradkit's initial weights):",
      '',
      archLossTable(withArch),
      '',
    );
  const withModern = results.filter((r) => r.modern);
  if (withModern.length > 0)
    parts.push('## Modern optimizers: ADOPT, Schedule-Free AdamW, Muon (issue 16)', '', MODERN_METHOD, '', modernSection(withModern), '');
  const withProfiles = results.filter((r) => r.profiles.length > 0);
  if (withProfiles.length > 0)
    parts.push(
      "## Where a training step's time goes: profiles (issue 13)",
      '',
      PROFILES_TEXT,
      '',
      profileSummaryTable(withProfiles),
      '',
      ...profileBlocks(withProfiles),
    );
  if (withOverhead.length > 0)
    parts.push(
      '## Monitoring overhead (issue 5: ≤ 5% of a training step on cpu and wasm)',
      '',
      net
        ? `Net: the gradient lab's plain MLP, ${net.inputs} → ${net.depth} × [dense ${net.width} → ReLU] (He-normal) → dense ${net.classes}, ${count(net.params)} parameters in ${net.tensors} tensors, minibatch ${net.batch} of MNIST-shaped inputs (fixed random pixels: the step's cost does not depend on their values), softmax cross-entropy.`
        : '',
      '',
      overheadMethod(net ? 2 * net.depth + 1 : 0),
      '',
      overheadTable(withOverhead),
      '',
      'Where the extra time goes (ms per step, medians; the statistics alone are `GradientMonitor.observe({ grads, params })` on one step\'s gradients with no training step; "launch" is its synchronous part, which runs the statistics kernel on cpu and wasm and queues the tf ops on WebGPU):',
      '',
      profileTable(withOverhead),
      '',
      ...overheadFindings(withOverhead),
      '',
    );
  return `${parts
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
