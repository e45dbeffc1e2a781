/** Everything the demo's size and timing depend on. Durations in ms. */
export interface DemoConfig {
  quick: boolean;
  products: number;
  clients: number;
  requests: number;
  /** Requests of the same stream replayed without a cache. */
  baselineRequests: number;
  /** Pace of the simulated clients, requests per second. */
  rate: number;
  zipf: number;
  seed: number;
  /** Concurrent requests of the cold-start burst. */
  burst: number;
  /** Extra time of every query while the database is slow. */
  slowMs: number;
  ttl: number;
  staleWhileRevalidate: number;
  grace: number;
  softTimeout: number;
  hardTimeout: number;
  /** Port of the live dashboard on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Folder the picture (`demo.svg`) is written to. */
  outDir: string;
}

const USAGE = `Usage: npm run demo -- [--quick] [--clients N] [--requests N] [--baseline N] [--rate N] [--seed N]
                        [--port N] [--out DIR]
  --quick        a small run for tests (a few seconds after start-up), also DEMO_QUICK=1
  --clients N    concurrent simulated clients, 1..1000 (default 100; quick 50)
  --requests N   requests through the cache (default 40000; quick 8000)
  --baseline N   requests of the same stream replayed without a cache (default: all)
  --rate N       requests per second the clients are paced at (default 5000; quick 4000)
  --seed N       seed of the key stream (default 42)
  --port N       port of the live dashboard on 127.0.0.1 (default 0: a free port)
  --out DIR      folder the picture demo.svg is written to (default demo-output)`;

/** Thrown for a bad command line; main prints the usage and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly usage = USAGE;
}

function integerIn(flag: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `Expected \`${flag}\` to be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/** Reads the command line (and DEMO_QUICK) into a config; timing follows the planned run length. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): DemoConfig {
  const flags = new Map<string, string | undefined>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick' || arg === '--help' || arg === '-h') flags.set(arg, undefined);
    else if (['--clients', '--requests', '--baseline', '--rate', '--seed', '--port', '--out'].includes(arg)) {
      flags.set(arg, argv[++i]);
    } else throw new UsageError(`Unknown argument ${JSON.stringify(arg)}`);
  }
  if (flags.has('--help') || flags.has('-h')) throw new UsageError('');
  const quick = flags.has('--quick') || env.DEMO_QUICK === '1';
  const get = (flag: string, fallback: number, max: number): number =>
    flags.has(flag) ? integerIn(flag, flags.get(flag), 1, max) : fallback;
  const requests = get('--requests', quick ? 8_000 : 40_000, 10_000_000);
  const outDir = flags.has('--out') ? flags.get('--out') : 'demo-output';
  if (outDir === undefined || outDir === '' || outDir.startsWith('--')) {
    throw new UsageError(`Expected \`--out\` to be a folder, got ${JSON.stringify(outDir)}`);
  }
  return {
    quick,
    products: 10_000,
    clients: get('--clients', quick ? 50 : 100, 1000),
    requests,
    baselineRequests: Math.min(requests, get('--baseline', requests, 10_000_000)),
    rate: get('--rate', quick ? 4_000 : 5_000, 1_000_000),
    zipf: 0.99,
    seed: get('--seed', 42, 2 ** 31),
    burst: 500,
    slowMs: 200,
    ttl: 300_000,
    staleWhileRevalidate: 60_000,
    grace: 3_600_000,
    softTimeout: 50,
    hardTimeout: 1_000,
    port: flags.has('--port') ? integerIn('--port', flags.get('--port'), 0, 65_535) : 0,
    outDir,
  };
}
