import { describe, expect, it } from 'vitest';
import { ProgressBar } from './progress.js';

const ESC = String.fromCharCode(27);
/** What a terminal redraw starts with: carriage return, then "erase the line". */
const CR = `\r${ESC}[2K`;

function sink(isTTY: boolean, columns = 100) {
  const chunks: string[] = [];
  return { out: { write: (t: string) => chunks.push(t), isTTY, columns }, chunks };
}

describe('ProgressBar', () => {
  it('on a terminal redraws one line with \\r, at most every 100 ms, and ends it with a newline', () => {
    let t = 0;
    const { out, chunks } = sink(true);
    const bar = new ProgressBar(out, { label: 'train', total: 10, now: () => t });
    bar.update(1, 'loss 2.3');
    t = 50;
    bar.update(2); // too soon: not drawn
    t = 200;
    bar.update(5, 'loss 1.1');
    t = 400;
    bar.finish(10, 'healthy');
    expect(chunks.length).toBe(3);
    expect(chunks[0]?.startsWith(`${CR}train █`)).toBe(true);
    expect(chunks[0]).toMatch(/█░+ 1\/10 {2}10% {2}loss 2\.3 {2}0\.0 s/);
    expect(chunks[1]).toContain('5/10  50%  loss 1.1  0.2 s, ~0.2 s left');
    expect(chunks[2]?.startsWith(`${CR}train ██████████`)).toBe(true);
    expect(chunks[2]?.endsWith(' 10/10 100%  healthy  0.4 s\n')).toBe(true);
    expect(chunks.every((c) => !c.slice(0, -1).includes('\n'))).toBe(true);
  });

  it('without a terminal prints a plain line at each quarter and at the end, without escape codes', () => {
    let t = 0;
    const { out, chunks } = sink(false);
    const bar = new ProgressBar(out, { label: '[1/3] baseline', total: 100, now: () => t });
    for (let i = 1; i < 100; i++) {
      t += 10;
      bar.update(i);
    }
    bar.finish(100, 'vanishing');
    expect(chunks.map((c) => c.match(/(\d+)\/100/)?.[1])).toEqual(['25', '50', '75', '100']);
    for (const bad of ['\r', ESC, '█']) expect(chunks.join('')).not.toContain(bad);
    expect(chunks[3]).toBe('[1/3] baseline 100/100 100%  vanishing  1.0 s\n');
  });

  it('finishes once and ignores updates afterwards', () => {
    const { out, chunks } = sink(false);
    const bar = new ProgressBar(out, { label: 'x', total: 4, now: () => 0 });
    bar.finish(2, 'stopped early');
    bar.update(3);
    bar.finish(4);
    expect(chunks).toEqual(['x 2/4  50%  stopped early  0.0 s\n']);
  });
});
