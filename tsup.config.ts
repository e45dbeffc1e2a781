import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    redis: 'src/stores/redis/index.ts',
    memcached: 'src/stores/memcached/index.ts',
    metrics: 'src/metrics/index.ts',
    prometheus: 'src/metrics/prometheus.ts',
    testing: 'src/testing/index.ts',
    next: 'src/integrations/next/index.ts',
    'next-incremental': 'src/integrations/next/handlers/incremental.ts',
    'next-use-cache': 'src/integrations/next/handlers/use-cache.ts',
    dashboard: 'src/observability/dashboard/index.ts',
    // The `stratacache` bin (package.json `bin` names dist/cli.js).
    cli: 'src/cli/index.ts',
    keyv: 'src/integrations/keyv/index.ts',
    apollo: 'src/integrations/apollo/index.ts',
    tracing: 'src/tracing/index.ts',
    nestjs: 'src/integrations/nestjs/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  // Integrations import the core by its package name, as users do; left external, every entry point shares the
  // one copy of the core in dist/ (so `instanceof Cache` holds across entry points).
  external: [
    '@redis/client',
    '@opentelemetry/api',
    'prom-client',
    'stratacache',
    /^stratacache\//,
    'next',
    /^next\//,
    'keyv',
    '@apollo/utils.keyvaluecache',
    /^@nestjs\//,
    'rxjs',
    /^rxjs\//,
    'reflect-metadata',
  ],
});
