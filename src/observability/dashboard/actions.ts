/**
 * The dashboard's write endpoints (invalidate a tag or a pattern, clear a namespace): off unless the
 * `actions` option gives a token, and then guarded by `Authorization: Bearer <token>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cache } from 'stratacache';
import { InvalidOptionError } from 'stratacache';

/** The `actions` option of `dashboardHandler`. */
export interface DashboardActionsOptions {
  /** The bearer token every action request must carry; at least 16 characters. Never sent to the page. */
  token: string;
}

/** The methods the actions call: the public `Cache` API. */
export type ActionTarget = Pick<Cache, 'invalidateTags' | 'invalidatePattern' | 'namespace'>;

/** The shortest token accepted. */
export const MIN_TOKEN_LENGTH = 16;
/** The largest request body read, in bytes. */
export const MAX_ACTION_BODY = 4096;
/** The longest tag, pattern or namespace accepted, in characters. */
const MAX_FIELD = 1024;

interface Action {
  /** The body field that names the target. */
  field: 'tag' | 'pattern' | 'namespace';
  run(cache: ActionTarget, target: string): Promise<number | undefined>;
}

const ACTIONS: Readonly<Record<string, Action>> = {
  'invalidate-tag': {
    field: 'tag',
    run: (cache, tag) => cache.invalidateTags([tag]).then(() => undefined),
  },
  'invalidate-pattern': { field: 'pattern', run: (cache, glob) => cache.invalidatePattern(glob) },
  'clear-namespace': {
    field: 'namespace',
    run: (cache, ns) =>
      cache
        .namespace(ns)
        .clear()
        .then(() => undefined),
  },
};

/** The names of the action endpoints (`<mount>/actions/<name>`). */
export const ACTION_NAMES: readonly string[] = Object.keys(ACTIONS);

/** A request the actions answer with a 4xx: the status and what was expected. */
class ActionRequestError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The enabled actions: a checked token and the cache they act on. */
export interface Actions {
  handle(name: string, req: IncomingMessage, res: ServerResponse): void;
}

/** Checks the `actions` option (token length, a cache with the methods); `undefined` when actions are off. */
export function resolveActions(
  cache: Partial<ActionTarget>,
  options: DashboardActionsOptions | undefined,
): Actions | undefined {
  if (options === undefined) return undefined;
  const token: unknown = (options as Partial<DashboardActionsOptions> | null)?.token;
  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) {
    throw new InvalidOptionError(
      `Expected \`actions.token\` to be a string of at least ${MIN_TOKEN_LENGTH} characters, got ${typeof token === 'string' ? `${token.length} characters` : typeof token}`,
    );
  }
  for (const m of ['invalidateTags', 'invalidatePattern', 'namespace'] as const) {
    if (typeof cache[m] !== 'function') {
      throw new InvalidOptionError(`Expected a Cache with \`${m}()\` to enable dashboard actions`);
    }
  }
  // Both sides hashed: equal lengths for timingSafeEqual, and the compare reveals nothing of the token's length.
  const expected = digest(token);
  const target = cache as ActionTarget;
  return {
    handle(name, req, res) {
      void run(target, expected, name, req).then(
        (removed) =>
          reply(res, 200, { ok: true, action: name, ...(removed === undefined ? {} : { removed }) }),
        (err: unknown) => {
          if (err instanceof ActionRequestError) {
            const headers = err.status === 401 ? { 'www-authenticate': 'Bearer' } : undefined;
            // A body left unread (too large, refused before reading) would hold the connection: close it.
            reply(res, err.status, { error: err.error, message: err.message }, headers, !req.readableEnded);
          } else {
            reply(res, 500, { error: 'action_failed', message: (err as Error)?.message ?? String(err) });
          }
        },
      );
    },
  };
}

async function run(
  cache: ActionTarget,
  expected: Buffer,
  name: string,
  req: IncomingMessage,
): Promise<number | undefined> {
  // Own keys only: `constructor` or `__proto__` name no action.
  const action = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
  if (action === undefined) {
    throw new ActionRequestError(
      404,
      'not_found',
      `No action ${JSON.stringify(name)}: expected one of ${ACTION_NAMES.join(', ')}`,
    );
  }
  if (req.method !== 'POST') {
    throw new ActionRequestError(405, 'method_not_allowed', `Expected POST, got ${req.method}`);
  }
  const auth = req.headers.authorization;
  const m = auth === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (m === null) {
    throw new ActionRequestError(401, 'unauthorized', 'Expected an `Authorization: Bearer <token>` header');
  }
  if (!timingSafeEqual(digest(m[1]!), expected)) {
    throw new ActionRequestError(403, 'forbidden', 'The token does not match');
  }
  const target = fieldOf(await readJson(req), action.field);
  try {
    return await action.run(cache, target);
  } catch (err) {
    // The cache refusing the input (a malformed tag, glob or namespace name) is the caller's mistake.
    const code = (err as { code?: unknown } | null)?.code;
    if (err instanceof TypeError || code === 'ERR_CACHE_INVALID_KEY' || code === 'ERR_CACHE_INVALID_OPTION') {
      throw new ActionRequestError(400, 'bad_request', (err as Error).message);
    }
    throw err;
  }
}

function fieldOf(body: unknown, field: Action['field']): string {
  const value = (body as Record<string, unknown> | null)?.[field];
  if (
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body) ||
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_FIELD
  ) {
    throw new ActionRequestError(
      400,
      'bad_request',
      `Expected a JSON body {"${field}": "<non-empty string of at most ${MAX_FIELD} characters>"}, got ${typeof value === 'string' ? `a string of ${value.length} characters` : typeof body === 'object' && body !== null ? `${JSON.stringify(field)}: ${typeof value}` : typeof body}`,
    );
  }
  return value;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  const tooLarge = () =>
    new ActionRequestError(
      413,
      'payload_too_large',
      `Expected a JSON body of at most ${MAX_ACTION_BODY} bytes`,
    );
  if (req.readableEnded) {
    return Promise.reject(
      new ActionRequestError(
        400,
        'bad_request',
        'The request body was already read (mount the dashboard before body-parsing middleware)',
      ),
    );
  }
  if (Number(req.headers['content-length'] ?? 0) > MAX_ACTION_BODY) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_ACTION_BODY) {
        req.off('data', onData).off('end', onEnd);
        reject(tooLarge());
      } else chunks.push(chunk);
    };
    const onEnd = (): void => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(
          new ActionRequestError(
            400,
            'bad_request',
            'Expected a JSON body, got text that does not parse as JSON',
          ),
        );
      }
    };
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

function reply(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
  close = false,
): void {
  if (res.headersSent) return;
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...(status === 405 ? { allow: 'POST' } : {}),
      ...(close ? { connection: 'close' } : {}),
      ...headers,
    })
    .end(JSON.stringify(body));
}
