import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { InvalidKeyError, InvalidOptionError } from '../../../src/errors.js';
import { MapStore } from '../../../src/testing/map-store.js';

// Keys must be injective all the way to L2: Redis stores strings as UTF-8, where every lone surrogate
// becomes U+FFFD, so '\uD800', '\uDFFF' and '\uFFFD' would share one Redis key.
describe('keys that would alias in L2 (issue 11)', () => {
  it('rejects keys with a lone surrogate and keeps well-formed ones, astral characters included', async () => {
    const cache = new Cache({ l2: new MapStore() });
    for (const bad of ['\uD800', '\uDFFF', 'a\uD800b', '\uDC00\uD800']) {
      await expect(cache.set(bad, 1)).rejects.toThrow(InvalidKeyError);
      await expect(cache.get(bad)).rejects.toThrow(/well-formed UTF-16/);
      await expect(cache.getOrSet(bad, async () => 1)).rejects.toThrow(InvalidKeyError);
    }
    await cache.set('\uFFFD', 'replacement');
    await cache.set('😀', 'emoji');
    expect(await cache.get('\uFFFD')).toBe('replacement');
    expect(await cache.get('😀')).toBe('emoji');
    await expect(cache.get('a', { version: '\uD800' })).rejects.toThrow(InvalidKeyError);
    await cache.close();
  });

  it('a user key spelling a versioned read record does not share its read', async () => {
    const store = new MapStore();
    const writer = new Cache({ l2: store });
    const reader = new Cache({ l2: store, l1: false });
    await writer.set('a', 'value of a', { version: 'v' });
    expect(await reader.get('a', { version: 'v' })).toBe('value of a');
    expect(await reader.get('a\u0000v')).toBeUndefined();
    await writer.set('a\u0000v', 'its own');
    expect(await reader.get('a\u0000v')).toBe('its own');
    expect(await reader.get('a', { version: 'v' })).toBe('value of a');
    await Promise.all([writer.close(), reader.close()]);
  });

  it('tags with control characters or lone surrogates are refused, as documented', async () => {
    const cache = new Cache();
    for (const tag of ['a\nb', 'a\u0000', '\u007f', '\uD800']) {
      await expect(cache.set('k', 1, { tags: [tag] })).rejects.toThrow(InvalidOptionError);
      await expect(cache.invalidateTags([tag])).rejects.toThrow(/control characters or lone surrogates/);
    }
    await cache.close();
  });
});
