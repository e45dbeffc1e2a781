import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  StreamableFile,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { concatMap, lastValueFrom, type Observable, of } from 'rxjs';
import type { Cache, GetOrSetOptions } from 'stratacache';
import { type CacheKeySource, type HttpRequestLike, resolveTags, type TagSource } from './decorators.js';
import {
  CACHE_KEY_METADATA,
  CACHE_TAGS_METADATA,
  CACHE_TTL_METADATA,
  INVALIDATE_TAGS_METADATA,
  STRATACACHE,
} from './tokens.js';

/** What the `X-Cache` header says of a cached route's response. */
export type CacheStatus = 'HIT' | 'MISS' | 'STALE';

/** Carries a value that must not be cached (a stream) out of the loader, past `getOrSet`. */
class Uncacheable {
  constructor(readonly value: unknown) {}
}

/**
 * An HTTP cache interceptor over the module's cache, on Express and Fastify alike. A `GET` (see
 * `allowedMethods`) is answered through `cache.getOrSet` under its URL (or `@CacheKey`), with `@CacheTTL`
 * and `@CacheTags`: **concurrent identical requests run the handler once**, and the cache's
 * stale-while-revalidate, grace (fail-safe) and loader timeouts apply. The response says `X-Cache: HIT`,
 * `MISS` (this request ran the handler) or `STALE`. On any method, `@InvalidateTags` invalidates after the
 * handler succeeds. Only the handler's value is cached, not its status code or headers; a `StreamableFile`
 * is never cached. Subclass it to change `trackBy` or `allowedMethods`.
 *
 * @example
 * \@UseInterceptors(StratacacheInterceptor)
 * \@Controller('users')
 * class UsersController { \@Get(':id') \@CacheTags((req) => `user:${req.params?.id}`) find() { ... } }
 */
@Injectable()
export class StratacacheInterceptor implements NestInterceptor {
  /** Methods whose responses are cached. @default ['GET'] */
  protected readonly allowedMethods: readonly string[] = ['GET'];
  /**
   * The calls in flight per key, marked when the cache announces a stale answer for their key. One
   * listener per interceptor (added on first use) instead of one per request: a listener list as long as
   * the requests in flight would cost each stale event, and each request's removal, O(requests).
   */
  readonly #inFlight = new Map<string, Array<{ stale: boolean }>>();
  #listening = false;

  constructor(
    @Inject(STRATACACHE) protected readonly cache: Cache,
    @Inject(Reflector) protected readonly reflector: Reflector,
    @Inject(HttpAdapterHost) protected readonly adapterHost: HttpAdapterHost,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<HttpRequestLike>();
    const key = this.trackBy(context);
    if (key === undefined) {
      const invalidate = this.metadata<TagSource[]>(INVALIDATE_TAGS_METADATA, context);
      if (invalidate === undefined) return next.handle();
      return next.handle().pipe(
        concatMap(async (value: unknown) => {
          await this.cache.invalidateTags(resolveTags(invalidate, request));
          return value;
        }),
      );
    }
    const options: GetOrSetOptions = {};
    const ttl = this.metadata<number>(CACHE_TTL_METADATA, context);
    if (ttl !== undefined) options.ttl = ttl;
    const tags = this.metadata<TagSource[]>(CACHE_TAGS_METADATA, context);
    if (tags !== undefined) options.tags = resolveTags(tags, request);

    let ran = false;
    const call = this.#track(key);
    let value: unknown;
    try {
      value = await this.cache.getOrSet<unknown>(
        key,
        async () => {
          ran = true;
          const v: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
          if (v instanceof StreamableFile) throw new Uncacheable(v);
          return v;
        },
        options,
      );
    } catch (e) {
      if (!(e instanceof Uncacheable)) throw e;
      // The request that ran the handler answers with its stream; one that shared the call runs its own.
      return ran ? of(e.value) : next.handle();
    } finally {
      this.#untrack(key, call);
    }
    this.setStatus(context, call.stale ? 'STALE' : ran ? 'MISS' : 'HIT');
    return of(value);
  }

  /** The cache key of the request, or `undefined` not to cache it. Override to key by user, locale, etc. */
  protected trackBy(context: ExecutionContext): string | undefined {
    const adapter = this.adapterHost.httpAdapter;
    const request = context.switchToHttp().getRequest<HttpRequestLike>();
    const method = adapter === undefined ? request.method : adapter.getRequestMethod(request);
    if (!this.allowedMethods.includes(method)) return undefined;
    const custom = this.metadata<CacheKeySource>(CACHE_KEY_METADATA, context);
    if (custom !== undefined) return typeof custom === 'function' ? custom(request) : custom;
    return `http:${adapter === undefined ? request.url : adapter.getRequestUrl(request)}`;
  }

  /** Sets the `X-Cache` header. */
  protected setStatus(context: ExecutionContext, status: CacheStatus): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter === undefined) return;
    adapter.setHeader(context.switchToHttp().getResponse(), 'X-Cache', status);
  }

  #track(key: string): { stale: boolean } {
    if (!this.#listening) {
      this.#listening = true;
      this.cache.on('stale', (e) => {
        const calls = this.#inFlight.get(e.key);
        if (calls !== undefined) for (const c of calls) c.stale = true;
      });
    }
    const call = { stale: false };
    const calls = this.#inFlight.get(key);
    if (calls === undefined) this.#inFlight.set(key, [call]);
    else calls.push(call);
    return call;
  }

  #untrack(key: string, call: { stale: boolean }): void {
    const calls = this.#inFlight.get(key);
    if (calls === undefined) return;
    const i = calls.indexOf(call);
    if (i >= 0) calls.splice(i, 1);
    if (calls.length === 0) this.#inFlight.delete(key);
  }

  /** A handler's metadata, else its controller's. */
  private metadata<T>(key: string, context: ExecutionContext): T | undefined {
    return this.reflector.getAllAndOverride<T | undefined>(key, [context.getHandler(), context.getClass()]);
  }
}
