/**
 * A one-line progress bar redrawn in place with `\r` on a terminal; elsewhere (CI logs, pipes) it prints
 * a line at every quarter and whenever the label changes, so logs stay short.
 */
export class ProgressBar {
  readonly #total: number;
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #startedAt = performance.now();
  #lastDraw = 0;
  #lastQuarter = -1;
  #lastPrinted = -1;
  #label = '';

  constructor(total: number, out: NodeJS.WriteStream = process.stdout) {
    this.#total = total;
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  /** Reports `done` of the total under `label` (the current phase); cheap enough to call per request. */
  update(done: number, label: string): void {
    const labelChanged = label !== this.#label;
    this.#label = label;
    if (this.#tty) {
      const now = performance.now();
      if (!labelChanged && done < this.#total && now - this.#lastDraw < 80) return;
      this.#lastDraw = now;
      this.#out.write(`\r${this.#fit(this.#line(done))}\x1b[K`);
      return;
    }
    const quarter = Math.floor((4 * done) / this.#total);
    if (!labelChanged && quarter === this.#lastQuarter) return;
    this.#lastQuarter = quarter;
    this.#lastPrinted = done;
    this.#out.write(`${this.#line(done)}\n`);
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    if (this.#tty) this.#out.write(`\r${this.#fit(this.#line(this.#total))}\x1b[K\n`);
    else if (this.#lastPrinted !== this.#total) this.#out.write(`${this.#line(this.#total)}\n`);
  }

  /** Cuts the line to the terminal width: a wrapped line could not be redrawn in place. */
  #fit(line: string): string {
    const columns = this.#out.columns ?? 120;
    return line.length < columns ? line : `${line.slice(0, Math.max(0, columns - 2))}…`;
  }

  #line(done: number): string {
    const width = 28;
    const ratio = this.#total === 0 ? 1 : Math.min(1, done / this.#total);
    const filled = Math.round(ratio * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const pct = `${Math.floor(ratio * 100)}%`.padStart(4);
    const seconds = ((performance.now() - this.#startedAt) / 1000).toFixed(1);
    const count = `${done.toLocaleString('en-US')}/${this.#total.toLocaleString('en-US')}`;
    return `   ${bar} ${pct}  ${count} requests  ${seconds} s  ${this.#label}`;
  }
}
