import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GradientMonitor, type GradientReport, toHTML } from './index.js';

const EVIL = '<script>alert("x")</script>';

async function history(scale: number, steps: number): Promise<GradientReport[]> {
  const monitor = new GradientMonitor();
  for (let s = 0; s < steps; s++) {
    const grads = { layers: [{ kernel: tf.fill([4, 4], 1e-6 * scale ** s) }, { kernel: tf.fill([4, 4], 0.5) }], [EVIL]: tf.fill([2, 2], 0.1) };
    const h = tf.tensor2d([
      [0, 1, 2, 0],
      [0, 3, 0, 0],
    ]);
    const dh = tf.onesLike(h);
    await monitor.observe({ grads, taps: { 'relu & <b>': { activation: h, grad: dh }, 'out "tap"': { activation: h, grad: dh } }, step: s * 5 });
    tf.dispose([grads, h, dh] as unknown as tf.TensorContainer);
  }
  return [...monitor.history];
}

describe('toHTML', () => {
  it('makes a self-contained page with the gradient-flow and over-steps charts, layer names, and everything escaped', async () => {
    const reports = await history(2, 4);
    const html = toHTML(reports, { title: 'Run <1>' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>Run &lt;1&gt;</title>');
    expect((html.match(/<svg /g) ?? []).length).toBe(4); // flow, ∂L/∂h flow, norms over steps, dead units over steps
    expect(html).toContain('Gradient flow: ‖g‖ per weight layer (log scale)');
    expect(html).toContain('Gradient norms over steps');
    expect(html).toContain('layers.0.kernel');
    expect(html).toContain('layers.1.kernel');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('relu &amp; &lt;b&gt;');
    expect(html).toContain('out &quot;tap&quot;');
    expect(html).not.toMatch(/<script|<b>/i);
    // self-contained: no scripts, no links to anything outside the page
    expect(html).not.toMatch(/\b(src|href)\s*=|url\(|@import|https?:/i);
    // the verdict of the last report and its findings
    expect(html).toContain(`<span class="verdict v-${reports[3]?.verdict}">`);
    expect(html).toContain('vanishing');
    // the x axis of the history chart shows the steps
    expect(html).toMatch(/class="xt">15</);
  });

  it('shows several configurations side by side with an overview table', async () => {
    const [a, b] = [await history(1, 2), await history(10, 3)];
    const html = toHTML({
      title: 'Remedies',
      configs: [
        { name: 'baseline <naive>', reports: a, summary: { 'test accuracy': 0.11 } },
        { name: 'relu + He', reports: b, summary: { 'test accuracy': 0.97, note: '<i>' } },
      ],
    });
    expect(html).toContain('<h1>Remedies</h1>');
    expect(html).toContain('baseline &lt;naive&gt;');
    expect(html).toContain('relu + He');
    expect(html).toContain('<th>test accuracy</th>');
    expect(html).toContain('<td>0.97</td>');
    expect(html).toContain('&lt;i&gt;');
    expect((html.match(/<section class="config">/g) ?? []).length).toBe(2);
    expect(html).not.toMatch(/<i>|<script/);
  });

  it('renders a single report, and marks non-finite norms', async () => {
    const g = { a: tf.tensor2d([[Number.NaN, 1]]), b: tf.tensor2d([[1, 1]]) };
    const monitor = new GradientMonitor();
    const r = await monitor.observe({ grads: g });
    const html = toHTML(r);
    expect(html).toContain('v-nonfinite');
    expect(html).toContain('class="bad"');
    expect((html.match(/<svg /g) ?? []).length).toBe(1);
    tf.dispose(g as unknown as tf.TensorContainer);
  });
});
