import { assertKnownKeys, assertPositiveInt, describe } from '../internal/asserts.js';
import {
  assertClient,
  assertKey,
  type Commands,
  PatternConnection,
  type PatternConnectionOptions,
  type RedisPatternClient,
  resolveTimeout,
} from './connection.js';

/** Options of {@link RedisRanking}. */
export interface RedisRankingOptions extends PatternConnectionOptions {
  /** The sorted set's Redis key. */
  key: string;
  /**
   * Keep only the `maxSize` highest-scored members: every `add`/`increment` trims the lowest ones in the
   * same MULTI. Unbounded when absent.
   */
  maxSize?: number;
}

/** A member with its score, as returned by {@link RedisRanking.top}. */
export interface RankedMember {
  member: string;
  score: number;
}

/** The part of a MULTI the trimming needs. */
interface RankingMulti {
  zRemRangeByRank(key: string, start: number, stop: number): unknown;
  exec(): Promise<unknown>;
}

const OPTION_KEYS = ['key', 'maxSize', 'timeout'] as const;

/**
 * A leaderboard on a Redis sorted set: highest score first.
 *
 * Ranks are 0-based with the highest score at rank 0. Members with equal scores are ordered by member in
 * **descending byte order** (Redis' ZREVRANGE order), so `top` and `rank` agree and are deterministic.
 * With `maxSize`, writes and the trim that follows them are **atomic** (one MULTI).
 *
 * @example
 * ```ts
 * const board = new RedisRanking(client, { key: 'game:scores', maxSize: 1000 });
 * await board.add('ada', 120);
 * await board.increment('bob', 15);
 * await board.top(3); // [{ member: 'ada', score: 120 }, { member: 'bob', score: 15 }]
 * await board.rank('bob'); // 1
 * ```
 */
export class RedisRanking {
  readonly #conn: PatternConnection;
  readonly #key: string;
  readonly #maxSize: number | undefined;

  constructor(client: RedisPatternClient, options: RedisRankingOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object with a \`key\`, got ${describe(options)}`);
    }
    assertKnownKeys('options', options, OPTION_KEYS);
    this.#key = assertKey('key', options.key);
    this.#maxSize = options.maxSize === undefined ? undefined : assertPositiveInt('maxSize', options.maxSize);
    this.#conn = new PatternConnection(assertClient(client), resolveTimeout(options.timeout));
  }

  /** Sets `member`'s score (adding the member if new). */
  async add(member: string, score: number): Promise<void> {
    assertKey('member', member);
    assertScore('score', score);
    const key = this.#key;
    await this.#write('ranking.add', (c) => c.multi().zAdd(key, { score, value: member }));
  }

  /** Adds `by` to `member`'s score (from 0 when new) and returns the new score. */
  async increment(member: string, by: number): Promise<number> {
    assertKey('member', member);
    assertScore('by', by);
    const key = this.#key;
    const replies = await this.#write('ranking.increment', (c) => c.multi().zIncrBy(key, by, member));
    return Number(replies[0]);
  }

  /** The `n` highest-scored members with their scores, highest first. */
  async top(n: number): Promise<RankedMember[]> {
    assertPositiveInt('n', n);
    const key = this.#key;
    const rows = await this.#conn.run('ranking.top', (c) => c.zRangeWithScores(key, 0, n - 1, { REV: true }));
    return rows.map((row) => ({ member: String(row.value), score: Number(row.score) }));
  }

  /** `member`'s 0-based rank (0 = highest score), or `undefined` if it is not ranked. */
  async rank(member: string): Promise<number | undefined> {
    assertKey('member', member);
    const key = this.#key;
    const rank = await this.#conn.run('ranking.rank', (c) => c.zRevRank(key, member));
    return rank === null ? undefined : rank;
  }

  /** `member`'s score, or `undefined` if it is not ranked. */
  async score(member: string): Promise<number | undefined> {
    assertKey('member', member);
    const key = this.#key;
    const score = await this.#conn.run('ranking.score', (c) => c.zScore(key, member));
    return score === null ? undefined : Number(score);
  }

  /** Removes `member`; true if it was ranked. */
  async remove(member: string): Promise<boolean> {
    assertKey('member', member);
    const key = this.#key;
    return (await this.#conn.run('ranking.remove', (c) => c.zRem(key, member))) > 0;
  }

  /** The number of ranked members. */
  async size(): Promise<number> {
    const key = this.#key;
    return this.#conn.run('ranking.size', (c) => c.zCard(key));
  }

  /** Removes every member (the whole key). */
  async clear(): Promise<void> {
    const key = this.#key;
    await this.#conn.run('ranking.clear', (c) => c.unlink(key));
  }

  async #write(operation: string, build: (c: Commands) => RankingMulti): Promise<unknown[]> {
    const key = this.#key;
    const maxSize = this.#maxSize;
    return this.#conn.run(operation, (c) => {
      const tx = build(c);
      if (maxSize !== undefined) tx.zRemRangeByRank(key, 0, -(maxSize + 1));
      return tx.exec() as Promise<unknown[]>;
    });
  }
}

function assertScore(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new (typeof value === 'number' ? RangeError : TypeError)(
      `Expected \`${name}\` to be a finite number, got ${describe(value)}`,
    );
  }
}
