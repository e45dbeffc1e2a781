import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 55_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The cell of the summary row `label` in the "with stratacache" column. */
function withCache(stdout: string, label: string): string {
  const row = stdout.split('\n').find((l) => l.trimStart().startsWith(`│ ${label} `));
  if (row === undefined) throw new Error(`No summary row "${label}" in:\n${stdout}`);
  return row.split('│').at(-2)!.trim();
}

describe('npm run demo', () => {
  it('runs the quick scenario, prints the tables and passes every check', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runDemo(['--quick']);
    expect(stderr, stdout).toBe('');
    expect(code, stdout).toBe(0);
    for (const heading of ['1. Cold start', '2. Traffic through the cache', '3. The same traffic without']) {
      expect(stdout).toContain(heading);
    }
    expect(stdout).toContain('Per phase, with the cache');
    expect(stdout).toContain('Summary');
    expect(stdout).toContain('All checks passed.');
    expect(stdout).not.toContain('✗');
    // stdout is a pipe here, so the progress bar prints lines instead of redrawing with \r.
    expect(stdout).not.toContain('\r');
    expect(stdout).toMatch(/100% {2}8,000\/8,000 requests/);
    expect(withCache(stdout, 'requests')).toBe('8,000');
    expect(withCache(stdout, 'cold start: 500 requests for one product')).toBe('1 query');
    expect(withCache(stdout, 'price update seen after invalidateTags')).toBe('yes, at once');
    const queries = Number(withCache(stdout, 'database queries').split(' ')[0]!.replaceAll(',', ''));
    expect(queries).toBeGreaterThan(0);
    expect(queries).toBeLessThan(8_000);
    expect(withCache(stdout, 'hit ratio (whole run / once warm)')).toMatch(/^\d+\.\d % \/ \d+\.\d %$/);
  });

  it('rejects a bad argument with the usage and exit code 2', { timeout: 30_000 }, async () => {
    const { code, stderr } = await runDemo(['--clients', 'many']);
    expect(code).toBe(2);
    expect(stderr).toContain('Expected `--clients` to be an integer in 1..1000, got "many"');
    expect(stderr).toContain('Usage: npm run demo');
  });
});
