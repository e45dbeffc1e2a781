import { InvalidArgumentError } from 'commander';

/**
 * Exit codes scripts can rely on (documented in docs/observability.md; the first version of the CLI
 * shipped these numbers, so they stay).
 */
export const EXIT = { ok: 0, notFound: 1, usage: 2, unreachable: 3, unreadable: 4 } as const;

/** The options every command sees. */
export interface Globals {
  redis: string;
  /** Seed node URLs of a Redis Cluster, comma-separated; when set, `redis` is not used. */
  cluster?: string;
  /** Memcached servers, `host:port[=weight]` comma-separated; when set, `redis` is not used. */
  memcached?: string;
  prefix: string;
  storePrefix: string;
  json: boolean;
}

/** Where output goes (a test passes its own). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Thrown by a command to end with an exit code (its message was already printed). */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function print(io: Io, g: Globals, json: unknown, text: string): void {
  io.out(g.json ? JSON.stringify(json) : text);
}

export function usage(io: Io, message: string): never {
  io.err(`error: ${message}`);
  throw new Exit(EXIT.usage);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
export const ms = (x: number): string => `${x.toFixed(3)}ms`;

/** Parses a positive integer option (commander hands strings over). */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
    return n;
  };
}

/** `a:1,b:2=3` → names and weights (`=w` is optional, default 1; libketama weighs by memory). */
export function parseServers(
  io: Io,
  option: string,
  list: string,
): { names: string[]; weights: Record<string, number> } {
  const names: string[] = [];
  const weights: Record<string, number> = {};
  for (const item of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, w] = item.split('=') as [string, string | undefined];
    if (w !== undefined) {
      const weight = Number(w);
      if (!(weight > 0)) usage(io, `weight of ${name} must be a positive number, got ${w}`);
      weights[name] = weight;
    }
    names.push(name);
  }
  if (names.length === 0) usage(io, `${option} needs at least one host:port`);
  return { names, weights };
}
