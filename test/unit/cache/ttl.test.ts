import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { applyJitter } from '../../../src/ttl/jitter.js';
import { ManualClock, seeded } from '../../helpers/clock.js';

describe('TTL policy', () => {
  it('jitter stays within ±jitter·ttl and actually spreads', () => {
    const random = seeded(3);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const t = applyJitter(10_000, 0.1, random);
      expect(t).toBeGreaterThanOrEqual(9000);
      expect(t).toBeLessThanOrEqual(11_000);
      seen.add(Math.round(t / 100));
    }
    expect(seen.size).toBeGreaterThan(15);
  });

  it('applies jitter to stored entries', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 10_000, jitter: 0.2, random: seeded(9) });
    for (let i = 0; i < 200; i++) await cache.set(`k${i}`, i);
    clock.advance(7999);
    expect(
      (await cache.getMany(Array.from({ length: 200 }, (_, i) => `k${i}`))).every((v) => v !== undefined),
    ).toBe(true);
    clock.advance(2001);
    const mid = (await cache.getMany(Array.from({ length: 200 }, (_, i) => `k${i}`))).filter(
      (v) => v !== undefined,
    );
    expect(mid.length).toBeGreaterThan(20);
    expect(mid.length).toBeLessThan(180);
    clock.advance(2001);
    expect(
      (await cache.getMany(Array.from({ length: 200 }, (_, i) => `k${i}`))).every((v) => v === undefined),
    ).toBe(true);
  });

  it('sliding TTL extends on read up to the absolute cap', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000, sliding: true, maxAge: 3500 });
    await cache.set('s', 'v');
    for (let i = 0; i < 4; i++) {
      clock.advance(800);
      expect(await cache.get('s')).toBe('v');
    }
    // 3200 ms after creation; the cap is 3500 even though the last read would slide to 4200.
    clock.advance(400);
    expect(await cache.get('s')).toBeUndefined();
  });

  it('without reads a sliding entry expires after its TTL', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: 1000, sliding: true, maxAge: 10_000 });
    await cache.set('s', 'v');
    clock.advance(1001);
    expect(await cache.get('s')).toBeUndefined();
  });

  it('named profiles resolve to TTLs', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttlProfiles: { session: 1000, catalog: 100_000 } });
    await cache.set('a', 1, { profile: 'session' });
    await cache.getOrSet('b', async () => 2, { profile: 'catalog' });
    clock.advance(1500);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBe(2);
    await expect(cache.set('c', 3, { profile: 'nope' })).rejects.toThrow(
      /Unknown TTL profile `nope`; known profiles: session, catalog/,
    );
    await expect(cache.set('c', 3, { profile: 'session', ttl: 5 })).rejects.toThrow(InvalidOptionError);
  });

  it('Infinity means no expiry', async () => {
    const clock = new ManualClock();
    const cache = new Cache({ clock, ttl: Number.POSITIVE_INFINITY });
    await cache.set('forever', 1);
    clock.advance(10 * 365 * 86_400_000);
    expect(await cache.get('forever')).toBe(1);
  });

  it.each([0, -1, Number.NaN, 2 ** 31, Number.NEGATIVE_INFINITY, '100'])('rejects ttl %s', async (ttl) => {
    expect(() => new Cache({ ttl: ttl as number })).toThrow(InvalidOptionError);
    const cache = new Cache();
    await expect(cache.set('k', 1, { ttl: ttl as number })).rejects.toThrow(InvalidOptionError);
  });

  it('says what was expected in the message', () => {
    expect(() => new Cache({ ttl: -1 })).toThrow(
      'Expected `ttl` to be a positive number of milliseconds no larger than 2147483647 (or Infinity for no expiry), got `-1` (number)',
    );
  });
});
