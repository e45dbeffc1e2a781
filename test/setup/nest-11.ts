/**
 * Global setup of the `nest-11` vitest project (vitest.config.ts): installs NestJS 11 from its pinned
 * lock (test/integrations/nestjs/nest-11) into .tmp/nest-11, which the project's aliases point
 * `@nestjs/*` at. The peers (rxjs, reflect-metadata, cache-manager, keyv) are not installed there
 * (legacy-peer-deps), so Nest 11 resolves the repository's single copies, as in an application.
 */
import { join } from 'node:path';
import { installPinned, repositoryRoot } from '../helpers/pinned.js';

export default async function setup(): Promise<void> {
  await installPinned('nest-11', join(repositoryRoot, 'test', 'integrations', 'nestjs', 'nest-11'));
}
