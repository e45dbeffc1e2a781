/**
 * The stock `@nestjs/cache-manager` CacheModule and CacheInterceptor with stratacache as its store,
 * through the Keyv adapter (`stratacache/keyv`), in a real Nest application over HTTP.
 */
import 'reflect-metadata';
import { CACHE_MANAGER, CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import { Controller, Get, Module, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Cache as CacheManager } from 'cache-manager';
import Keyv from 'keyv';
import { Cache } from 'stratacache';
import { KeyvStratacache } from 'stratacache/keyv';
import { expect, it } from 'vitest';
import { request } from './app.js';

it('@nestjs/cache-manager stores through stratacache (Keyv adapter)', async () => {
  const cache = new Cache();
  let runs = 0;

  @Controller()
  @UseInterceptors(CacheInterceptor)
  class HelloController {
    @Get('hello')
    hello(): { hello: string; n: number } {
      return { hello: 'world', n: ++runs };
    }
  }

  @Module({
    imports: [
      CacheModule.register({ stores: [new Keyv({ store: new KeyvStratacache(cache) })], ttl: 60_000 }),
    ],
    controllers: [HelloController],
  })
  class AppModule {}

  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  expect(await request(`${url}/hello`)).toMatchObject({ xCache: 'MISS', body: { n: 1 } });
  expect(await request(`${url}/hello`)).toMatchObject({ xCache: 'HIT', body: { n: 1 } });
  expect(runs).toBe(1);

  // cache-manager's API lands in stratacache: a second Keyv over the same cache reads what it wrote.
  const manager = app.get<CacheManager>(CACHE_MANAGER);
  await manager.set('greeting', { hi: 1 }, 10_000);
  expect(await manager.get('greeting')).toEqual({ hi: 1 });
  expect(await new Keyv({ store: new KeyvStratacache(cache) }).get('greeting')).toEqual({ hi: 1 });
  await manager.del('greeting');
  expect(await manager.get('greeting')).toBeUndefined();

  await app.close();
  await cache.close();
});
