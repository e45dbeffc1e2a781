/**
 * `npm run bench [suite...]`: runs every suite in bench/suites but the soak (or the named ones), each in its own
 * process so one suite's heap does not skew the next, then composes bench/RESULTS.md from the latest
 * result of every suite.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const suitesDir = join(here, 'suites');
const all = readdirSync(suitesDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
/** Suites run only when named: the 10-minute soak is not part of a plain `npm run bench`. */
const BY_NAME_ONLY = new Set(['soak']);
for (const suite of wanted.length > 0 ? wanted : all.filter((s) => !BY_NAME_ONLY.has(s))) {
  console.log(`\n# suite ${suite}`);
  execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(suitesDir, `${suite}.ts`)], {
    stdio: 'inherit',
  });
}
const parts = existsSync(RESULTS_DIR)
  ? readdirSync(RESULTS_DIR)
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => readFileSync(join(RESULTS_DIR, f), 'utf8'))
  : [];
writeFileSync(
  join(here, 'RESULTS.md'),
  `# Benchmark results\n\nWritten by \`npm run bench\` (bench/run.ts); each section is the latest run of its suite. Ratios compare contenders measured in the same process run.\n\n${parts.join('\n')}`,
);
console.log('\nwrote bench/RESULTS.md');
