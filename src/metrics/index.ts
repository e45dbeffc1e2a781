export {
  bucketUpperMs,
  classicBuckets,
  Histogram,
  type HistogramData,
  LATENCY_BOUNDS_MS,
  type LatencySummary,
  mergeHistograms,
} from './histogram.js';
export {
  type NamespaceTracker,
  OTHER_NAMESPACES,
  ROOT_NAMESPACE,
  type TrackNamespacesOptions,
  trackNamespaces,
} from './namespace-stats.js';
export {
  type OpenTelemetryOptions,
  type OpenTelemetryRegistration,
  registerOpenTelemetry,
} from './opentelemetry.js';
export {
  type HistogramCollection,
  type HistogramDataPoint,
  type HistogramProducer,
  type OpenTelemetryHistogramsOptions,
  openTelemetryHistograms,
} from './opentelemetry-histograms.js';
export type { CacheStats, NamespaceCounts } from './stats.js';
