import { describe, expect, it } from 'vitest';
import { Deadlines } from '../../../src/internal/deadlines.js';
import { sleep } from '../../helpers/clock.js';

describe('Deadlines', () => {
  it('expires pending calls after the timeout, in start order, and never settled ones', async () => {
    const d = new Deadlines(30);
    const expired: number[] = [];
    const a = d.start(() => expired.push(1));
    d.start(() => expired.push(2));
    const c = d.start(() => expired.push(3));
    a.done = true;
    await sleep(10);
    d.start(() => expired.push(4));
    c.done = true;
    // Nothing expires before its deadline...
    expect(expired).toEqual([]);
    await sleep(100);
    // ...and afterwards exactly the unsettled calls did, in start order.
    expect(expired).toEqual([2, 4]);
  });

  it('re-arms after the queue empties', async () => {
    const d = new Deadlines(5);
    let n = 0;
    d.start(() => n++);
    await sleep(20);
    d.start(() => n++);
    await sleep(20);
    expect(n).toBe(2);
  });
});
