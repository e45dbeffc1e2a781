/** `stratacache/tracing`: the cache's TracingChannels and an OpenTelemetry span bridge on them. */
export type { CacheTraceContext, StaleReason, TracedOperation } from './channels.js';
export { TRACE_CHANNELS } from './channels.js';
export {
  type OpenTelemetryTracing,
  type OpenTelemetryTracingOptions,
  openTelemetryTracing,
} from './opentelemetry.js';
