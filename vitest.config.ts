import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** Where test/setup/nest-11.ts installs NestJS 11 (see the `nest-11` project). */
const nest11 = join(import.meta.dirname, '.tmp', 'nest-11', 'node_modules', '@nestjs');

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    setupFiles: ['test/setup/open-handles.ts'],
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'] } },
      {
        // The NestJS suites again on Nest 11 (the peer range is ^11 || ^12; the repository installs 12).
        extends: true,
        test: {
          name: 'nest-11',
          include: ['test/integrations/nestjs/**/*.test.ts'],
          globalSetup: ['test/setup/nest-11.ts'],
          env: { STRATACACHE_TEST_NEST_MAJOR: '11' },
        },
        resolve: { alias: [{ find: /^@nestjs\/([a-z-]+)$/, replacement: `${nest11}/$1` }] },
      },
    ],
  },
});
