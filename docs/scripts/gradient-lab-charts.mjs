#!/usr/bin/env node
// Draws the charts of the guide "Diagnosing vanishing and exploding gradients" from a gradient lab run:
//   npm run demo                                  # writes gradient-lab-report/report.json
//   node docs/scripts/gradient-lab-charts.mjs gradient-lab-report/report.json
// writes docs/guides/assets/gradient-flow.svg (‖g‖ per weight layer at step 0, log scale, one line per
// configuration) and docs/guides/assets/loss-curves.svg (training loss over the steps). Plain SVG, no
// dependencies, so the charts are versioned with the guide and rendered by any browser or by GitHub.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = process.argv[2];
if (!source) {
  console.error('usage: node docs/scripts/gradient-lab-charts.mjs <gradient-lab report.json>');
  process.exit(2);
}
const report = JSON.parse(readFileSync(source, 'utf8'));
if (report.format !== 'gradient-lab-report') {
  console.error(`${source} is not a gradient-lab report (format ${JSON.stringify(report.format)})`);
  process.exit(2);
}
const assets = join(dirname(fileURLToPath(import.meta.url)), '..', 'guides', 'assets');

const COLORS = ['#d62728', '#ff7f0e', '#bcbd22', '#2ca02c', '#1f77b4', '#17becf', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const W = 880;
const H = 380;
const M = { left: 64, right: 320, top: 36, bottom: 48 };
const plotW = W - M.left - M.right;
const plotH = H - M.top - M.bottom;
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v) => (typeof v === 'number' ? v : Number.NaN); // {$nonFinite: 'NaN'} → NaN
const fmt = (v) => Number(v.toFixed(2)).toString();

function frame(title, xLabel, yLabel, body, legend) {
  const items = legend
    .map(
      (l, i) =>
        `<g transform="translate(${W - M.right + 16},${M.top + 8 + i * 20})"><line x1="0" y1="0" x2="18" y2="0" stroke="${l.color}" stroke-width="2.5"/>` +
        `<text x="24" y="4">${esc(l.label)}</text></g>`,
    )
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">
<title>${esc(title)}</title>
<desc>${esc(`${title}. Data: ${report.command}, ${report.backend}, ${report.data?.train ?? '?'} training digits.`)}</desc>
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${M.left}" y="20" font-size="14" font-weight="600">${esc(title)}</text>
<text x="${M.left + plotW / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>
<text transform="translate(16,${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>
${body}
${items}
</svg>
`;
}

/** ‖g‖ of every weight layer at step 0, input to output, log scale. */
function gradientFlow() {
  // Adam and the schedule start like the baseline, and clipping like the exploding run: same step-0 gradients.
  const configs = report.diagnostics.configs.filter((c) => !/Adam|schedule|clip/i.test(c.name));
  const series = configs.map((c, i) => {
    const first = c.reports.find((r) => r.step === 0) ?? c.reports[0];
    const norms = first.layers.filter((l) => l.isWeight).map((l) => num(l.gradNorm));
    return { label: c.name, color: COLORS[i % COLORS.length], norms };
  });
  const finite = series.flatMap((s) => s.norms.filter((v) => Number.isFinite(v) && v > 0));
  const lo = Math.floor(Math.log10(Math.min(...finite)));
  const hi = Math.ceil(Math.log10(Math.max(...finite)));
  const layers = Math.max(...series.map((s) => s.norms.length));
  const x = (i) => M.left + (layers === 1 ? 0 : (i / (layers - 1)) * plotW);
  const y = (v) => M.top + plotH - ((Math.log10(v) - lo) / (hi - lo)) * plotH;
  const grid = [];
  for (let e = lo; e <= hi; e += 2) {
    grid.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#e5e5e5"/>`);
    grid.push(`<text x="${M.left - 6}" y="${y(10 ** e) + 4}" text-anchor="end">1e${e}</text>`);
  }
  for (let i = 0; i < layers; i++) grid.push(`<text x="${x(i)}" y="${M.top + plotH + 16}" text-anchor="middle">${i + 1}</text>`);
  const lines = series.map((s) => {
    const pts = s.norms.map((v, i) => (Number.isFinite(v) && v > 0 ? `${fmt(x(i))},${fmt(y(v))}` : null)).filter(Boolean);
    const dots = pts.map((p) => `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${s.color}"/>`).join('');
    return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>${dots}`;
  });
  const body = [...grid, `<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`, ...lines].join('\n');
  return frame('Gradient norm per weight layer at step 0', 'weight layer (1 = input side, last = logits)', '‖g‖ (log scale)', body, series);
}

/** Training loss per step (moving average over 10 steps), capped at 2.6; a diverged run ends in a cross. */
function lossCurves() {
  const CAP = 2.6;
  const configs = report.configurations.filter((c) => !/Adam|schedule/i.test(c.configuration));
  const steps = Math.max(...configs.map((c) => c.lossCurve.length));
  const x = (s) => M.left + (s / (steps - 1)) * plotW;
  const y = (v) => M.top + plotH - (Math.min(v, CAP) / CAP) * plotH;
  const grid = [];
  for (let v = 0; v <= CAP; v += 0.5) {
    grid.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    grid.push(`<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  for (let s = 0; s <= steps; s += 100) grid.push(`<text x="${x(Math.min(s, steps - 1))}" y="${M.top + plotH + 16}" text-anchor="middle">${s}</text>`);
  const series = configs.map((c, i) => {
    const losses = c.lossCurve.map((p) => num(p.loss));
    const pts = [];
    let end = null;
    for (let s = 0; s < losses.length; s++) {
      if (!Number.isFinite(losses[s])) {
        end = s;
        break;
      }
      const win = losses.slice(Math.max(0, s - 9), s + 1);
      pts.push(`${fmt(x(s))},${fmt(y(win.reduce((a, b) => a + b, 0) / win.length))}`);
    }
    const label = end === null ? c.configuration : `${c.configuration} (NaN: step ${end})`;
    return { label, color: COLORS[i % COLORS.length], pts, end };
  });
  const lines = series.map((s) => {
    const cross =
      s.end === null ? '' : `<text x="${fmt(x(s.end))}" y="${M.top + 10}" fill="${s.color}" font-size="16" text-anchor="middle" font-weight="700">×</text>`;
    return `<polyline fill="none" stroke="${s.color}" stroke-width="1.8" points="${s.pts.join(' ')}"/>${cross}`;
  });
  const body = [...grid, `<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`, ...lines].join('\n');
  return frame('Training loss (10-step moving average, capped at 2.6)', 'step', 'cross-entropy', body, series);
}

writeFileSync(join(assets, 'gradient-flow.svg'), gradientFlow());
writeFileSync(join(assets, 'loss-curves.svg'), lossCurves());
console.log(`wrote ${join(assets, 'gradient-flow.svg')} and ${join(assets, 'loss-curves.svg')}`);
