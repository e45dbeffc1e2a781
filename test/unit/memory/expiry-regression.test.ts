import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/stores/memory/memory-store.js';
import { ManualClock } from '../../helpers/clock.js';

describe('MemoryStore expiry under steady traffic', () => {
  it('survives reads that find entries the wheel is about to expire (no double release)', () => {
    // Regression: a get() that advanced the timer wheel could expire the slot it was reading and then
    // release it a second time, corrupting the free list and hanging the next eviction.
    const clock = new ManualClock(1_700_000_000_037);
    const store = new MemoryStore<{ key: string; at: number }>({ maxEntries: 1000, clock });
    let loads = 0;
    for (let step = 0; step < 200_000; step++) {
      // Eight interleaved callers, each walking the keys from its own offset; 2 ms between rounds.
      if (step % 8 === 0) clock.advance(2.3);
      const key = `item:${((step % 8) * 7 + Math.floor(step / 8)) % 50}`;
      const v = store.get(key);
      if (v === undefined) {
        loads++;
        store.set(key, { key, at: clock.now() }, 300);
      } else {
        expect(v.key).toBe(key);
        expect(clock.now() - v.at).toBeLessThan(300);
      }
    }
    expect(store.size).toBeLessThanOrEqual(50);
    // 57.5 s of clock time, each key reloaded about every 300 ms.
    expect(loads).toBeGreaterThan(50 * 180);
    expect(loads).toBeLessThan(50 * 200);
  });
});
