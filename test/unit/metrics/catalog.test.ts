import { describe, expect, it } from 'vitest';
import { METRICS, prometheusName } from '../../../src/metrics/catalog.js';

describe('metric catalog', () => {
  it('derives the documented Prometheus and OpenTelemetry names', () => {
    expect(METRICS.map((m) => prometheusName(m))).toEqual([
      'hits_total',
      'misses_total',
      'tier_hits_total',
      'tier_misses_total',
      'l2_errors_total',
      'stale_served_total',
      'sets_total',
      'deletes_total',
      'loads_total',
      'load_errors_total',
      'load_timeouts_total',
      'loads_coalesced_total',
      'refreshes_total',
      'lock_waits_total',
      'corrupt_total',
      'l1_evictions_total',
      'l1_expirations_total',
      'l1_entries',
      'l1_bytes',
      'l2_circuit_open',
      'namespace_hits_total',
      'namespace_misses_total',
      'get_duration_seconds',
      'load_duration_seconds',
    ]);
    expect(METRICS.map((m) => m.name)).toEqual([
      'hits',
      'misses',
      'tier.hits',
      'tier.misses',
      'l2.errors',
      'stale_served',
      'sets',
      'deletes',
      'loads',
      'load.errors',
      'load.timeouts',
      'loads.coalesced',
      'refreshes',
      'lock_waits',
      'corrupt',
      'l1.evictions',
      'l1.expirations',
      'l1.entries',
      'l1.bytes',
      'l2.circuit_open',
      'namespace.hits',
      'namespace.misses',
      'get.duration',
      'load.duration',
    ]);
  });

  it('gives every metric a one-sentence description and a unit', () => {
    for (const m of METRICS) {
      expect(m.description, m.name).toMatch(/^[A-Z1].*\.$/);
      expect(m.unit, m.name).not.toBe('');
    }
  });
});
