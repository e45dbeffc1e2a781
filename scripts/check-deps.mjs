#!/usr/bin/env node
// The house's dependency rules, checked on src/: no import cycles (type-only imports included: a cycle
// of types is still a design knot), and each folder imports only the layers below it. Prints every
// violation and exits 1 if there is one; `--json` prints { files, cycles, violations } instead.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/**
 * Folder → the src-relative prefixes it must not import. Read as "a store is a byte mover: it knows
 * nothing of the cache, its strategies or its consumers"; "internal/ is a leaf"; and so on.
 */
const UPPER = ['cache.ts', 'core/', 'stampede/', 'invalidation/', 'strategies/', 'integrations/', 'observability/', 'cli/'];
export const RULES = [
  {
    from: 'internal/',
    banned: ['*'],
    allowed: ['internal/', 'errors.ts', 'serializer/', 'ttl/'],
    why: 'internal/ sits below everything but the serializers and the clock',
  },
  { from: 'ttl/', banned: [...UPPER, 'stores/', 'metrics/', 'distributed/'], why: 'ttl/ is pure time math' },
  { from: 'serializer/', banned: [...UPPER, 'stores/', 'metrics/', 'distributed/'], why: 'serializers know no tier' },
  { from: 'stores/', banned: [...UPPER, 'metrics/', 'tier/'], why: 'a store moves bytes; it knows nothing above it' },
  { from: 'tracing/', banned: [...UPPER, 'stores/', 'tier/'], why: 'tracing channels sit below every path that publishes on them' },
  { from: 'tier/', banned: UPPER, why: 'the guarded remote tier wraps a store, below the cache' },
  { from: 'distributed/', banned: UPPER, why: 'a sharded store is a store' },
  { from: 'metrics/', banned: UPPER, why: 'metrics read a stats snapshot, not the cache' },
  { from: 'redis-helpers/', banned: UPPER, why: 'Redis helpers sit on a client, not on the cache' },
  { from: 'integrations/', banned: ['*'], allowed: ['integrations/'], why: 'integrations use the public API (the package name)' },
];

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative imports and re-exports of a file, as src-relative paths of .ts files. */
export function importsOf(file, text) {
  const specs = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const abs = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    specs.push(relative(src, abs).split('\\').join('/'));
  }
  return specs;
}

function matches(path, prefix) {
  return prefix === '*' || path === prefix || (prefix.endsWith('/') && path.startsWith(prefix));
}

/** Rule violations for one import edge. */
export function violation(from, to) {
  for (const rule of RULES) {
    if (!matches(from, rule.from)) continue;
    if ((rule.allowed ?? []).some((a) => matches(to, a))) continue;
    if (rule.banned.some((b) => matches(to, b))) return `${from} → ${to}: ${rule.why}`;
  }
  return undefined;
}

/** Strongly connected components with more than one file (or a self-import): the import cycles. */
export function cycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/**
 * The package's entry points (tsup's `entry` map): barrels that compose the public surface of a subpath
 * (`stratacache/redis` also exports the Redis write-behind journal), so they are exempt from the layer
 * rules, though not from the cycle check.
 */
function entryPoints() {
  const config = readFileSync(join(root, 'tsup.config.ts'), 'utf8');
  return new Set([...config.matchAll(/['"]src\/([^'"]+\.ts)['"]/g)].map((m) => m[1]));
}

export function check() {
  const entries = entryPoints();
  const graph = new Map();
  for (const file of walk(src)) {
    const rel = relative(src, file).split('\\').join('/');
    graph.set(rel, importsOf(file, readFileSync(file, 'utf8')));
  }
  const violations = [];
  for (const [from, tos] of graph) {
    if (entries.has(from)) continue;
    for (const to of tos) {
      const v = violation(from, to);
      if (v !== undefined) violations.push(v);
    }
  }
  return { files: graph.size, cycles: cycles(graph), violations };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = check();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else {
    for (const c of result.cycles) console.log(`cycle: ${c.join(' → ')}`);
    for (const v of result.violations) console.log(`layer: ${v}`);
    console.log(
      `${result.files} files: ${result.cycles.length} import cycles, ${result.violations.length} layer violations`,
    );
  }
  process.exitCode = result.cycles.length + result.violations.length > 0 ? 1 : 0;
}
