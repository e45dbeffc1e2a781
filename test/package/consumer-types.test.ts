/**
 * The package's declarations work for the TypeScript users install today: `npm pack` the built package,
 * install the tarball into consumer projects outside the repository (so nothing of the repository's
 * node_modules is visible), and type-check a file importing every subpath export with TypeScript 5.9 (the
 * repository's) and 7.x (test/package/typescript-7, installed apart since both ship a `tsc` bin), with
 * `strict`, `module: nodenext` and `skipLibCheck: false`, as ESM and CommonJS, with and without
 * `@types/node`. `npm test` builds first.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPinned, npmFlags, pinnedDir, repositoryRoot } from '../helpers/pinned.js';

const run = promisify(execFile);
const root = repositoryRoot;
const ts7Pinned = join(root, 'test', 'package', 'typescript-7');
// TypeScript 7's compiler is a native binary in an optional platform package (@typescript/typescript-<os>-<arch>).
const ts7Dir = pinnedDir('typescript-7');

const compilers = {
  '5.9': join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
  '7': join(ts7Dir, 'node_modules', 'typescript', 'bin', 'tsc'),
} as const;
type Version = keyof typeof compilers;
type Kind = 'esm' | 'cjs';
type Deps = 'with @types/node' | 'without @types/node';

/** Peers the subpaths import types from, at the versions the repository installed (so npm's cache has them). */
const installed = (name: string): string =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

/**
 * The consumers: every subpath export, used enough that wrong or missing declarations show. They run
 * nothing (the exports test and the docs examples run the code), and wrap their awaits in a function since
 * CommonJS has no top-level await. `stratacache/redis` is checked in a program of its own: @redis/client's
 * declarations reference Node's types, which would otherwise load @types/node for every other import too
 * and hide a declaration that needs it (TypeScript 7 loads no @types by default).
 */
const CORE = `import { Cache, closeOnSignal, isCacheError, MemoryStore, type CacheStats, type Store } from 'stratacache';
import { MemcachedClient, MemcachedStore } from 'stratacache/memcached';
import { Histogram, registerOpenTelemetry } from 'stratacache/metrics';
import { prometheusCollector } from 'stratacache/prometheus';
import { chaosStore, MapStore, storeContract } from 'stratacache/testing';

export async function consumer(): Promise<string> {
  const l1 = new MemoryStore<string>({ maxEntries: 10 });
  l1.set('k', 'v');
  const { store, controls } = chaosStore(new MapStore());
  controls.latencyMs = 1;
  const cache = new Cache({ l2: store, ttl: 1_000, clock: { now: () => Date.now() } });
  const user: { name: string } = await cache.getOrSet('user:1', async ({ signal }) => {
    if (signal.aborted) throw new Error('aborted');
    return { name: 'Ada' };
  });
  const stats: CacheStats = cache.stats();
  const stop: () => void = closeOnSignal([cache], ['SIGTERM', 'SIGINT']);
  stop();
  const histogram = new Histogram();
  histogram.record(stats.latency.get.p99);
  const mc = new MemcachedClient({ url: 'memcached://127.0.0.1:11211' });
  const bytes: Uint8Array | undefined = await mc.get('k');
  const stores: Store[] = [new MemcachedStore({ client: mc }), new MapStore()];
  void [registerOpenTelemetry, prometheusCollector, storeContract, stores, bytes];
  try {
    await cache.close();
  } catch (err) {
    if (isCacheError(err)) return err.code;
  }
  return user.name;
}
`;

const REDIS = `import { Cache, type Store } from 'stratacache';
import { RedisClusterStore, RedisHash, RedisStore, RedisStreamJournal } from 'stratacache/redis';

export function consumer(): Store[] {
  const redis = new RedisStore({ url: 'redis://127.0.0.1:6379' }, { prefix: 'app:', commandTimeoutMs: 500 });
  const cluster = new RedisClusterStore({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] });
  const journal = new RedisStreamJournal({ url: 'redis://127.0.0.1:6379', stream: 'wb' });
  const cache = new Cache({ l2: redis, bus: true, stampede: { distributed: true } });
  void [cache, journal, RedisHash];
  return [redis, cluster];
}
`;

type Program = 'core' | 'redis';
const programs: Record<Program, { file: string; code: string; label: string }> = {
  core: { file: 'index.ts', code: CORE, label: 'every entry point but stratacache/redis' },
  redis: { file: 'redis.ts', code: REDIS, label: 'stratacache/redis' },
};

const tsconfig = (file: string): string =>
  JSON.stringify({
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      target: 'es2022',
      noEmit: true,
      skipLibCheck: false,
    },
    files: [file],
  });

let base: string | undefined;
const results = new Map<string, Promise<{ ok: boolean; errors: string[] }>>();
const key = (v: Version, deps: Deps, kind: Kind, p: Program): string => `${v}|${deps}|${kind}|${p}`;

