import type { Cache, CacheStats } from 'stratacache';

/** The cache's counters at one moment (`at`: `performance.now()`). */
export interface StatsSample {
  at: number;
  stats: CacheStats;
}

/**
 * Takes `cache.stats()` every `everyMs` between `start()` and `stop()`, for the picture drawn at the end.
 * The timer is unref'd and stopped by `stop()`.
 */
export class StatsSampler {
  readonly #cache: Pick<Cache, 'stats'>;
  readonly #everyMs: number;
  readonly #samples: StatsSample[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(cache: Pick<Cache, 'stats'>, everyMs: number) {
    this.#cache = cache;
    this.#everyMs = everyMs;
  }

  start(): void {
    this.#take();
    this.#timer = setInterval(() => this.#take(), this.#everyMs);
    this.#timer.unref();
  }

  /** Stops sampling after one last sample; returns every sample, oldest first. */
  stop(): StatsSample[] {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#take();
    return this.#samples;
  }

  #take(): void {
    this.#samples.push({ at: performance.now(), stats: this.#cache.stats() });
  }
}
