import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Imports the BUILT package through its exports map, as users do (`npm test` builds first), both as ESM
 * and as CommonJS.
 */
const run = (args: string[]): string =>
  execFileSync(process.execPath, args, { cwd: process.cwd(), encoding: 'utf8' });

describe('the built package', () => {
  it('has been built', () => {
    expect(existsSync('dist/index.js') && existsSync('dist/index.cjs')).toBe(true);
  });

  const script = `
    const cache = new m.Cache({ ttl: 1000 });
    const v = await cache.getOrSet('k', async () => ({ ok: true }));
    const names = ['Cache', 'createCache', 'MemoryStore', 'CacheError', 'InvalidKeyError', 'errors', 'isCacheError'];
    console.log(JSON.stringify({ v, missing: names.filter((n) => !(n in m)), testing: typeof t.storeContract, map: typeof t.MapStore }));
    await cache.close();`;

  it('loads as ESM', () => {
    const out = run([
      '--input-type=module',
      '-e',
      `import * as m from 'stratacache'; import * as t from 'stratacache/testing'; ${script}`,
    ]);
    expect(JSON.parse(out)).toEqual({ v: { ok: true }, missing: [], testing: 'function', map: 'function' });
  });

  it('loads as CommonJS', () => {
    const out = run([
      '-e',
      `const m = require('stratacache'); const t = require('stratacache/testing'); (async () => { ${script} })()`,
    ]);
    expect(JSON.parse(out)).toEqual({ v: { ok: true }, missing: [], testing: 'function', map: 'function' });
  });

  it('exposes the subpaths', () => {
    for (const sub of [
      'redis',
      'memcached',
      'metrics',
      'prometheus',
      'next',
      'next/incremental',
      'next/use-cache',
      'dashboard',
      'nestjs',
    ]) {
      run(['--input-type=module', '-e', `await import('stratacache/${sub}')`]);
      run(['-e', `require('stratacache/${sub}')`]);
    }
  });

  it('shares one copy of the core between entry points (instanceof Cache holds across them)', () => {
    const check = `
      const nc = next.createNextCache({ redis: false });
      // CommonJS gets the default export as module.exports itself; Next's interopDefault takes either.
      const handler = incremental.default ?? incremental;
      const uc = useCache.default ?? useCache;
      console.log(JSON.stringify({
        sameClass: nc.cache instanceof core.Cache,
        handler: typeof handler === 'function' && typeof uc.get === 'function',
      }));
      await nc.close();`;
    const esm = run([
      '--input-type=module',
      '-e',
      `import * as core from 'stratacache'; import * as next from 'stratacache/next';
       import * as incremental from 'stratacache/next/incremental'; import * as useCache from 'stratacache/next/use-cache';
       ${check}`,
    ]);
    expect(JSON.parse(esm)).toEqual({ sameClass: true, handler: true });
    const cjs = run([
      '-e',
      `const core = require('stratacache'); const next = require('stratacache/next');
       const incremental = require('stratacache/next/incremental'); const useCache = require('stratacache/next/use-cache');
       (async () => { ${check} })()`,
    ]);
    expect(JSON.parse(cjs)).toEqual({ sameClass: true, handler: true });
  });

  it('keeps the core out of the integration bundles', () => {
    for (const file of ['next.js', 'next.cjs']) {
      const text = readFileSync(`dist/${file}`, 'utf8');
      expect(text).not.toMatch(/class Cache\b/);
      expect(text).toMatch(/from ['"]stratacache['"]|require\(['"]stratacache['"]\)/);
    }
  });
});