/** Two consumer projects (with and without @types/node), each with an ESM and a CommonJS package. */
async function installConsumers(dir: string): Promise<void> {
  const { stdout } = await run('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: root });
  const tarball = join(dir, stdout.trim().split('\n').at(-1)!);
  const withNode = join(dir, 'with-node');
  mkdirSync(withNode);
  writeFileSync(join(withNode, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const peers = ['@redis/client', 'prom-client', '@opentelemetry/api', '@types/node'];
  await run('npm', ['install', ...npmFlags, tarball, ...peers.map((p) => `${p}@${installed(p)}`)], {
    cwd: withNode,
  });
  const withoutNode = join(dir, 'without-node');
  cpSync(withNode, withoutNode, { recursive: true });
  for (const p of ['@types/node', 'undici-types']) {
    rmSync(join(withoutNode, 'node_modules', p), { recursive: true, force: true });
  }
  for (const project of [withNode, withoutNode]) {
    for (const [kind, type] of [
      ['esm', 'module'],
      ['cjs', 'commonjs'],
    ] as const) {
      const pkg = join(project, kind);
      mkdirSync(pkg);
      writeFileSync(
        join(pkg, 'package.json'),
        JSON.stringify({ name: `consumer-${kind}`, private: true, type }),
      );
      for (const [name, { file, code }] of Object.entries(programs)) {
        writeFileSync(join(pkg, `tsconfig.${name}.json`), tsconfig(file));
        writeFileSync(join(pkg, file), code);
      }
    }
  }
}

async function typeCheck(
  v: Version,
  deps: Deps,
  kind: Kind,
  p: Program,
): Promise<{ ok: boolean; errors: string[] }> {
  const cwd = join(base!, deps === 'with @types/node' ? 'with-node' : 'without-node', kind);
  try {
    await run(process.execPath, [compilers[v], '-p', `tsconfig.${p}.json`, '--pretty', 'false'], {
      cwd,
      maxBuffer: 1 << 26,
    });
    return { ok: true, errors: [] };
  } catch (err) {
    const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    const errors = out.split('\n').filter((l) => /error TS\d+/.test(l));
    if (errors.length === 0) throw err;
    return { ok: false, errors };
  }
}

/** Runs `tasks` two at a time (the machine has two cores). */
function limited<T>(tasks: Array<() => Promise<T>>): Array<Promise<T>> {
  let chain: Array<Promise<unknown>> = [Promise.resolve(), Promise.resolve()];
  return tasks.map((task, i) => {
    const p = chain[i % 2]!.then(task, task);
    chain = chain.map((c, j) => (j === i % 2 ? p.catch(() => undefined) : c));
    return p;
  });
}

const versions: Version[] = ['5.9', '7'];
const depsList: Deps[] = ['with @types/node', 'without @types/node'];
const kinds: Kind[] = ['esm', 'cjs'];
const programNames: Program[] = ['core', 'redis'];

describe('the packed package type-checks in consumer projects', () => {
  beforeAll(async () => {
    expect(existsSync(join(root, 'dist', 'index.d.ts')), 'run `npm run build` first').toBe(true);
    base = mkdtempSync(join(tmpdir(), 'stratacache-consumers-'));
    await Promise.all([installPinned('typescript-7', ts7Pinned), installConsumers(base)]);
    const combos = versions.flatMap((v) =>
      depsList.flatMap((d) => kinds.flatMap((k) => programNames.map((p) => [v, d, k, p] as const))),
    );
    const started = limited(
      combos.map(
        ([v, d, k, p]) =>
          () =>
            typeCheck(v, d, k, p),
      ),
    );
    combos.forEach(([v, d, k, p], i) => {
      const result = started[i]!;
      result.catch(() => undefined);
      results.set(key(v, d, k, p), result);
    });
  }, 300_000);

  afterAll(() => {
    if (base !== undefined) rmSync(base, { recursive: true, force: true });
  });

  it('uses TypeScript 5.9 and 7 as pinned', async () => {
    for (const [v, tsc] of Object.entries(compilers)) {
      const { stdout } = await run(process.execPath, [tsc, '--version']);
      expect(stdout).toMatch(new RegExp(`^Version ${v.replace('.', '\\.')}\\.`));
    }
  });

  for (const v of versions) {
    for (const deps of depsList) {
      for (const kind of kinds) {
        for (const p of programNames) {
          const module = kind === 'esm' ? 'ESM ("type": "module")' : 'CommonJS';
          it(`TypeScript ${v}, ${module}, ${deps}: ${programs[p].label}`, { timeout: 300_000 }, async () => {
            const { errors } = await results.get(key(v, deps, kind, p))!;
            // @redis/client's own declarations need @types/node, whatever this package declares; every
            // other error, ours included, fails the test.
            const ours =
              p === 'redis' && deps === 'without @types/node'
                ? errors.filter((e) => !e.includes('node_modules/@redis/client/'))
                : errors;
            expect(ours).toEqual([]);
          });
        }
      }
    }
  }
});
