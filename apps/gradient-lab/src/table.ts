// Plain-text tables for the terminal, and the number formats of the lab's outputs.

/** A number in a short form: 3 significant digits, exponent notation outside [1e-3, 1e4); '–' for undefined, 'NaN'/'∞' as such. */
export function num(x: number | undefined): string {
  if (x === undefined) return '–';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(1);
}

/** A fraction as a percentage with one decimal, e.g. 0.9123 → '91.2%'. */
export function pct(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)}%`;
}

/** Renders rows under a header with aligned columns (numbers right-aligned when `right[j]`). */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const widths = header.map((h, j) => Math.max([...h].length, ...rows.map((r) => [...(r[j] ?? '')].length)));
  const pad = (s: string, j: number) => {
    const fill = ' '.repeat(Math.max(0, (widths[j] as number) - [...s].length));
    return right[j] ? fill + s : s + fill;
  };
  const line = (cells: readonly string[]) =>
    cells
      .map((c, j) => pad(c, j))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
