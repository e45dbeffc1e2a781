export { Histogram, type LatencySummary } from './histogram.js';
export type { CacheStats } from './stats.js';
