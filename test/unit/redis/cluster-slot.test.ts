import { describe, expect, it } from 'vitest';
import { groupBySlot, keySlot, SLOT_COUNT, tagForSlot } from '../../../src/stores/redis/cluster-slot.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';

describe('keySlot', () => {
  it('matches the vectors of the Redis Cluster specification', () => {
    // CRC16-XMODEM("123456789") = 0x31C3; `CLUSTER KEYSLOT foo` = 12182.
    expect(keySlot('123456789')).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
  });

  it('hashes only the first non-empty {tag}', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('x{user1000}y')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
  });

  it('hashes the UTF-8 bytes of non-ASCII keys', () => {
    expect(keySlot('ключ')).toBe(keySlot(Buffer.from('ключ', 'utf8')));
  });
});

describe('tagForSlot', () => {
  it('gives a short brace-free tag in every slot', () => {
    for (let slot = 0; slot < SLOT_COUNT; slot += 97) {
      const tag = tagForSlot(slot);
      expect(tag).toMatch(/^[0-9a-z]{1,5}$/);
      expect(keySlot(`{${tag}}anything{else}`)).toBe(slot);
    }
    expect(keySlot(tagForSlot(SLOT_COUNT - 1))).toBe(SLOT_COUNT - 1);
  });
});

describe('groupBySlot', () => {
  it('groups indexes by slot and keeps each index once', () => {
    const keys = ['{a}1', '{a}2', '{b}1', 'c', '{a}3'];
    const groups = groupBySlot(keys, (k) => k);
    expect(groups.get(keySlot('a'))).toEqual([0, 1, 4]);
    expect([...groups.values()].flat().sort()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('RedisStore options', () => {
  it('rejects unknown and invalid options eagerly', () => {
    expect(() => new RedisStore({ url: 'redis://127.0.0.1:1' }, { tll: 1 } as never)).toThrow(
      /Unknown option/,
    );
    expect(() => new RedisStore({ url: 'redis://127.0.0.1:1' }, { commandTimeoutMs: -1 })).toThrow(
      /Expected `commandTimeoutMs` to be a number of milliseconds/,
    );
    expect(() => new RedisStore({} as never)).toThrow(/Expected `url` to be a redis:\/\/ URL/);
  });
});
