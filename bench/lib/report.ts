/**
 * Shared output of the bench suites: markdown tables printed to stdout and kept per suite in
 * bench/results/<suite>.md, from which bench/run.ts composes bench/RESULTS.md. Numbers are never edited
 * by hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** One table: a title, column headers and rows of cells. */
export interface Table {
  title: string;
  note?: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

function cell(v: string | number): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(3);
}

export function renderTable(t: Table): string {
  const head = `| ${t.columns.join(' | ')} |\n|${t.columns.map(() => '---').join('|')}|\n`;
  const body = t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
  return `### ${t.title}\n\n${t.note ? `${t.note}\n\n` : ''}${head}${body}\n`;
}

export function machineLine(): string {
  return `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${new Date().toISOString().slice(0, 10)}`;
}

/** Prints the tables and stores them as the latest result of `suite`. */
export function report(suite: string, tables: Table[]): void {
  const md = `## ${suite}\n\n_${machineLine()}_\n\n${tables.map(renderTable).join('\n')}`;
  process.stdout.write(`\n${md}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${suite}.md`), md);
}

/** Median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
