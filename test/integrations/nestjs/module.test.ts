/**
 * StratacacheModule: forRoot / forRootAsync, the token and @InjectCache, global or scoped, who closes the
 * cache, and bad options (InvalidOptionError). The async module is also served over real HTTP.
 */
import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Cache, ClosedError, InvalidOptionError } from 'stratacache';
import {
  Cached,
  CacheKey,
  CacheTags,
  CacheTTL,
  InjectCache,
  InvalidateTags,
  STRATACACHE,
  StratacacheInterceptor,
  StratacacheModule,
} from 'stratacache/nestjs';
import { describe, expect, it } from 'vitest';
import { request } from './app.js';

describe('StratacacheModule', () => {
  it('forRootAsync builds the cache from injected config, and serves HTTP through it', async () => {
    @Module({
      providers: [{ provide: 'CONFIG', useValue: { ttl: 30_000, prefix: 'async:' } }],
      exports: ['CONFIG'],
    })
    class ConfigModule {}

    let runs = 0;
    @Controller()
    @UseInterceptors(StratacacheInterceptor)
    class HelloController {
      constructor(@InjectCache() readonly cache: Cache) {}
      @Get('hello')
      hello(): { hello: string } {
        runs++;
        return { hello: 'world' };
      }
    }

    @Module({
      imports: [
        StratacacheModule.forRootAsync({
          imports: [ConfigModule],
          inject: ['CONFIG'],
          useFactory: async (config: { ttl: number; prefix: string }) => ({
            ttl: config.ttl,
            prefix: config.prefix,
          }),
        }),
      ],
      controllers: [HelloController],
    })
    class AppModule {}

    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    expect((await request(`${url}/hello`)).xCache).toBe('MISS');
    expect(await request(`${url}/hello`)).toEqual({ status: 200, xCache: 'HIT', body: { hello: 'world' } });
    expect(runs).toBe(1);
    const cache = app.get<Cache>(STRATACACHE);
    expect(app.get(HelloController).cache).toBe(cache);
    expect(await cache.get('http:/hello')).toEqual({ hello: 'world' });
    await app.close();
    // It made the cache, so it closed it.
    await expect(cache.get('http:/hello')).rejects.toBeInstanceOf(ClosedError);
  });

  it('leaves a cache it was handed open on shutdown; closes one it created', async () => {
    const mine = new Cache();
    const handed = await Test.createTestingModule({
      imports: [StratacacheModule.forRoot({ cache: mine })],
    }).compile();
    expect(handed.get(STRATACACHE)).toBe(mine);
    await handed.close();
    await mine.set('k', 1);
    expect(await mine.get('k')).toBe(1);
    await mine.close();

    const created = await Test.createTestingModule({ imports: [StratacacheModule.forRoot()] }).compile();
    const cache = created.get<Cache>(STRATACACHE);
    expect(cache).toBeInstanceOf(Cache);
    await created.close();
    await expect(cache.set('k', 1)).rejects.toBeInstanceOf(ClosedError);

    // forRootAsync returning a ready Cache: not closed either.
    const other = new Cache();
    const asyncHanded = await Test.createTestingModule({
      imports: [StratacacheModule.forRootAsync({ useFactory: () => other })],
    }).compile();
    expect(asyncHanded.get(STRATACACHE)).toBe(other);
    await asyncHanded.close();
    expect(await other.set('k', 1)).toBe(true);
    await other.close();
  });

  it('isGlobal makes the cache injectable in modules that do not import it', async () => {
    @Injectable()
    class Consumer {
      constructor(@Inject(STRATACACHE) readonly cache: Cache) {}
    }
    @Module({ providers: [Consumer], exports: [Consumer] })
    class FeatureModule {}

    const global = await Test.createTestingModule({
      imports: [StratacacheModule.forRoot({ isGlobal: true }), FeatureModule],
    }).compile();
    expect(global.get(Consumer).cache).toBe(global.get(STRATACACHE));
    await global.close();

    // Scoped: the feature module cannot see it.
    await expect(
      Test.createTestingModule({ imports: [StratacacheModule.forRoot(), FeatureModule] }).compile(),
    ).rejects.toThrow(/Consumer/);
  });

  it('rejects bad options with InvalidOptionError', async () => {
    expect(() => StratacacheModule.forRoot({ cache: 5 as never })).toThrow(InvalidOptionError);
    expect(() => StratacacheModule.forRoot({ ttl: 5 } as never)).toThrow(InvalidOptionError);
    expect(() => StratacacheModule.forRoot({ isGlobal: 'yes' as never })).toThrow(InvalidOptionError);
    expect(() => StratacacheModule.forRootAsync({} as never)).toThrow(InvalidOptionError);
    // Options the Cache itself rejects fail when the application is created.
    await expect(
      Test.createTestingModule({ imports: [StratacacheModule.forRoot({ cache: { ttl: -1 } })] }).compile(),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(
      Test.createTestingModule({
        imports: [StratacacheModule.forRootAsync({ useFactory: () => 42 as never })],
      }).compile(),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(
      Test.createTestingModule({
        imports: [StratacacheModule.forRootAsync({ useFactory: () => ({ bogus: true }) as never })],
      }).compile(),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => CacheTTL(0)).toThrow(InvalidOptionError);
    expect(() => CacheTTL(Number.NaN)).toThrow(InvalidOptionError);
    expect(() => CacheKey('')).toThrow(InvalidOptionError);
    expect(() => CacheTags()).toThrow(InvalidOptionError);
    expect(() => InvalidateTags(7 as never)).toThrow(InvalidOptionError);
    expect(() => Cached({ ttl: -5 })).toThrow(InvalidOptionError);
    expect(() => Cached({ tags: 'a' as never })).toThrow(InvalidOptionError);
    expect(() => Cached({ keys: 'a' } as never)).toThrow(InvalidOptionError);
  });
});

describe('@Cached outside an application', () => {
  it('uses a Cache the instance holds, and shares one call among concurrent callers', async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    class Prices {
      constructor(readonly cache: Cache) {}
      @Cached({ ttl: 10_000 })
      async price(sku: string, qty: number): Promise<number> {
        runs++;
        await gate;
        return sku.length * qty;
      }
    }
    const cache = new Cache();
    const prices = new Prices(cache);
    const calls = [prices.price('abc', 2), prices.price('abc', 2), prices.price('abcd', 1)];
    release();
    expect(await Promise.all(calls)).toEqual([6, 6, 4]);
    expect(runs).toBe(2);
    // The default key: class, method and the arguments as JSON.
    expect(await cache.get('Prices.price:["abc",2]')).toBe(6);
    await cache.close();
  });

  it('throws InvalidOptionError when it finds no cache', async () => {
    class Lonely {
      @Cached()
      async value(): Promise<number> {
        return 1;
      }
    }
    await expect(new Lonely().value()).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
