/** A number in 3 significant digits for reports: `0.0123`, `4.56e-17`, `1.23e+5`, `NaN`. */
export function fmt(x: number | undefined | null): string {
  if (x === undefined || x === null) return '–';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

/** A fraction as a percentage with one decimal: `12.5%`. */
export function pct(x: number | undefined): string {
  if (x === undefined) return '–';
  if (!Number.isFinite(x)) return fmt(x);
  return `${(100 * x).toFixed(1)}%`;
}
