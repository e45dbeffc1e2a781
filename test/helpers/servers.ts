/**
 * Private servers for the integration suites: redis-server (standalone and a 3-master Cluster) and
 * memcached, each on free loopback ports in its own temp dir, started from the Debian binaries and stopped
 * by PID. A missing binary fails with the package to install, never a silent skip.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function requireBinary(bin: string, pkg: string): void {
  try {
    execFileSync('which', [bin], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `\`${bin}\` not found: install the Debian package \`${pkg}\` (apt-get install -y ${pkg})`,
    );
  }
}

/** True if nothing listens on `port` of 127.0.0.1 and it can be bound. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free loopback port; with `alsoPlus`, port + alsoPlus must be free too (Redis Cluster bus ports). */
export async function freePort(alsoPlus?: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (!(await portFree(port))) continue;
    if (alsoPlus !== undefined && !(await portFree(port + alsoPlus))) continue;
    return port;
  }
  throw new Error('no free loopback port found');
}

/** Resolves once something accepts TCP connections on the port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

function readPid(file: string, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (existsSync(file)) {
        const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
        if (pid > 0) {
          resolve(pid);
          return;
        }
      }
      if (Date.now() > deadline) reject(new Error(`no pid file at ${file}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + 5000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** A server process started by the suite. */
export interface ServerHandle {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly url: string;
  /** The current PID (changes after `restart`). */
  pid: number;
  /** SIGKILL the process (simulates a crash); the port is free again when this resolves. */
  kill(): Promise<void>;
  /** Starts the process again on the same port, with the same options. */
  restart(): Promise<void>;
  /** Kills the process and removes its temp dir. */
  stop(): Promise<void>;
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `stratacache-${prefix}-`));
  chmodSync(dir, 0o777);
  return dir;
}

/** Starts a private redis-server (no persistence) on a free loopback port. */
export async function startRedis(
  opts: { port?: number; args?: string[]; conf?: string } = {},
): Promise<ServerHandle> {
  requireBinary('redis-server', 'redis-server');
  const dir = tempDir('redis');
  const confFile = opts.conf === undefined ? undefined : join(dir, 'redis.conf');
  if (confFile) writeFileSync(confFile, opts.conf ?? '');
  const port = opts.port ?? (await freePort());
  const pidfile = join(dir, 'redis.pid');
  const start = async (): Promise<number> => {
    rmSync(pidfile, { force: true });
    await run('redis-server', [
      ...(confFile ? [confFile] : []),
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'yes',
      '--pidfile',
      pidfile,
      '--logfile',
      join(dir, 'redis.log'),
      ...(opts.args ?? []),
    ]);
    await waitForPort(port);
    return readPid(pidfile);
  };
  return handle(port, `redis://127.0.0.1:${port}`, dir, await start(), start);
}

/** Starts a private memcached on a free loopback port (64 MB, TCP only). */
export async function startMemcached(opts: { port?: number; args?: string[] } = {}): Promise<ServerHandle> {
  requireBinary('memcached', 'memcached');
  const dir = tempDir('memcached');
  const port = opts.port ?? (await freePort());
  const pidfile = join(dir, 'memcached.pid');
  const asRoot = process.getuid?.() === 0;
  const start = async (): Promise<number> => {
    rmSync(pidfile, { force: true });
    await run('memcached', [
      '-d',
      '-p',
      String(port),
      '-U',
      '0',
      '-l',
      '127.0.0.1',
      '-m',
      '64',
      ...(asRoot ? ['-u', 'memcache'] : []),
      '-P',
      pidfile,
      ...(opts.args ?? []),
    ]);
    await waitForPort(port);
    return readPid(pidfile);
  };
  return handle(port, `memcached://127.0.0.1:${port}`, dir, await start(), start);
}

function handle(
  port: number,
  url: string,
  dir: string,
  pid: number,
  start: () => Promise<number>,
): ServerHandle {
  const h: ServerHandle = {
    host: '127.0.0.1',
    port,
    url,
    pid,
    async kill() {
      await killPid(h.pid);
    },
    async restart() {
      await killPid(h.pid);
      h.pid = await start();
    },
    async stop() {
      await killPid(h.pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/**
 * A Redis Cluster on free loopback ports (bus ports are port + 10000): 3 masters by default, with
 * `replicas` replicas each (`nodes` lists masters first as `redis-cli --cluster create` assigns them).
 */
export interface ClusterHandle {
  readonly nodes: ServerHandle[];
  readonly rootNodes: Array<{ url: string }>;
  stop(): Promise<void>;
}

/** A node of `CLUSTER NODES`: its id, port, role, the id of its master (replicas) and its slot ranges. */
export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  readonly master: boolean;
  readonly failed: boolean;
  readonly masterId: string | undefined;
  readonly ranges: ReadonlyArray<readonly [number, number]>;
}

/** `CLUSTER NODES` as seen by the node on `port`. */
export async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'CLUSTER', 'NODES']);
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [id, addr, flags, masterId, , , , , ...slots] = line.trim().split(' ');
      const ranges = slots
        .filter((s) => !s.startsWith('['))
        .map((s) => {
          const [a, b] = s.split('-').map(Number);
          return [a!, b ?? a!] as const;
        });
      return {
        id: id!,
        port: Number(addr!.split('@')[0]!.split(':')[1]),
        master: flags!.split(',').includes('master'),
        failed: flags!.split(',').includes('fail'),
        masterId: masterId === '-' ? undefined : masterId,
        ranges,
      };
    });
}

/** How many replicas, each attached to a master, the node on `port` lists. */
async function replicasKnown(port: number): Promise<number> {
  return (await clusterNodes(port)).filter((n) => !n.master && n.masterId !== undefined).length;
}

export async function startRedisCluster(
  masters = 3,
  opts: { replicas?: number; nodeTimeoutMs?: number } = {},
): Promise<ClusterHandle> {
  requireBinary('redis-cli', 'redis-tools');
  const replicas = opts.replicas ?? 0;
  const nodes: ServerHandle[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const port = await freePort(10_000);
      nodes.push(
        await startRedis({
          port,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            String(opts.nodeTimeoutMs ?? 5000),
          ],
        }),
      );
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-p', String(node.port), 'cluster', 'info']);
        // Ready when the slots are served and this node knows every replica's master: right after
        // `--cluster create` a node can report ok while still listing a replica as a master.
        if (stdout.includes('cluster_state:ok') && (await replicasKnown(node.port)) === masters * replicas)
          break;
        if (Date.now() > deadline) throw new Error(`cluster not ok on ${node.port}: ${stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
  return {
    nodes,
    rootNodes: nodes.map((n) => ({ url: n.url })),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** A primary, one replica and three sentinels monitoring it as `name` (quorum 2, 1 s down-after). */
export interface SentinelHandle {
  readonly name: string;
  readonly primary: ServerHandle;
  readonly replica: ServerHandle;
  readonly sentinels: ServerHandle[];
  stop(): Promise<void>;
}

export async function startRedisSentinel(name = 'mymaster'): Promise<SentinelHandle> {
  const started: ServerHandle[] = [];
  try {
    const primary = await startRedis();
    started.push(primary);
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    started.push(replica);
    const conf = [
      `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      '',
    ].join('\n');
    const sentinels: ServerHandle[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await startRedis({ conf, args: ['--sentinel'] });
      started.push(s);
      sentinels.push(s);
    }
    return {
      name,
      primary,
      replica,
      sentinels,
      async stop() {
        await Promise.all(started.map((h) => h.stop()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((h) => h.stop()));
    throw err;
  }
}
