import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { check, cycles, importsOf, violation } from '../../../scripts/check-deps.mjs';

describe('the dependency rules (scripts/check-deps.mjs)', () => {
  it('src/ has no import cycle and no layer violation', () => {
    const result = check() as { files: number; cycles: string[][]; violations: string[] };
    expect(result.files).toBeGreaterThan(50);
    expect(result.cycles).toEqual([]);
    expect(result.violations).toEqual([]);
  });

  it('finds a cycle, a self-import, and no cycle in a chain', () => {
    const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges));
    expect(cycles(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }))).toEqual([['a', 'b', 'c']]);
    expect(cycles(g({ a: ['a'] }))).toEqual([['a']]);
    expect(cycles(g({ a: ['b'], b: ['c'], c: [] }))).toEqual([]);
  });

  it('flags a store importing the cache, internal/ importing a store, an integration reaching inside', () => {
    expect(violation('stores/redis/x.ts', 'cache.ts')).toMatch(/a store moves bytes/);
    expect(violation('stores/x.ts', 'tier/remote-tier.ts')).toMatch(/a store moves bytes/);
    expect(violation('internal/x.ts', 'stores/store.ts')).toMatch(/internal/);
    expect(violation('integrations/keyv/x.ts', 'core/core.ts')).toMatch(/public API/);
    expect(violation('metrics/x.ts', 'cache.ts')).toMatch(/stats snapshot/);
    expect(violation('cache.ts', 'stores/store.ts')).toBeUndefined();
    expect(violation('internal/x.ts', 'errors.ts')).toBeUndefined();
  });

  it('reads relative imports, re-exports and dynamic imports, not package imports', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "export { c } from './c.js';",
      "const d = await import('./d.js');",
      "import { e } from 'stratacache';",
    ].join('\n');
    const file = `${process.cwd()}/src/stores/x.ts`;
    expect(importsOf(file, text)).toEqual(['stores/a.ts', 'b/b.ts', 'stores/c.ts', 'stores/d.ts']);
  });
});
