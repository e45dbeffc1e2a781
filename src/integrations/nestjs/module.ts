import {
  type DynamicModule,
  Inject,
  Injectable,
  type InjectionToken,
  Module,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OnModuleInit,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { Cache, type CacheOptions, InvalidOptionError } from 'stratacache';
import { bindCache, hasCachedMethods } from './cached.js';
import { describe } from './decorators.js';
import { STRATACACHE, STRATACACHE_HOLDER } from './tokens.js';

/** Options of `StratacacheModule.forRoot`. */
export interface StratacacheModuleOptions {
  /**
   * A ready `Cache` (the caller owns it and closes it), or the options of one the module creates (and
   * closes on application shutdown).
   * @default a memory-only `Cache` with default options
   */
  cache?: Cache | CacheOptions;
  /** Register the module globally: every module can inject the cache without importing it. @default false */
  isGlobal?: boolean;
}

/** Options of `StratacacheModule.forRootAsync`. */
export interface StratacacheModuleAsyncOptions {
  /** Modules whose providers `useFactory` injects. */
  imports?: ModuleMetadata['imports'];
  /** Providers passed to `useFactory`, in order. */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** Returns a ready `Cache` (not closed by the module) or the options of one (closed on shutdown). */
  useFactory: (...args: never[]) => Cache | CacheOptions | Promise<Cache | CacheOptions>;
  /** See {@link StratacacheModuleOptions.isGlobal}. @default false */
  isGlobal?: boolean;
}

interface Holder {
  readonly cache: Cache;
  /** The module created the cache, so it closes it. */
  readonly owned: boolean;
}

/** Closes a cache the module created after the HTTP server stopped; binds `@Cached` services at start. */
@Injectable()
class StratacacheLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(STRATACACHE_HOLDER) private readonly holder: Holder,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (typeof instance === 'object' && instance !== null && hasCachedMethods(wrapper.metatype)) {
        bindCache(instance, this.holder.cache);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.holder.owned) await this.holder.cache.close();
  }
}

/**
 * The Nest module of a stratacache `Cache`: provides it under `STRATACACHE` (`@InjectCache()`), for the
 * `StratacacheInterceptor` and `@Cached` services. A cache it creates from options it closes on
 * application shutdown (`app.close()`, or a signal with `app.enableShutdownHooks()`); one it was handed it
 * leaves open.
 *
 * @example
 * \@Module({ imports: [StratacacheModule.forRoot({ cache: { ttl: 60_000 }, isGlobal: true })] })
 * class AppModule {}
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's idiom for a configurable module (forRoot/forRootAsync)
export class StratacacheModule {
  static forRoot(options: StratacacheModuleOptions = {}): DynamicModule {
    checkKeys('StratacacheModule.forRoot', options, ['cache', 'isGlobal']);
    const cache = options.cache ?? {};
    checkCache(cache, 'StratacacheModule.forRoot');
    // Created per application (two apps from one module class get two caches), when the app is created.
    const holder: Provider = {
      provide: STRATACACHE_HOLDER,
      useFactory: () => toHolder(cache, 'StratacacheModule.forRoot'),
    };
    return build([holder], [], options.isGlobal);
  }

  static forRootAsync(options: StratacacheModuleAsyncOptions): DynamicModule {
    checkKeys('StratacacheModule.forRootAsync', options, ['imports', 'inject', 'useFactory', 'isGlobal']);
    if (typeof options.useFactory !== 'function') {
      throw new InvalidOptionError(
        `Expected \`StratacacheModule.forRootAsync\` \`useFactory\` to be a function, got ${describe(options.useFactory)}`,
      );
    }
    const factory = options.useFactory as (
      ...args: unknown[]
    ) => Cache | CacheOptions | Promise<Cache | CacheOptions>;
    const holderProvider: Provider = {
      provide: STRATACACHE_HOLDER,
      useFactory: async (...args: unknown[]) =>
        toHolder(await factory(...args), 'StratacacheModule.forRootAsync'),
      inject: options.inject ?? [],
    };
    return build([holderProvider], options.imports ?? [], options.isGlobal);
  }
}

function build(
  providers: Provider[],
  imports: NonNullable<ModuleMetadata['imports']>,
  isGlobal = false,
): DynamicModule {
  if (typeof isGlobal !== 'boolean') {
    throw new InvalidOptionError(`Expected \`isGlobal\` to be a boolean, got ${describe(isGlobal)}`);
  }
  return {
    module: StratacacheModule,
    global: isGlobal,
    imports: [...imports, DiscoveryModule],
    providers: [
      ...providers,
      { provide: STRATACACHE, useFactory: (h: Holder) => h.cache, inject: [STRATACACHE_HOLDER] },
      StratacacheLifecycle,
    ],
    exports: [STRATACACHE],
  };
}

function checkCache(value: unknown, where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(
      `Expected \`${where}\` \`cache\` to be a Cache or CacheOptions, got ${describe(value)}`,
    );
  }
}

function toHolder(value: unknown, where: string): Holder {
  if (value instanceof Cache) return { cache: value, owned: false };
  checkCache(value, where);
  // Options a `Cache` rejects throw its InvalidOptionError here, when the module is built.
  return { cache: new Cache(value as CacheOptions), owned: true };
}

function checkKeys(where: string, options: unknown, allowed: readonly string[]): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`Expected \`${where}\` options to be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) {
      throw new InvalidOptionError(
        `Unknown \`${where}\` option \`${k}\`; expected one of ${allowed.join(', ')}`,
      );
    }
  }
}
