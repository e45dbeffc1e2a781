import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What one run of the built bin printed, and its exit code. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Fails the suite early when the bin is not built (the tests run dist/cli.js, not the sources). */
export function requireBuiltCli(): void {
  if (!existsSync('dist/cli.js')) throw new Error('dist/cli.js is missing: run `npm run build` first');
}

/** Runs `node dist/cli.js ...args`; a run that outlives `timeoutMs` is killed and fails its test. */
export async function runCli(args: readonly string[], timeoutMs = 20_000): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['dist/cli.js', ...args], { timeout: timeoutMs });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}
