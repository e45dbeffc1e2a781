import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    redis: 'src/stores/redis/index.ts',
    memcached: 'src/stores/memcached/index.ts',
    metrics: 'src/metrics/index.ts',
    prometheus: 'src/metrics/prometheus.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  external: ['@redis/client', '@opentelemetry/api', 'prom-client'],
});
