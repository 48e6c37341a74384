import { ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatText, fromJSON, GradientMonitor, type GradientReport, inspectGradients, toHTML, toJSON } from './index.js';
import { sequenceStep, withSmallMatMuls } from './sequence-test-support.js';
import { heatColor } from './svg.js';

// The text, JSON and HTML reports of a net with a tanh recurrent layer `rnn` (12 steps) and an
// attention layer `attn` (sequence-test-support.ts), one report and a history of 3 whose recurrent
// scale and query/key scale grow step by step.
const T = 12;
let report: GradientReport;
let history: GradientReport[];

beforeAll(async () => {
  await withSmallMatMuls(async () => {
    const one = sequenceStep(T, 1, 1);
    report = await inspectGradients(one.grads, { params: one.params, activations: one.taps, step: 0 });
    tf.dispose([one.params, one.grads, one.taps] as never);
    const monitor = new GradientMonitor();
    for (const [i, scale] of [0.3, 1, 3].entries()) {
      const s = sequenceStep(T, scale, scale * 4);
      await monitor.observe({ grads: s.grads, params: s.params, taps: s.taps, step: 10 * i });
      tf.dispose([s.params, s.grads, s.taps] as never);
    }
    history = [...monitor.history];
  });
}, 180_000);

/** Relative luminance of `rgb(r,g,b)` (ITU-R BT.709 weights). */
const luminance = (rgb: string) => {
  const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

describe('reports of gradients through time and through attention', () => {
  it('the report has one temporal profile and one attention entry', () => {
    expect(report.temporal?.map((p) => [p.layer, p.steps.length])).toEqual([['rnn', T]]);
    expect(report.attention?.map((a) => a.layer)).toEqual(['attn']);
  });

  it('text: one activation row per recurrent layer, a temporal line with ‖∂L/∂hₜ‖ at 6 steps and the decay, the attention row', () => {
    const text = formatText(report);
    const p = report.temporal?.[0];
    expect(text).toMatch(/^rnn\.t0…t11 \(12 steps\) +tanh +4 /m);
    expect(text).not.toMatch(/^rnn\.t\d+ /m);
    const line = text.split('\n').find((l) => l.startsWith('  rnn (12 steps): '));
    expect(line).toBeDefined();
    // indices round(k·11/5): 0, 2, 4, 7, 9, 11
    expect(line?.match(/t=\d+/g)).toEqual(['t=0', 't=2', 't=4', 't=7', 't=9', 't=11']);
    expect(line).toContain(`first/last ${fmtLike(p?.firstLastRatio)}`);
    const a = report.attention?.[0];
    // 12 keys: ln 12 = 2.48
    expect(text).toMatch(new RegExp(`^attn +${reEscape(fmtLike(a?.entropy))} +2\\.48 +\\d+\\.\\d% +${reEscape(fmtLike(a?.logitMaxAbs))} `, 'm'));
    expect(text).toMatch(/^attn\.probs +linear /m);
  });

  it('JSON: the temporal and attention fields round-trip, and malformed ones are rejected naming the path', () => {
    expect(fromJSON(toJSON(report))).toEqual(report);
    expect(fromJSON(toJSON(history))).toEqual(history);
    const bad = (edit: (r: Record<string, unknown>) => void) => {
      const r = JSON.parse(toJSON(report));
      edit(r);
      return () => fromJSON(JSON.stringify(r));
    };
    expect(bad((r) => ((r.temporal as { gradNorm: number[] }[])[0] as { gradNorm: number[] }).gradNorm.pop())).toThrow(ValueError);
    expect(bad((r) => ((r.temporal as { gradNorm: number[] }[])[0] as { gradNorm: number[] }).gradNorm.pop())).toThrow(
      /text\.temporal\.0\.gradNorm must be a list of 12 numbers/,
    );
    expect(bad((r) => ((r.temporal as { steps: number[] }[])[0] as { steps: number[] }).steps.reverse())).toThrow(
      /text\.temporal\.0\.steps must be an ascending list/,
    );
    expect(bad((r) => (((r.attention as Record<string, unknown>[])[0] as Record<string, unknown>).entropy = 'high'))).toThrow(
      /text\.attention\.0\.entropy must be a number/,
    );
    expect(bad((r) => (r.temporal = {}))).toThrow(/text\.temporal must be a list of temporal profiles/);
    expect(bad((r) => ((r.attention as unknown[])[0] = null))).toThrow(/text\.attention\.0 must be attention statistics/);
    const list = JSON.parse(toJSON(history));
    list[2].temporal[0].layer = 3;
    expect(() => fromJSON(JSON.stringify(list))).toThrow(/text\.2\.temporal\.0\.layer must be a string/);
    expect(() => toJSON({ ...report, temporal: [{ layer: 'x', steps: [0, 1], gradNorm: [1] }] } as never)).toThrow(/doc\.temporal\.0\.gradNorm/);
  });

  it('HTML, one report: a log-scale chart of ‖∂L/∂hₜ‖ over t with one point per step', () => {
    const html = toHTML(report);
    const chart = svgTitled(html, 'Gradient flow through time: ‖∂L/∂hₜ‖ of rnn (log scale)');
    const points = [...chart.matchAll(/<circle [^>]*><title>‖∂L\/∂hₜ‖ · (\d+): ([^<]+)<\/title>/g)];
    expect(points.map((m) => Number(m[1]))).toEqual(Array.from({ length: T }, (_, t) => t));
    expect(points.map((m) => m[2])).toEqual(report.temporal?.[0]?.gradNorm.map(fmtLike));
    // the activation table groups the steps too
    expect(html).toContain('<td>rnn.t0…t11 (12 steps)</td>');
    expect(html).not.toContain('<td>rnn.t3</td>');
    expect(html).toMatch(/<td>attn<\/td><td>[^<]+<\/td><td>2\.48<\/td>/);
  });

  it('HTML, a history: a heat map with one cell per (step, t), colours ordered by value, and the attention entropy over steps', () => {
    const html = toHTML(history);
    const heat = svgTitled(html, '‖∂L/∂hₜ‖ of rnn over training (rows: steps; columns: t; log scale)');
    const cells = [...heat.matchAll(/<rect class="cell" [^>]*fill="([^"]+)"><title>step (\d+) · t (\d+): [^<]+<\/title>/g)].map((m) => ({
      fill: m[1] as string,
      step: Number(m[2]),
      t: Number(m[3]),
    }));
    expect(cells.map((c) => `${c.step}:${c.t}`)).toEqual([0, 10, 20].flatMap((s) => Array.from({ length: T }, (_, t) => `${s}:${t}`)));
    const value = (c: { step: number; t: number }) => history.find((r) => r.step === c.step)?.temporal?.[0]?.gradNorm[c.t] as number;
    const sorted = [...cells].sort((a, b) => value(a) - value(b));
    for (let i = 1; i < sorted.length; i++)
      expect(luminance((sorted[i] as { fill: string }).fill)).toBeGreaterThanOrEqual(luminance((sorted[i - 1] as { fill: string }).fill) - 1e-9);
    // the smallest and the largest value take the ends of the scale
    expect((sorted[0] as { fill: string }).fill).toBe(heatColor(0));
    expect((sorted[sorted.length - 1] as { fill: string }).fill).toBe(heatColor(1));
    const entropy = svgTitled(html, 'Attention entropy per layer over steps (nats)');
    const points = [...entropy.matchAll(/<title>attn · (\d+): ([^<]+)<\/title>/g)].map((m) => [Number(m[1]), m[2]]);
    expect(points).toEqual(history.map((r) => [r.step, fmtLike(r.attention?.[0]?.entropy)]));
    // the entropy falls as the query/key scale grows (×1.2, ×4, ×12)
    const e = history.map((r) => r.attention?.[0]?.entropy as number);
    expect(e[0]).toBeGreaterThan(e[2] as number);
    expect(html).toContain('Largest attention logit |logit| per layer over steps (log scale)');
    // step taps and attention maps are not drawn as layers of the depth charts
    expect(html).not.toMatch(/rnn\.t\d+ \((dead|saturated)\)/);
    expect(html).not.toMatch(/\b(src|href)\s*=|url\(|@import|https?:|<script/i);
  });

  it('heat colours: viridis, lightness rising with the value', () => {
    expect(heatColor(0)).toBe('rgb(68,1,84)');
    expect(heatColor(1)).toBe('rgb(253,231,37)');
    const l = Array.from({ length: 101 }, (_, k) => luminance(heatColor(k / 100)));
    for (let k = 1; k < l.length; k++) expect(l[k]).toBeGreaterThan(l[k - 1] as number);
  });
});

/** The `<svg>` whose `<title>` is `title`. */
function svgTitled(html: string, title: string): string {
  const t = `<title>${title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</title>`;
  const svg = html.split('<svg ').find((s) => s.includes(t));
  expect(svg, title).toBeDefined();
  return (svg as string).slice(0, (svg as string).indexOf('</svg>'));
}

/** The reports' number format (3 significant digits), re-derived here: 0.0123, 4.56e-17, 1.23e+5. */
function fmtLike(x: number | undefined): string {
  if (x === undefined) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(3)));
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
