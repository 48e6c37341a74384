// A progress bar that redraws one line on a terminal and prints a few plain lines otherwise (logs, CI).

/** Where the bar writes. */
export interface ProgressOutput {
  /** Writes text as it is (no newline added). */
  write(text: string): void;
  /** Whether the output is a terminal: redraw in place (`\r`) when true, plain lines when false. */
  readonly isTTY: boolean;
  /** Terminal width in characters (default 80). */
  readonly columns?: number;
}

/** Options of `ProgressBar`. */
export interface ProgressBarOptions {
  /** Shown before the bar. */
  readonly label: string;
  /** The count that means done. */
  readonly total: number;
  /** Without a terminal, print a line at every `plainEvery` fraction of the total (default 0.25: 25 %, 50 %, 75 %, 100 %). */
  readonly plainEvery?: number;
  /** Clock in milliseconds (for tests; default `performance.now`). */
  readonly now?: () => number;
}

const fmtSeconds = (s: number) => (s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

/**
 * A progress bar: `label ████████░░░░ 150/300  50%  loss 0.4123  3.2 s, ~3.1 s left`. On a terminal it
 * redraws its line at most every 100 ms (and always at the end); elsewhere it prints one plain line
 * per `plainEvery` of progress, so logs stay short.
 */
export class ProgressBar {
  private readonly out: ProgressOutput;
  private readonly label: string;
  private readonly total: number;
  private readonly plainEvery: number;
  private readonly now: () => number;
  private readonly started: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private nextPlain: number;
  private finished = false;

  constructor(out: ProgressOutput, options: ProgressBarOptions) {
    this.out = out;
    this.label = options.label;
    this.total = Math.max(1, options.total);
    this.plainEvery = options.plainEvery ?? 0.25;
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
    this.nextPlain = this.plainEvery;
  }

  /** The bar's text for `done` of the total, with optional extra text (e.g. the loss); `final` leaves out the time left. */
  render(done: number, extra = '', final = false): string {
    const fraction = Math.min(1, Math.max(0, done / this.total));
    const elapsed = (this.now() - this.started) / 1000;
    const eta = !final && fraction > 0 && fraction < 1 ? `, ~${fmtSeconds((elapsed * (1 - fraction)) / fraction)} left` : '';
    const tail = ` ${done}/${this.total} ${String(Math.floor(fraction * 100)).padStart(3)}%${extra ? `  ${extra}` : ''}  ${fmtSeconds(elapsed)}${eta}`;
    if (!this.out.isTTY) return `${this.label}${tail}`;
    const columns = this.out.columns ?? 80;
    const barWidth = Math.max(10, Math.min(30, columns - this.label.length - tail.length - 3));
    const full = Math.round(fraction * barWidth);
    return `${this.label} ${'█'.repeat(full)}${'░'.repeat(barWidth - full)}${tail}`.slice(0, Math.max(20, columns - 1));
  }

  /** Reports progress; draws when due. */
  update(done: number, extra = ''): void {
    if (this.finished) return;
    const fraction = done / this.total;
    if (this.out.isTTY) {
      const t = this.now();
      if (t - this.lastDraw < 100 && done < this.total) return;
      this.lastDraw = t;
      this.out.write(`\r\x1b[2K${this.render(done, extra)}`);
      return;
    }
    if (fraction + 1e-9 >= this.nextPlain && done < this.total) {
      while (this.nextPlain <= fraction + 1e-9) this.nextPlain += this.plainEvery;
      this.out.write(`${this.render(done, extra)}\n`);
    }
  }

  /** Draws the final state and ends the line (with an optional closing text instead of the bar's). */
  finish(done: number, extra = ''): void {
    if (this.finished) return;
    this.finished = true;
    this.out.write(`${this.out.isTTY ? '\r\x1b[2K' : ''}${this.render(done, extra, true)}\n`);
  }
}
