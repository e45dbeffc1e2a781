/** 12,345 */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A number as TypeScript source: 3_600_000. */
export function literal(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '_');
}

/** A duration in words: 5 min 10 s, 1 h, 200 ms. */
export function duration(value: number): string {
  if (value < 1000) return `${value} ms`;
  const h = Math.floor(value / 3_600_000);
  const m = Math.floor((value % 3_600_000) / 60_000);
  const s = Math.round((value % 60_000) / 1000);
  return [h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : '', s > 0 ? `${s} s` : ''].filter(Boolean).join(' ');
}

/** 93.4 % */
export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}

/** A latency with a unit that keeps it readable: 4 µs, 0.31 ms, 212 ms. */
export function ms(value: number): string {
  if (value < 0.1) return `${Math.max(1, Math.round(value * 1000))} µs`;
  if (value < 10) return `${value.toFixed(2)} ms`;
  return `${Math.round(value)} ms`;
}

/** $123.45 */
export function price(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

/** "6.2× fewer" style ratio, one decimal under 10. */
export function times(ratio: number): string {
  if (!Number.isFinite(ratio)) return '∞×';
  return ratio < 10 ? `${ratio.toFixed(1)}×` : `${Math.round(ratio)}×`;
}

/**
 * A boxed text table; the first column is left-aligned, the others right-aligned. A row of one cell
 * `'-'` draws a separator.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const cell = (text: string, c: number): string =>
    c === 0 ? text.padEnd(widths[c]!) : text.padStart(widths[c]!);
  const line = (l: string, m: string, r: string): string =>
    `   ${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const row = (cells: readonly string[]): string =>
    `   │${widths.map((_, c) => ` ${cell(cells[c] ?? '', c)} `).join('│')}│`;
  const out = [line('┌', '┬', '┐'), row(header), line('├', '┼', '┤')];
  for (const r of rows) out.push(r.length === 1 && r[0] === '-' ? line('├', '┼', '┤') : row(r));
  out.push(line('└', '┴', '┘'));
  return out.join('\n');
}

/** Breaks `text` into lines of at most `width` characters, at spaces. */
export function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}
