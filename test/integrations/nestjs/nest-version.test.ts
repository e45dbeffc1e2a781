/**
 * The NestJS suites run twice (vitest.config.ts): on the repository's Nest 12 and, in the `nest-11`
 * project, on Nest 11. This checks that each run really loaded the Nest it claims, so an alias that
 * stopped applying cannot pass the Nest 11 run on Nest 12.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Injectable } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { expect, it } from 'vitest';
import { pinnedDir, repositoryRoot } from '../../helpers/pinned.js';

const major = Number(process.env.STRATACACHE_TEST_NEST_MAJOR ?? 12);
const modules = join(major === 12 ? repositoryRoot : pinnedDir(`nest-${major}`), 'node_modules', '@nestjs');

it(`runs on @nestjs/common and @nestjs/core ${major}`, async () => {
  const load = async (name: string): Promise<Record<string, unknown>> =>
    (await import(pathToFileURL(join(modules, name, 'index.js')).href)) as Record<string, unknown>;
  expect((await load('core')).NestFactory).toBe(NestFactory);
  expect((await load('common')).Injectable).toBe(Injectable);
  for (const name of ['common', 'core']) {
    const pkg = JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')) as { version: string };
    expect(Number(pkg.version.split('.')[0]), name).toBe(major);
  }
});
