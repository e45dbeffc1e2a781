import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findAll, parseXml, textOf } from '../helpers/xml.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

/** Runs the demo; `onLine` sees each stdout line as it is printed. */
function runDemo(
  args: readonly string[],
  onLine?: (line: string) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) onLine?.(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    // Generous: PGlite's start-up alone takes half a minute on a loaded machine.
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
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

/** What the dashboard answered while the demo ran: its page, and the first event of its stream. */
async function visitDashboard(url: string): Promise<{ status: number; page: string; event: unknown }> {
  const page = await fetch(url);
  const html = await page.text();
  const events = await fetch(new URL('events', url));
  const reader = events.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return { status: page.status, page: html, event: JSON.parse(text.slice(text.indexOf('data: ') + 6)) };
}

describe('npm run demo', () => {
  it('runs the quick scenario, prints the tables, serves the dashboard, draws the picture and passes every check', {
    timeout: 150_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'sc-demo-'));
    let visit: Promise<Awaited<ReturnType<typeof visitDashboard>>> | undefined;
    const { code, stdout, stderr } = await runDemo(['--quick', '--out', out], (line) => {
      const url = /^Dashboard: (http:\/\/127\.0\.0\.1:\d+\/) \(live while the demo runs\)$/.exec(line)?.[1];
      if (url !== undefined && visit === undefined) {
        visit = visitDashboard(url);
        // Handled here so a refusal is not unhandled before it is awaited below.
        visit.catch(() => {});
      }
    });
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

    // The dashboard answered while the demo ran (its server is closed before the process exits on its own).
    expect(visit, 'no "Dashboard: URL" line').toBeDefined();
    const answered = await visit!;
    expect(answered.status).toBe(200);
    expect(answered.page).toContain('<html');
    expect(answered.event).toMatchObject({ hits: expect.any(Number), latency: { get: expect.any(Object) } });

    // The picture: the path printed last, well-formed XML, three panels, the five phases, the price change.
    const svgPath = join(out, 'demo.svg');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe(
      `Picture: ${svgPath} (hit ratio, requests/s by outcome, get/load latency per phase)`,
    );
    const svgText = readFileSync(svgPath, 'utf8');
    const svg = parseXml(svgText);
    expect(svg.name).toBe('svg');
    const panels = findAll(svg, (e) => e.attrs.class === 'panel');
    expect(panels.map((p) => p.attrs['data-title']!.split(' ')[0])).toEqual(['hit', 'requests/s', 'latency']);
    const series = findAll(svg, (e) => e.attrs.class === 'series' && e.children.length > 0);
    expect(series.map((s) => s.attrs['data-name'])).toEqual(
      expect.arrayContaining([
        'hit ratio',
        'L1 hit',
        'miss',
        'stale served',
        'get p50',
        'get p99',
        'load p99',
      ]),
    );
    expect(
      findAll(svg, (e) => e.attrs.class === 'bands')[0]!.children.filter((c) => c.name === 'rect'),
    ).toHaveLength(5);
    expect(findAll(svg, (e) => e.attrs.class === 'marker').map((m) => textOf(m).trim())[0]).toMatch(
      /^price change of #\d+ \+ invalidateTags$/,
    );
    expect(svgText).not.toMatch(/NaN|Infinity/);

    // Rendered by a real browser when there is one (CI installs Debian's chromium), for a look at the artifact.
    if (existsSync(CHROMIUM)) {
      const artifacts = join(root, '.tmp', 'artifacts');
      mkdirSync(artifacts, { recursive: true });
      const png = join(artifacts, 'demo.png');
      rmSync(png, { force: true });
      const profile = mkdtempSync(join(tmpdir(), 'sc-chromium-'));
      try {
        await promisify(execFile)(
          CHROMIUM,
          [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--hide-scrollbars',
            `--user-data-dir=${profile}`,
            `--window-size=${svg.attrs.width},${svg.attrs.height}`,
            `--screenshot=${png}`,
            pathToFileURL(svgPath).href,
          ],
          { timeout: 60_000 },
        );
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
      expect(readFileSync(png).subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    } else {
      console.warn(`${CHROMIUM} not found: demo.svg not rendered to .tmp/artifacts/demo.png`);
    }
    rmSync(out, { recursive: true, force: true });
  });

  it('rejects a bad argument with the usage and exit code 2', { timeout: 30_000 }, async () => {
    const { code, stderr } = await runDemo(['--clients', 'many']);
    expect(code).toBe(2);
    expect(stderr).toContain('Expected `--clients` to be an integer in 1..1000, got "many"');
    expect(stderr).toContain('Usage: npm run demo');
  });
});
