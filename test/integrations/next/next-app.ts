/**
 * The fixture Next app for the stratacache/next suites: built once (`next build`, cached under
 * .tmp/next-fixture/<hash> keyed by the fixture's files, the Next version and the built handler modules,
 * so a repeat run skips it), then served by `next start` instances on loopback ports, stopped by PID.
 *
 * The build runs with `REDIS_URL` pointing at a closed port: it proves `next build` works without Redis.
 * The built copy has its own package.json and a node_modules/stratacache link to this repository, so the
 * app loads the handlers from the built package (dist/) the way an installed one is loaded.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from '../../helpers/servers.js';

const root = resolve(import.meta.dirname, '../../..');
const fixture = join(import.meta.dirname, 'fixture');
const nextBin = join(root, 'node_modules/next/dist/bin/next');
const buildsDir = join(root, '.tmp/next-fixture');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : [join(dir, d.name)]))
    .sort();
}

/** The cache key of a build: fixture files, Next/React versions and the handler modules in dist/. */
function buildHash(): string {
  const h = createHash('sha256');
  for (const f of files(fixture)) h.update(relative(fixture, f)).update(readFileSync(f));
  for (const pkg of ['next', 'react', 'react-dom']) {
    h.update(readFileSync(join(root, 'node_modules', pkg, 'package.json')));
  }
  for (const f of ['next.js', 'next-incremental.js', 'next-use-cache.js']) {
    const p = join(root, 'dist', f);
    if (!existsSync(p)) throw new Error(`dist/${f} is missing: run \`npm run build\` first`);
    h.update(readFileSync(p));
  }
  return h.digest('hex').slice(0, 16);
}

/** Env of every Next process: no telemetry, none of this process's Redis settings. */
function nextEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...extra };
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  if (extra.REDIS_URL === undefined) delete env.REDIS_URL;
  delete env.STRATACACHE_REDIS_URL;
  return env;
}

export interface BuiltApp {
  dir: string;
  /** True when this call ran `next build`; false when a cached build was reused. */
  built: boolean;
  buildMs: number;
}

/** The built fixture app, building it first unless a build for the same inputs exists. */
export async function buildFixture(): Promise<BuiltApp> {
  const hash = buildHash();
  const dir = join(buildsDir, hash);
  if (existsSync(join(dir, '.next', 'BUILD_ID'))) return { dir, built: false, buildMs: 0 };
  mkdirSync(buildsDir, { recursive: true });
  for (const old of readdirSync(buildsDir)) rmSync(join(buildsDir, old), { recursive: true, force: true });
  const partial = `${dir}.partial`;
  cpSync(fixture, partial, { recursive: true });
  writeFileSync(
    join(partial, 'package.json'),
    JSON.stringify({ name: 'stratacache-next-fixture', private: true, type: 'module' }, null, 2),
  );
  mkdirSync(join(partial, 'node_modules'));
  symlinkSync(root, join(partial, 'node_modules', 'stratacache'), 'dir');
  const closed = await freePort();
  const t0 = performance.now();
  try {
    await promisify(execFile)(process.execPath, [nextBin, 'build', partial], {
      cwd: partial,
      env: nextEnv({ REDIS_URL: `redis://127.0.0.1:${closed}` }),
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`next build of the fixture failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
  const buildMs = performance.now() - t0;
  renameSync(partial, dir);
  return { dir, built: true, buildMs };
}

/** A running `next start` of the fixture. */
export interface NextInstance {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Output so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `next start` on a free loopback port; resolves once it answers HTTP. */
export async function startNext(
  app: BuiltApp,
  name: string,
  env: Record<string, string>,
): Promise<NextInstance> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [nextBin, 'start', app.dir, '-p', String(port), '-H', '127.0.0.1'],
    { cwd: app.dir, env: nextEnv({ INSTANCE: name, ...env }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForPort(port, 60_000);
    const res = await fetch(`${url}/api/revalidate`);
    await res.arrayBuffer();
  } catch (err) {
    await stop();
    throw new Error(`next start (${name}) did not come up: ${String(err)}\n${out}`);
  }
  if (child.pid === undefined) throw new Error('next start has no pid');
  return { name, url, pid: child.pid, output: () => out, stop };
}

/** The server action ids of the built app by exported name (Next's server-reference manifest). */
export function actionId(app: BuiltApp, exportName: string): string {
  const manifest = JSON.parse(
    readFileSync(join(app.dir, '.next/server/server-reference-manifest.json'), 'utf8'),
  ) as { node: Record<string, { exportedName?: string }> };
  for (const [id, entry] of Object.entries(manifest.node)) if (entry.exportedName === exportName) return id;
  throw new Error(`no server action \`${exportName}\` in the manifest`);
}
