/**
 * A small Nest application for the tests: items in an in-memory "database" (shared between two apps when
 * given), served by a controller under `StratacacheInterceptor`, plus a `@Cached` service. Listens on a
 * loopback port (Express or Fastify) and is driven with real HTTP requests.
 */
import 'reflect-metadata';
import {
  BadRequestException,
  Body,
  type CanActivate,
  Controller,
  Get,
  type INestApplication,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Cache, CacheOptions } from 'stratacache';
import {
  Cached,
  CacheKey,
  CacheTags,
  CacheTTL,
  InvalidateTags,
  StratacacheInterceptor,
  StratacacheModule,
} from 'stratacache/nestjs';

export type Adapter = 'express' | 'fastify';

/** How many times each handler (or service method) ran. */
export interface Runs {
  list: number;
  one: number;
  slow: number;
  flaky: number;
  service: number;
}

export interface TestApp {
  app: INestApplication;
  url: string;
  runs: Runs;
  /** Makes `/flaky` throw (a 503) until set back. */
  failFlaky: { on: boolean };
  /** Resolved when `expectedSlow` requests have reached `/slow` (see `startApp`). */
  slowArrived: Promise<void>;
  /** The app's `@Cached` service, called directly. */
  lookup(id: string): Promise<unknown>;
}

export interface StartOptions {
  adapter: Adapter;
  cache: Cache | CacheOptions;
  db?: Map<string, string>;
  /** `/slow` holds its handler until this many requests have passed the guard. @default 1 */
  expectedSlow?: number;
}

export interface Reply {
  status: number;
  xCache: string | null;
  body: unknown;
}

/** One HTTP request, bounded: a hung request fails the test instead of stalling it. */
export async function request(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return {
    status: res.status,
    xCache: res.headers.get('x-cache'),
    body: text === '' ? undefined : JSON.parse(text),
  };
}

export function post(url: string, body: unknown): Promise<Reply> {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function startApp(options: StartOptions): Promise<TestApp> {
  const db =
    options.db ??
    new Map([
      ['1', 'one'],
      ['2', 'two'],
    ]);
  const runs: Runs = { list: 0, one: 0, slow: 0, flaky: 0, service: 0 };
  const failFlaky = { on: false };
  const expectedSlow = options.expectedSlow ?? 1;
  let arrivals = 0;
  let arrived!: () => void;
  const slowArrived = new Promise<void>((resolve) => {
    arrived = resolve;
  });

  @Injectable()
  class ItemsService {
    @Cached({ key: (id: string) => `svc:item:${id}`, ttl: 60_000, tags: (id: string) => [`item:${id}`] })
    async lookup(id: string): Promise<{ id: string; name: string | undefined; via: string }> {
      runs.service++;
      return { id, name: db.get(id), via: 'service' };
    }
  }

  @Injectable()
  class SlowArrivals implements CanActivate {
    canActivate(): boolean {
      if (++arrivals === expectedSlow) arrived();
      return true;
    }
  }

  /** Not under the interceptor: only the service's `@Cached` caches. */
  @Controller('service')
  class ServiceController {
    constructor(@Inject(ItemsService) private readonly service: ItemsService) {}

    @Get(':id')
    lookup(@Param('id') id: string): Promise<unknown> {
      return this.service.lookup(id);
    }
  }

  @Controller('items')
  @UseInterceptors(StratacacheInterceptor)
  class ItemsController {
    @Get()
    @CacheTags('items')
    list(): Array<{ id: string; name: string }> {
      runs.list++;
      return [...db].map(([id, name]) => ({ id, name }));
    }

    @Get(':id')
    @CacheTTL(60_000)
    @CacheTags('items', (req) => `item:${req.params?.id}`)
    one(@Param('id') id: string): { id: string; name: string | undefined } {
      runs.one++;
      return { id, name: db.get(id) };
    }

    @Post()
    @InvalidateTags('items')
    create(@Body() body: { id?: string; name?: string }): { ok: true } {
      if (typeof body.id !== 'string' || typeof body.name !== 'string')
        throw new BadRequestException('id and name');
      db.set(body.id, body.name);
      return { ok: true };
    }

    @Post(':id')
    @InvalidateTags((req) => `item:${req.params?.id}`)
    update(@Param('id') id: string, @Body() body: { name?: string }): { ok: true } {
      if (typeof body.name !== 'string') throw new BadRequestException('name');
      db.set(id, body.name);
      return { ok: true };
    }
  }

  @Controller()
  @UseInterceptors(StratacacheInterceptor)
  class MiscController {
    @Get('slow')
    @UseGuards(SlowArrivals)
    async slow(): Promise<{ n: number }> {
      const n = ++runs.slow;
      await slowArrived;
      // Requests that passed the guard are, a turn later, waiting in getOrSet (no I/O lies between).
      await new Promise((r) => setImmediate(r));
      return { n };
    }

    @Get('flaky')
    @CacheKey('flaky-key')
    flaky(): { n: number } {
      runs.flaky++;
      if (failFlaky.on) throw new Error('backend down');
      return { n: runs.flaky };
    }
  }

  @Module({
    imports: [StratacacheModule.forRoot({ cache: options.cache })],
    controllers: [ItemsController, MiscController, ServiceController],
    providers: [ItemsService, SlowArrivals],
  })
  class AppModule {}

  const app =
    options.adapter === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false, abortOnError: false })
      : await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const service = app.get(ItemsService);
  return { app, url, runs, failFlaky, slowArrived, lookup: (id) => service.lookup(id) };
}
