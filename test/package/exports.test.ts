import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
    for (const sub of ['redis', 'memcached', 'metrics', 'prometheus']) {
      run(['--input-type=module', '-e', `await import('stratacache/${sub}')`]);
      run(['-e', `require('stratacache/${sub}')`]);
    }
  });
});
