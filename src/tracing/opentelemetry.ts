/**
 * OpenTelemetry spans from the cache's TracingChannels. There are no OpenTelemetry semantic conventions
 * for caches yet (open-telemetry/semantic-conventions#1747), so spans follow Sentry's Caches module:
 * `sentry.op` is `cache.get` / `cache.put` / `cache.remove` / `cache.flush`, with `cache.hit`,
 * `cache.key` (an array), `cache.item_size` and `cache.ttl`. The loader runs in a child span, and the
 * remote tier's calls (and the spans of an instrumented Redis client under them) nest below.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { InvalidOptionError } from '../errors.js';
import { assertKnownKeys, describe } from '../internal/asserts.js';
import { type CacheTraceContext, TRACE_CHANNELS, type TracedOperation } from './channels.js';

export interface OpenTelemetryTracingOptions {
  /** Where spans go. @default the global tracer provider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /**
   * Put the keys on spans (`cache.key`). Keys can hold personal data (an e-mail in `user:…`): turn this
   * off where spans leave your control. @default true
   */
  keys?: boolean;
  /** A span per remote tier call (`stratacache.l2 get`, …) under the cache call's span. @default true */
  l2?: boolean;
}

/** A running subscription; `disable()` unsubscribes (spans in flight still end). */
export interface OpenTelemetryTracing {
  disable(): void;
}

const OPS: Record<TracedOperation, string> = {
  get: 'cache.get',
  getOrSet: 'cache.get',
  set: 'cache.put',
  delete: 'cache.remove',
  invalidate: 'cache.remove',
  load: 'function',
  l2: 'db',
};

const NAMES: Record<Exclude<TracedOperation, 'l2'>, string> = {
  get: 'cache.get',
  getOrSet: 'cache.get_or_set',
  set: 'cache.put',
  delete: 'cache.remove',
  invalidate: 'cache.invalidate',
  load: 'cache.load',
};

/** Subscribes to the cache's channels and turns each traced call into a span. */
export function openTelemetryTracing(options: OpenTelemetryTracingOptions = {}): OpenTelemetryTracing {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(`Expected options to be an object, got ${describe(options)}`);
  assertKnownKeys('openTelemetryTracing', options, ['tracerProvider', 'keys', 'l2']);
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer = provider.getTracer('stratacache');
  const withKeys = options.keys ?? true;
  const spans = new WeakMap<CacheTraceContext, Span>();
  const ops = (Object.keys(TRACE_CHANNELS) as TracedOperation[]).filter(
    (op) => op !== 'l2' || options.l2 !== false,
  );
  const undo: Array<() => void> = [];
  for (const op of ops) {
    const ch = tracingChannel<unknown, CacheTraceContext>(TRACE_CHANNELS[op]);
    const handlers = {
      start: (ctx: CacheTraceContext) => spans.set(ctx, started(tracer, ctx, withKeys)),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (ctx: CacheTraceContext) => {
        const span = spans.get(ctx);
        if (span === undefined) return;
        spans.delete(ctx);
        ended(span, ctx);
      },
      error: () => {},
    };
    ch.subscribe(handlers);
    undo.push(() => ch.unsubscribe(handlers));
  }
  return {
    disable() {
      for (const u of undo.splice(0)) u();
    },
  };
}

/** The span of a call that just started, made the active one for the rest of the call (`ctx.bind`). */
function started(tracer: Tracer, ctx: CacheTraceContext, withKeys: boolean): Span {
  const parent = context.active();
  const attributes: Attributes = { 'sentry.op': opOf(ctx), 'stratacache.operation': ctx.operation };
  if (withKeys && ctx.keys.length > 0) attributes['cache.key'] = [...ctx.keys];
  if (ctx.namespace !== undefined) attributes['stratacache.namespace'] = ctx.namespace;
  if (ctx.ttl !== undefined) attributes['cache.ttl'] = Math.round(ctx.ttl / 1000);
  if (ctx.kind !== undefined) attributes['stratacache.invalidate.kind'] = ctx.kind;
  if (ctx.targets !== undefined && (withKeys || ctx.kind === 'tags'))
    attributes['stratacache.invalidate.targets'] = [...ctx.targets];
  if (ctx.store !== undefined) attributes['stratacache.store'] = ctx.store;
  const name = ctx.operation === 'l2' ? `stratacache.l2 ${ctx.command ?? 'call'}` : NAMES[ctx.operation];
  const kind = ctx.operation === 'l2' ? SpanKind.CLIENT : SpanKind.INTERNAL;
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  const active = trace.setSpan(parent, span);
  const outer = ctx.bind;
  ctx.bind =
    outer === undefined
      ? (run) => context.with(active, run)
      : (run) => outer(() => context.with(active, run));
  return span;
}

function opOf(ctx: CacheTraceContext): string {
  if (ctx.operation === 'invalidate' && (ctx.kind === 'clear' || ctx.kind === 'namespace'))
    return 'cache.flush';
  return OPS[ctx.operation];
}

/** What the call did, onto its span, and the span ended. */
function ended(span: Span, ctx: CacheTraceContext): void {
  const reads = ctx.operation === 'get' || ctx.operation === 'getOrSet';
  if (reads) span.setAttribute('cache.hit', ctx.hits > 0 && ctx.misses === 0);
  if (reads && ctx.keys.length > 1) {
    span.setAttribute('stratacache.hits', ctx.hits);
    span.setAttribute('stratacache.misses', ctx.misses);
  }
  if (ctx.tier !== undefined) span.setAttribute('stratacache.tier', ctx.tier);
  if (ctx.stale !== undefined) span.setAttribute('stratacache.stale', ctx.stale);
  if (ctx.size !== undefined) span.setAttribute('cache.item_size', ctx.size);
  if (ctx.error !== undefined) {
    const err = ctx.error;
    if (err instanceof Error) span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}
