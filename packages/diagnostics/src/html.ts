import { checkOptions, describeValue, HyperParameterError } from '@gradkit/core';
import { checkSequenceFields } from './check-sequence.js';
import { checkReportDocument } from './checks.js';
import { fmt, pct } from './format-number.js';
import { attentionTable, sequenceHistoryCharts, temporalCharts } from './html-sequence.js';
import type { ReportCollection, ReportConfig } from './json.js';
import { reportTrends } from './monitor.js';
import type { GradientReport } from './report.js';
import { groupStepTaps } from './step-groups.js';
import { depthColor, esc, lineChart, type Series } from './svg.js';
import { isDepthTap } from './tap-names.js';

/**
 * Options of `toHTML`.
 *
 * @example
 * ```ts
 * toHTML(monitor.history, { title: 'run 42' });
 * ```
 */
export interface HtmlOptions {
  /** The page title (default: the collection's title, else "gradkit gradient report"). */
  readonly title?: string;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330;background:#fafbfc}
h1{font-size:22px;margin:0 0 12px}h2{font-size:18px;margin:0 0 8px}h3{font-size:14px;margin:16px 0 6px}
.grid-configs{display:grid;grid-template-columns:repeat(auto-fit,minmax(600px,1fr));gap:20px}
section.config{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:16px;overflow-x:auto}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;color:#fff;font-size:13px;margin-left:8px}
.v-healthy{background:#2e7d32}.v-vanishing{background:#1565c0}.v-exploding{background:#c62828}.v-nonfinite{background:#6a1b9a}
table{border-collapse:collapse;font-size:12.5px;margin:4px 0}td,th{padding:2px 8px;border-bottom:1px solid #eceff3;text-align:right;white-space:nowrap}
td:first-child,th:first-child{text-align:left}th{background:#f3f5f8}
.finding{border-left:4px solid #c62828;padding:4px 10px;margin:8px 0;background:#fff6f6}.finding.warning{border-color:#ef8f00;background:#fffaf0}
.finding ul{margin:4px 0 0 18px;padding:0}.muted{color:#667085}
svg.chart{display:block;margin:6px 0;background:#fff}svg .ct{font-size:13px;font-weight:600}svg .grid{stroke:#eceff3}
svg .frame{fill:none;stroke:#c5cbd3}svg .yt{font-size:10px;text-anchor:end;dominant-baseline:middle;fill:#556}
svg .xt{font-size:10px;text-anchor:middle;fill:#556}svg .xr{font-size:10px;text-anchor:end;fill:#556}
svg .at{font-size:11px;text-anchor:middle;fill:#334}svg .bad{fill:#c62828;font-size:12px;text-anchor:middle}svg .zero{fill:#1565c0;font-size:12px;text-anchor:middle}
`;

function normalize(input: GradientReport | readonly GradientReport[] | ReportCollection): ReportCollection {
  if (Array.isArray(input)) return { configs: [{ name: '', reports: input as readonly GradientReport[] }] };
  const c = input as ReportCollection;
  if (Array.isArray(c.configs)) return c;
  return { configs: [{ name: '', reports: [input as GradientReport] }] };
}

const badge = (verdict: string) => `<span class="verdict v-${esc(verdict)}">${esc(verdict)}</span>`;

function flowChart(r: GradientReport): string {
  const layers = r.layers;
  const weights = layers.filter((l) => l.isWeight);
  const shown = weights.length >= 2 ? weights : layers;
  const series: Series[] = [{ name: '‖g‖', values: shown.map((l) => l.gradNorm), color: '#1d4ed8', width: 2 }];
  if (shown.some((l) => l.paramNorm !== undefined)) series.push({ name: '‖θ‖', values: shown.map((l) => l.paramNorm ?? Number.NaN), color: '#9aa3af' });
  const charts = [
    lineChart({
      title: `Gradient flow: ‖g‖ per ${shown === weights ? 'weight ' : ''}layer (log scale), input → output`,
      xLabels: shown.map((l) => l.name),
      xTitle: 'layer (tree path)',
      yTitle: 'norm',
      series,
      log: true,
      rotateLabels: true,
    }),
  ];
  if (series.length > 1) charts.push('<p class="muted">Blue: the gradient norm ‖g‖ of each layer; grey: its parameter norm ‖θ‖.</p>');
  const taps = r.activations.filter((a) => a.gradNorm !== undefined && isDepthTap(a.name));
  if (taps.length >= 2) {
    charts.push(
      lineChart({
        title: '‖∂L/∂h‖ per layer output (log scale), input → output',
        xLabels: taps.map((a) => a.name),
        xTitle: 'tapped layer',
        yTitle: 'norm',
        series: [{ name: '‖∂L/∂h‖', values: taps.map((a) => a.gradNorm as number), color: '#0f766e', width: 2 }],
        log: true,
        rotateLabels: true,
      }),
    );
  }
  return charts.join('');
}

function historyCharts(reports: readonly GradientReport[]): string {
  if (reports.length < 2) return '';
  const t = reportTrends(reports);
  const xLabels = t.steps.map(String);
  const last = reports[reports.length - 1] as GradientReport;
  const weights = last.layers.filter((l) => l.isWeight);
  const names = (weights.length >= 2 ? weights : last.layers).map((l) => l.name);
  const series: Series[] = names.map((name, i) => ({ name, values: t.gradNorm[name] ?? [], color: depthColor(i, names.length), width: 1 }));
  series.push({ name: 'global ‖g‖', values: t.globalNorm, color: '#111827', width: 2.5 });
  const out = [
    lineChart({ title: 'Gradient norms over steps (log scale)', xLabels, xTitle: 'step', yTitle: 'norm', series, log: true }),
    '<p class="muted">One line per layer, from blue (input side) to red (output side); black: the global norm.</p>',
  ];
  const tapNames = Object.keys(t.deadFraction).filter(isDepthTap);
  if (tapNames.length > 0) {
    const kinds = new Map(last.activations.map((a) => [a.name, a.kind]));
    const fracSeries: Series[] = tapNames.map((name, i) => ({
      name: `${name} (${kinds.get(name) === 'relu' ? 'dead' : 'saturated'})`,
      values: (kinds.get(name) === 'relu' ? t.deadFraction[name] : t.saturationFraction[name]) ?? [],
      color: depthColor(i, tapNames.length),
      width: 1.5,
    }));
    out.push(
      lineChart({ title: 'Dead units and saturation over steps', xLabels, xTitle: 'step', yTitle: 'fraction', series: fracSeries, log: false, yRange: [0, 1] }),
    );
    out.push('<p class="muted">Per tapped layer: the fraction of dead units (relu) or of saturated outputs (sigmoid, tanh).</p>');
  }
  return out.join('');
}

function layerTable(r: GradientReport): string {
  const hasParams = r.layers.some((l) => l.paramNorm !== undefined);
  const hasUpdates = r.layers.some((l) => l.updateRatio !== undefined);
  const head = [
    'layer',
    'shape',
    '‖g‖',
    'mean',
    'std',
    'max |g|',
    'zero',
    'non-finite',
    ...(hasParams ? ['‖θ‖', '‖g‖/‖θ‖'] : []),
    ...(hasUpdates ? ['‖u‖/‖θ‖'] : []),
  ];
  const rows = r.layers.map((l) =>
    [
      l.name,
      l.shape.join('×') || 'scalar',
      fmt(l.gradNorm),
      fmt(l.gradMean),
      fmt(l.gradStd),
      fmt(l.gradMaxAbs),
      pct(l.gradZeroFraction),
      String(l.nonFinite),
      ...(hasParams ? [fmt(l.paramNorm), fmt(l.gradToParam)] : []),
      ...(hasUpdates ? [fmt(l.updateRatio)] : []),
    ]
      .map((c) => `<td>${esc(c)}</td>`)
      .join(''),
  );
  let html = `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row}</tr>`).join('')}</tbody></table>`;
  if (r.activations.length > 0) {
    const aHead = ['activation', 'kind', 'units', 'dead', 'saturated', 'mean', 'std', '‖∂L/∂h‖'];
    const aRows = groupStepTaps(r.activations).map((a) =>
      [
        a.name,
        a.kind,
        String(a.units),
        a.kind === 'relu' ? pct(a.deadFraction) : '–',
        a.kind === 'sigmoid' || a.kind === 'tanh' ? pct(a.saturationFraction) : '–',
        fmt(a.mean),
        fmt(a.std),
        fmt(a.gradNorm),
      ]
        .map((c) => `<td>${esc(c)}</td>`)
        .join(''),
    );
    html += `<table><thead><tr>${aHead.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${aRows.map((row) => `<tr>${row}</tr>`).join('')}</tbody></table>`;
  }
  return html;
}

function findings(r: GradientReport): string {
  if (r.findings.length === 0) return '<p class="muted">No rule fired.</p>';
  return r.findings
    .map(
      (f) =>
        `<div class="finding ${esc(f.severity)}"><strong>${esc(f.kind)}</strong> at <code>${esc(f.where)}</code><br>${esc(f.what)}<br><span class="muted">Why: ${esc(f.why)}</span><ul>${f.toTry
          .map((t) => `<li>${esc(t)}</li>`)
          .join('')}</ul></div>`,
    )
    .join('');
}

function configSection(c: ReportConfig): string {
  const last = c.reports[c.reports.length - 1];
  const title = c.name ? `<h2>${esc(c.name)}${last ? badge(last.verdict) : ''}</h2>` : last ? `<h2>Verdict${badge(last.verdict)}</h2>` : '';
  if (!last) return `<section class="config">${title}<p class="muted">No reports.</p></section>`;
  const summary = Object.entries(c.summary ?? {});
  const facts = [
    ['reports', String(c.reports.length)],
    ...(last.step === undefined ? [] : [['last step', String(last.step)]]),
    ['global ‖g‖', fmt(last.globalNorm)],
    ['first/last layer ‖g‖', fmt(last.firstLastRatio)],
    ['backend', last.backend],
    ...summary.map(([k, v]) => [k, typeof v === 'number' ? fmt(v) : String(v)]),
  ];
  return [
    '<section class="config">',
    title,
    `<table>${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`,
    flowChart(last),
    temporalCharts(last),
    historyCharts(c.reports),
    sequenceHistoryCharts(c.reports),
    `<h3>Findings${last.step === undefined ? '' : ` at step ${esc(last.step)}`}</h3>`,
    findings(last),
    '<h3>Layers</h3>',
    layerTable(last),
    attentionTable(last),
    '</section>',
  ].join('\n');
}

function overview(configs: readonly ReportConfig[]): string {
  if (configs.length < 2) return '';
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c.summary ?? {})))];
  const head = ['configuration', 'verdict', 'first/last ‖g‖', ...keys];
  const rows = configs.map((c) => {
    const last = c.reports[c.reports.length - 1];
    const cells = [
      esc(c.name),
      last ? badge(last.verdict) : '–',
      esc(fmt(last?.firstLastRatio)),
      ...keys.map((k) => {
        const v = c.summary?.[k];
        return esc(v === undefined ? '–' : typeof v === 'number' ? fmt(v) : String(v));
      }),
    ];
    return `<tr>${cells.map((x) => `<td>${x}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * Renders reports as one self-contained HTML page (inline CSS and SVG; no scripts, no external
 * assets, every name and message escaped): per configuration, the verdict, the gradient-flow chart
 * (‖g‖ per layer on a log scale, input to output, and ‖∂L/∂h‖ per layer output when taps were
 * observed), the gradient flow through time of each recurrent layer (‖∂L/∂hₜ‖ over t, log scale),
 * the norms over steps (one line per layer, coloured by depth, and the global norm), dead and
 * saturated fractions over steps, per recurrent layer a heat map of ‖∂L/∂hₜ‖ over training steps
 * (rows) and t (columns), the attention entropy and largest logit per attention layer over steps,
 * the findings and the layer, activation and attention tables of the last report. Several
 * configurations are shown side by side, with an overview table.
 *
 * @param input - one report, a history (`monitor.history`), or `{ title?, configs: [{ name, reports, summary? }] }`.
 * @throws ValueError naming the part of `input` that is not a report document; UnknownOptionError
 *   for an option it does not take; HyperParameterError for a `title` that is not a string.
 * @example
 * ```ts
 * writeFileSync('report.html', toHTML({ title: 'Remedies', configs: [{ name: 'sigmoid', reports: a }, { name: 'relu + He', reports: b }] }));
 * ```
 */
export function toHTML(input: GradientReport | readonly GradientReport[] | ReportCollection, options: HtmlOptions = {}): string {
  checkReportDocument('input', input);
  checkSequenceFields('input', input);
  const o = checkOptions('toHTML', options, ['title'], { example: "toHTML(monitor.history, { title: 'run 42' })" });
  if (o.title !== undefined && typeof o.title !== 'string') throw new HyperParameterError('title', `title must be a string, got ${describeValue(o.title)}`);
  const collection = normalize(input);
  const title = o.title ?? collection.title ?? 'gradkit gradient report';
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    `<h1>${esc(title)}</h1>`,
    overview(collection.configs),
    `<div class="grid-configs">${collection.configs.map(configSection).join('\n')}</div>`,
    '<p class="muted">Made by @gradkit/diagnostics. Rules and thresholds: see DiagnosticsThresholds.</p>',
    '</body></html>',
  ].join('\n');
}
