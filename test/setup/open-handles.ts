/**
 * After each test file: every handle the file opened (sockets, servers, timers, child processes) must be
 * closed again (STYLE.md: "tests assert no handles are left open"). Compares the kinds and counts of
 * `process.getActiveResourcesInfo()` with those seen when the file started, waiting a little for
 * sockets that are closing to go.
 */
import { afterAll } from 'vitest';

const SETTLE_MS = 5_000;

function counts(): Map<string, number> {
  const out = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) out.set(kind, (out.get(kind) ?? 0) + 1);
  return out;
}

function leftOver(baseline: Map<string, number>): string[] {
  const extra: string[] = [];
  for (const [kind, n] of counts()) {
    const more = n - (baseline.get(kind) ?? 0);
    if (more > 0) extra.push(`${more} × ${kind}`);
  }
  return extra;
}

/** The open timers (period, callback) and sockets (ports), for the failure message. */
function describeHandles(): string {
  const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  const timers = handles
    .filter(
      (h): h is { _idleTimeout: number; _onTimeout: unknown } =>
        (h as { constructor?: { name?: string } })?.constructor?.name === 'Timeout',
    )
    .map((t) => `${t._idleTimeout} ms: ${String(t._onTimeout).slice(0, 160).replace(/\s+/g, ' ')}`);
  const sockets = handles
    .filter((h) => (h as { constructor?: { name?: string } })?.constructor?.name === 'Socket')
    .map((h) => {
      const s = h as { localPort?: number; remotePort?: number; remoteAddress?: string };
      return `socket ${s.localPort} -> ${s.remoteAddress}:${s.remotePort}`;
    });
  const all = [...timers, ...sockets];
  return all.length === 0 ? '' : `open handles:\n  ${all.join('\n  ')}`;
}

const baseline = counts();

afterAll(async () => {
  const until = Date.now() + SETTLE_MS;
  let extra = leftOver(baseline);
  while (extra.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20).unref());
    extra = leftOver(baseline);
  }
  if (extra.length > 0) {
    console.error(describeHandles());
    throw new Error(
      `Expected every handle this test file opened to be closed, found open: ${extra.join(', ')}`,
    );
  }
});
