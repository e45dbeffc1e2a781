/**
 * stratacache/dashboard (the BUILT package: `npx tsup` first) served over real HTTP on loopback, opened in
 * Debian's headless Chromium through playwright-core, against a live cache over the suite's private Redis.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { Cache } from 'stratacache';
import { type DashboardHandler, dashboardHandler, startHeartbeat } from 'stratacache/dashboard';
import { RedisStore } from 'stratacache/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = (() => {
  try {
    execFileSync('test', ['-x', CHROMIUM]);
    return true;
  } catch {
    return false;
  }
})();
if (!hasChromium) console.warn(`SKIPPED: ${CHROMIUM} not found; install the Debian package \`chromium\``);

let redis: ServerHandle;
let store: RedisStore;
let cache: Cache;
let dashboard: DashboardHandler;
let server: Server;
let url: string;

beforeAll(async () => {
  redis = await startRedis();
  store = new RedisStore({ url: redis.url });
  cache = new Cache({ l2: store, ttl: 60_000 });
  dashboard = dashboardHandler(cache, { fleetStore: store, intervalMs: 200 });
  server = createServer((req, res) => {
    if (req.url?.startsWith('/admin/cache')) {
      req.url = req.url.slice('/admin/cache'.length) || '/';
      dashboard(req, res);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/cache/`;
});
afterAll(async () => {
  dashboard?.close();
  server?.closeAllConnections(); // fetch keeps its sockets alive in undici's pool
  await new Promise((r) => server?.close(r));
  await cache?.close();
  await redis?.stop();
});

describe('dashboard over http', () => {
  it('serves the page, uPlot and an event stream of stats', async () => {
    const page = await fetch(url);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('id="hit-ratio"');
    const uplot = await fetch(`${url}uplot.js`);
    expect(uplot.status).toBe(200);
    await uplot.arrayBuffer(); // an unread body holds its socket
    const res = await fetch(`${url}events`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    const text = new TextDecoder().decode(value);
    const snapshot = JSON.parse(text.slice(text.indexOf('data: ') + 6));
    expect(snapshot).toMatchObject({ hits: cache.stats().hits, entries: cache.stats().entries });
    await reader.cancel();
    const missing = await fetch(`${url}nope`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
  });
});

describe.skipIf(!hasChromium)('dashboard in headless chromium', () => {
  it('renders live numbers that change with cache traffic, charts and the fleet table', async () => {
    const heartbeat = startHeartbeat(cache, { store, instanceId: 'web-1', name: 'web', intervalMs: 200 });
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    try {
      const page = await browser.newPage();
      // Fail on a wait well before vitest's own timeout, with playwright's message naming the predicate.
      page.setDefaultTimeout(10_000);
      await page.goto(url);
      // The predicates run in the page (strings: the test's tsconfig has no DOM lib).
      await page.waitForFunction("Number(document.getElementById('updates').textContent) >= 2");
      const before = await page.textContent('#l1-entries');
      for (let i = 0; i < 50; i++) await cache.getOrSet(`item:${i}`, () => ({ i }));
      for (let i = 0; i < 50; i++) await cache.get(`item:${i}`);
      await page.waitForFunction("document.getElementById('l1-entries').textContent === '50'");
      expect(before).not.toBe('50');
      await page.waitForFunction("document.getElementById('hit-ratio').textContent !== '0.0%'");
      expect(await page.textContent('#hit-ratio')).toMatch(/^\d+\.\d%$/);
      await page.waitForFunction("document.querySelector('#fleet td')?.textContent === 'web-1'");
      expect(await page.textContent('#status')).toBe('live');
      // uPlot drew its canvases (one per chart).
      expect(await page.locator('.uplot canvas').count()).toBe(4);
      mkdirSync('.tmp/artifacts', { recursive: true });
      await page.screenshot({ path: '.tmp/artifacts/dashboard.png', fullPage: true });
    } finally {
      await browser.close();
      await heartbeat.stop();
    }
  });
});
