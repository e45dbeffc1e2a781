import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { type OpenTelemetryTracing, openTelemetryTracing } from '../../../src/tracing/index.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

let redis: ServerHandle;
let cache: Cache;
let tracing: OpenTelemetryTracing;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();

beforeAll(async () => {
  context.setGlobalContextManager(contextManager);
  redis = await startRedis();
  cache = new Cache({ l2: new RedisStore({ url: redis.url }), ttl: 60_000 });
  tracing = openTelemetryTracing({ tracerProvider: provider });
});

afterAll(async () => {
  tracing.disable();
  await cache.close();
  await redis.stop();
  context.disable();
});

beforeEach(() => exporter.reset());

/** The spans as a tree of names, children in start order. */
function tree(spans: ReadableSpan[], parent?: string): unknown[] {
  return spans
    .filter(
      (s) =>
        s.parentSpanContext?.spanId === parent || (parent === undefined && s.parentSpanContext === undefined),
    )
    .sort((a, b) => (a.startTime[0] - b.startTime[0]) * 1e9 + (a.startTime[1] - b.startTime[1]))
    .map((s) => {
      const kids = tree(spans, s.spanContext().spanId);
      return kids.length === 0 ? s.name : { [s.name]: kids };
    });
}

const tracer = provider.getTracer('test');

describe('OpenTelemetry spans from the tracing channels', () => {
  it('nest the loader and the Redis calls under the cache call, under the request span', async () => {
    await tracer.startActiveSpan('request', async (span) => {
      const v = await cache.getOrSet('user:1', async () => {
        // The loader's own cache read is a child of the loader span.
        await cache.get('user:1:prefs');
        return { id: 1 };
      });
      expect(v).toEqual({ id: 1 });
      span.end();
    });
    // The loader's value goes to L2 behind the caller: its span ends after the cache call's.
    const deadline = Date.now() + 2_000;
    while (!exporter.getFinishedSpans().some((s) => s.name === 'stratacache.l2 set') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    const spans = exporter.getFinishedSpans();
    expect(tree(spans)).toEqual([
      {
        request: [
          {
            'cache.get_or_set': [
              'stratacache.l2 get',
              { 'cache.load': [{ 'cache.get': ['stratacache.l2 get'] }] },
              'stratacache.l2 set',
            ],
          },
        ],
      },
    ]);
    const gos = spans.find((s) => s.name === 'cache.get_or_set')!;
    expect(gos.attributes).toMatchObject({
      'sentry.op': 'cache.get',
      'cache.hit': false,
      'cache.key': ['user:1'],
    });
    expect(gos.attributes['cache.item_size']).toBeGreaterThan(0);
    const l2 = spans.find((s) => s.name === 'stratacache.l2 set')!;
    expect(l2.attributes['stratacache.store']).toBe('redis');
  });

  it('mark hits with the tier, puts and flushes with Sentry ops', async () => {
    await cache.set('a', 'x', 30_000);
    expect(await cache.get('a')).toBe('x');
    await cache.delete('a');
    await cache.clear();
    const spans = exporter.getFinishedSpans();
    const byName = (n: string) => spans.filter((s) => s.name === n).map((s) => s.attributes);
    expect(byName('cache.put')[0]).toMatchObject({
      'sentry.op': 'cache.put',
      'cache.ttl': 30,
      'cache.key': ['a'],
    });
    expect(byName('cache.get')[0]).toMatchObject({ 'cache.hit': true, 'stratacache.tier': 'l1' });
    expect(byName('cache.remove')[0]).toMatchObject({ 'sentry.op': 'cache.remove' });
    expect(byName('cache.invalidate')[0]).toMatchObject({ 'sentry.op': 'cache.flush' });
  });

  it('records a Redis outage on the L2 span while the cache call still succeeds', async () => {
    const other = await startRedis();
    const c = new Cache({ l2: new RedisStore({ url: other.url }), l1: false, l2Timeout: 50 });
    try {
      await c.set('k', 1);
      await other.kill();
      exporter.reset();
      expect(await c.get('k')).toBeUndefined();
      const spans = exporter.getFinishedSpans();
      const get = spans.find((s) => s.name === 'cache.get')!;
      expect(get.status.code).toBe(0);
      const l2 = spans.find((s) => s.name === 'stratacache.l2 get')!;
      expect(l2.status.code).toBe(2);
      expect(l2.parentSpanContext?.spanId).toBe(get.spanContext().spanId);
    } finally {
      await c.close();
      await other.stop();
    }
  });

  it('can leave keys off spans, and rejects unknown options', () => {
    expect(() => openTelemetryTracing({ keyz: true } as never)).toThrow(InvalidOptionError);
    const quiet = openTelemetryTracing({ tracerProvider: provider, keys: false, l2: false });
    quiet.disable();
    expect(trace.getTracerProvider()).toBeDefined();
  });
});
