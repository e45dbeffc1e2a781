/**
 * Installs a pinned set of npm packages apart from the repository's node_modules: the fixture folder
 * holds a package.json, its package-lock.json and optionally an .npmrc; they are copied to
 * `.tmp/<name>` (kept between runs) and installed with `npm ci`, again only when the pinned lock file
 * changed. Used for a second version of a tool or framework (TypeScript 7, NestJS 11) next to the one
 * the repository installs.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
export const npmFlags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/** The folder `.tmp/<name>` where {@link installPinned} puts the fixture `name`. */
export const pinnedDir = (name: string): string => join(repositoryRoot, '.tmp', name);

/** Installs the fixture folder `fixture` into `.tmp/<name>` unless its lock file is installed there already. */
export async function installPinned(name: string, fixture: string): Promise<string> {
  const dir = pinnedDir(name);
  const lock = readFileSync(join(fixture, 'package-lock.json'), 'utf8');
  const installedLock = join(dir, 'node_modules', '.package-lock.json');
  const stamp = join(dir, 'package-lock.json');
  if (existsSync(installedLock) && existsSync(stamp) && readFileSync(stamp, 'utf8') === lock) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of ['package.json', 'package-lock.json', '.npmrc']) {
    if (existsSync(join(fixture, f))) cpSync(join(fixture, f), join(dir, f));
  }
  await run('npm', ['ci', ...npmFlags], { cwd: dir });
  return dir;
}
