export { Histogram, type LatencySummary } from './histogram.js';
export {
  type OpenTelemetryOptions,
  type OpenTelemetryRegistration,
  registerOpenTelemetry,
} from './opentelemetry.js';
export type { CacheStats } from './stats.js';
