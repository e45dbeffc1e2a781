/**
 * stratacache/dashboard (the BUILT package: `npx tsup` first) served over real HTTP on loopback, opened in
 * Debian's headless Chromium through playwright-core, against a live cache over the suite's private Redis.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { Cache, type WriteBehind, writeBehind } from 'stratacache';
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
let readOnly: DashboardHandler;
let wb: WriteBehind<number>;
let server: Server;
let url: string;
let roUrl: string;
const TOKEN = 'dashboard-test-token-0123456789';

beforeAll(async () => {
  redis = await startRedis();
  store = new RedisStore({ url: redis.url });
  cache = new Cache({ l2: store, ttl: 60_000 });
  // A queue whose sink is down and that gives up at once: the page shows its dead letters.
  wb = writeBehind<number>(cache, {
    saveMany: async () => {
      throw new Error('database down');
    },
    flushIntervalMs: 10,
    retry: { attempts: 1 },
    onDeadLetter: () => {},
  });
  wb.on('error', () => {});
  dashboard = dashboardHandler(cache, {
    fleetStore: store,
    intervalMs: 200,
    writeBehind: wb,
    actions: { token: TOKEN },
  });
  readOnly = dashboardHandler(cache, { intervalMs: 200 });
  const mounts: Array<[string, DashboardHandler]> = [
    ['/admin/cache', dashboard],
    ['/ro', readOnly],
  ];
  server = createServer((req, res) => {
    for (const [base, handler] of mounts) {
      if (req.url?.startsWith(base)) {
        req.url = req.url.slice(base.length) || '/';
        handler(req, res);
        return;
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  url = `${origin}/admin/cache/`;
  roUrl = `${origin}/ro/`;
});
afterAll(async () => {
  dashboard?.close();
  readOnly?.close();
  server?.closeAllConnections(); // fetch keeps its sockets alive in undici's pool
  await new Promise((r) => server?.close(r));
  await wb?.close();
  await cache?.close();
  await redis?.stop();
});

/** Posts to an action and reads the whole reply (an unread body would hold a socket open). */
async function act(
  name: string,
  body: unknown,
  init: { token?: string | null; authorization?: string; base?: string; raw?: string } = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = init.token === undefined ? TOKEN : init.token;
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  else if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${init.base ?? url}actions/${name}`, {
    method: 'POST',
    headers,
    body: init.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text.startsWith('{') ? JSON.parse(text) : {} };
}

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

describe('dashboard actions', () => {
  it('refuses a missing or short token when actions are asked for', () => {
    for (const actions of [{ token: 'short' }, {} as { token: string }]) {
      expect(() => dashboardHandler(cache, { actions })).toThrow(
        expect.objectContaining({
          code: 'ERR_CACHE_INVALID_OPTION',
          message: expect.stringMatching(/at least 16/),
        }),
      );
    }
  });

  it('answers 404 without the option, and the read-only page has no form', async () => {
    expect((await act('invalidate-tag', { tag: 'x' }, { base: roUrl })).status).toBe(404);
    const page = await (await fetch(roUrl)).text();
    expect(page).not.toContain('id="actions"');
    const withActions = await (await fetch(url)).text();
    expect(withActions).toContain('id="actions"');
    expect(withActions).not.toContain(TOKEN);
  });

  it('answers 405 to GET, 401 without a bearer token, 403 with another one', async () => {
    const get = await fetch(`${url}actions/invalidate-tag`);
    await get.text();
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const none = await act('invalidate-tag', { tag: 'x' }, { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await act('invalidate-tag', { tag: 'x' }, { authorization: `Basic ${TOKEN}` })).status).toBe(401);
    // Same length, last character differs; a prefix; the token plus more.
    for (const wrong of [`${TOKEN.slice(0, -1)}X`, TOKEN.slice(0, 16), `${TOKEN}0`]) {
      const r = await act('invalidate-tag', { tag: 'x' }, { token: wrong });
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({ error: 'forbidden' });
    }
    expect((await act('invalidate-tag', { tag: 'x' }, { authorization: `bearer ${TOKEN}` })).status).toBe(
      200,
    );
  });

  it('answers 400 saying what was expected, 404 for an unknown action, 413 past 4 KB', async () => {
    const badJson = await act('invalidate-tag', undefined, { raw: '{"tag":' });
    expect(badJson.status).toBe(400);
    expect(badJson.json).toMatchObject({
      error: 'bad_request',
      message: expect.stringMatching(/Expected a JSON body/),
    });
    for (const body of [{}, { tag: 3 }, { tag: '' }, ['x'], 'x']) {
      const r = await act('invalidate-tag', body);
      expect(r.status).toBe(400);
      expect(r.json.message).toMatch(/Expected a JSON body \{"tag"/);
    }
    const r = await act('clear-namespace', { tag: 'x' });
    expect(r.json.message).toMatch(/\{"namespace"/);
    // The cache's own check of a tag (control characters) is the caller's mistake too.
    expect((await act('invalidate-tag', { tag: 'a\u0001b' })).status).toBe(400);
    for (const unknown of ['flush-everything', 'constructor', '__proto__']) {
      expect((await act(unknown, {})).status).toBe(404);
    }
    const big = await act('invalidate-tag', { tag: 'x'.repeat(5_000) });
    expect(big.status).toBe(413);
  });

  it('invalidates a tag, a pattern and a namespace through the cache', async () => {
    await cache.set('user:1', { id: 1 }, { tags: ['users'] });
    await cache.set('order:1', { id: 1 }, { tags: ['orders'] });
    expect(await act('invalidate-tag', { tag: 'users' })).toMatchObject({
      status: 200,
      json: { ok: true, action: 'invalidate-tag' },
    });
    expect(await cache.get('user:1')).toBeUndefined();
    expect(await cache.get('order:1')).toEqual({ id: 1 });

    await cache.set('p:1', 1);
    await cache.set('p:2', 2);
    const pattern = await act('invalidate-pattern', { pattern: 'p:*' });
    expect(pattern.status).toBe(200);
    expect(pattern.json.removed).toBeGreaterThanOrEqual(2);
    expect(await cache.get('p:1')).toBeUndefined();
    expect(await cache.get('order:1')).toEqual({ id: 1 });

    const tenant = cache.namespace('tenant-7');
    await tenant.set('k', 'v');
    expect((await act('clear-namespace', { namespace: 'tenant-7' })).status).toBe(200);
    expect(await tenant.get('k')).toBeUndefined();
  });

  it('streams the write-behind queue of the handler, never its keys', async () => {
    await wb.write('wb-secret-key', 42);
    const deadline = Date.now() + 10_000;
    while (wb.stats().deadLettered < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const res = await fetch(`${url}events`);
    const reader = res.body!.getReader();
    const text = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const snapshot = JSON.parse(text.slice(text.indexOf('data: ') + 6));
    expect(snapshot.writeBehind).toMatchObject({ queues: 1, deadLettered: wb.stats().deadLettered });
    expect(text).not.toContain('wb-secret-key');
  });
});

describe.skipIf(!hasChromium)('dashboard in headless chromium', () => {
  it('renders live numbers that change with cache traffic, charts and the fleet table', async () => {
    const heartbeat = startHeartbeat(cache, {
      store,
      instanceId: 'web-1',
      name: 'web',
      intervalMs: 200,
      writeBehind: wb,
    });
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
      // Earlier tests left entries too: the tile follows the cache's own count, which moved by the 50.
      const entries = String(cache.stats().entries);
      await page.waitForFunction(`document.getElementById('l1-entries').textContent === '${entries}'`);
      expect(Number(before)).toBeLessThanOrEqual(Number(entries) - 50);
      await page.waitForFunction("document.getElementById('hit-ratio').textContent !== '0.0%'");
      expect(await page.textContent('#hit-ratio')).toMatch(/^\d+\.\d%$/);
      await page.waitForFunction("document.querySelector('#fleet td')?.textContent === 'web-1'");
      expect(await page.textContent('#status')).toBe('live');
      // The write-behind panel appears (the handler has a queue) with its dead letters, and the fleet row has the queue's columns.
      await page.waitForFunction("!document.getElementById('wb').hidden");
      expect(Number(await page.textContent('#wb-dead'))).toBeGreaterThanOrEqual(0);
      const row = await page.locator('#fleet tr').first().locator('td').allTextContents();
      expect(row).toHaveLength(13);
      expect(row[8]).toBe('-');
      expect(row[10]).toMatch(/^\d+$/);
      // uPlot drew its canvases (one per chart, the write-behind one included).
      expect(await page.locator('.uplot canvas').count()).toBe(5);
      // An action from the form: the operator types the token; the tagged value is gone.
      await cache.set('item:tagged', { x: 1 }, { tags: ['catalog'] });
      await page.fill('#action-token', TOKEN);
      await page.selectOption('#action-name', 'invalidate-tag');
      await page.fill('#action-target', 'catalog');
      await page.click('#action-run');
      await page.waitForFunction("document.getElementById('action-result').textContent === 'done'");
      expect(await cache.get('item:tagged')).toBeUndefined();
      mkdirSync('.tmp/artifacts', { recursive: true });
      await page.screenshot({ path: '.tmp/artifacts/dashboard.png', fullPage: true });
    } finally {
      await browser.close();
      await heartbeat.stop();
    }
  });
});
