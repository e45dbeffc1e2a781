/**
 * A real Apollo Server 5 for the tests: a small schema whose resolvers count their runs, listening on a
 * loopback port (`startStandaloneServer`, port 0) with `cache` set to our `KeyValueCache`, and a client that
 * speaks the automatic-persisted-query protocol over HTTP.
 */
import { createHash } from 'node:crypto';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';

const typeDefs = `#graphql
  type Book { id: ID!, title: String! }
  type Query { book(id: ID!): Book, hello(name: String!): String! }
`;

export interface App {
  url: string;
  /** Resolver runs of `book`, per id. */
  runs: Map<string, number>;
  stop(): Promise<void>;
}

export async function startApp(cache: KeyValueCache, plugins: ApolloServerPlugin[] = []): Promise<App> {
  const runs = new Map<string, number>();
  const server = new ApolloServer({
    typeDefs,
    resolvers: {
      Query: {
        book: (_: unknown, { id }: { id: string }) => {
          runs.set(id, (runs.get(id) ?? 0) + 1);
          return { id, title: `Title ${id}` };
        },
        hello: (_: unknown, { name }: { name: string }) => `hello ${name}`,
      },
    },
    cache,
    plugins: [ApolloServerPluginCacheControl({ defaultMaxAge: 60 }), ...plugins],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, runs, stop: () => server.stop() };
}

export interface GraphQLResponse {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown>;
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
}

/** One POST; `query` omitted sends the persisted-query hash alone. */
export async function post(
  url: string,
  body: { query?: string; variables?: Record<string, unknown>; hash?: string },
): Promise<GraphQLResponse> {
  const payload: Record<string, unknown> = { variables: body.variables ?? {} };
  if (body.query !== undefined) payload.query = body.query;
  if (body.hash !== undefined) payload.extensions = { persistedQuery: { version: 1, sha256Hash: body.hash } };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse['body'] };
}

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Wraps a `KeyValueCache` and keeps its in-flight writes: Apollo does not await `set` (APQ registration
 * and the response cache write after answering), so a test awaits `settled()` before relying on one.
 */
export class TrackedCache implements KeyValueCache {
  readonly #inner: KeyValueCache;
  readonly #pending = new Set<Promise<unknown>>();
  sets = 0;

  constructor(inner: KeyValueCache) {
    this.#inner = inner;
  }

  get(key: string): Promise<string | undefined> {
    return this.#inner.get(key);
  }

  set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    this.sets++;
    const p = this.#inner.set(key, value, options);
    const entry: Promise<unknown> = p.catch(() => undefined).finally(() => this.#pending.delete(entry));
    this.#pending.add(entry);
    return p;
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#inner.delete(key)) === true;
  }

  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
