import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';

const dir = join(process.cwd(), '.tmp', 'artifacts', 'fault-matrix');

/**
 * Records a figure a fault test has already computed (for docs/fault-matrix.md), as one JSON line in
 * `.tmp/artifacts/fault-matrix/<test path, / as ->.jsonl`. It only records; the test still asserts its bound.
 */
export function reportFigure(name: string, value: number, unit: string): void {
  const { testPath, currentTestName } = expect.getState();
  const file = relative(process.cwd(), testPath ?? 'unknown');
  mkdirSync(dir, { recursive: true });
  const line = { at: new Date().toISOString(), file, test: currentTestName, name, value, unit };
  appendFileSync(join(dir, `${file.replaceAll('/', '-')}.jsonl`), `${JSON.stringify(line)}\n`);
}
