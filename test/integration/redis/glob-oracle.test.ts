import { createClient } from '@redis/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGlob } from '../../../src/internal/glob.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

// The local matcher decides which keys leave L1 while Redis's SCAN MATCH decides which leave L2, so a
// real server is the oracle: random keys and patterns over an alphabet dense in metacharacters.
const ALPHABET = ['a', 'b', 'z', 'd', '0', '!', '^', '-', '[', ']', '\\', '*', '?', ':', 'é', '😀', '\n'];
const text = (max: number) =>
  fc.array(fc.constantFrom(...ALPHABET), { maxLength: max }).map((a) => a.join(''));

let server: ServerHandle;
let client: ReturnType<typeof createClient>;
beforeAll(async () => {
  server = await startRedis();
  client = createClient({ url: server.url });
  await client.connect();
});
afterAll(async () => {
  await client?.close();
  await server?.stop();
});

async function scanMatch(pattern: string): Promise<Set<string>> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const r = await client.scan(cursor, { MATCH: pattern, COUNT: 1000 });
    cursor = String(r.cursor);
    for (const k of r.keys) found.add(k);
  } while (cursor !== '0');
  return found;
}

describe('glob matches exactly what Redis SCAN MATCH matches', () => {
  it('on the issue’s cases: [!a], [\\d], [z-a], an unterminated class, a trailing backslash', async () => {
    const keys = ['a', '!', 'b', 'd', '5', 'z', 'm', '[', '\\', 'ab', '[a', 'é'];
    await client.flushAll();
    for (const k of keys) await client.set(k, '1');
    for (const pattern of [
      '[!a]',
      '[\\d]',
      '[z-a]',
      '[a',
      '[',
      '\\',
      'a\\',
      '[^a]',
      '[a-]',
      '?',
      '[é]',
      '*\\',
    ]) {
      const local = compileGlob(pattern);
      const expected = await scanMatch(pattern);
      expect([...keys].filter((k) => local.test(k)).sort(), pattern).toEqual([...expected].sort());
    }
  });

  it('on random keys and patterns', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(text(6), { minLength: 1, maxLength: 30 }),
        text(7),
        async (keys, pattern) => {
          await client.flushAll();
          await client.mSet(keys.map((k) => [k, '1'] as [string, string]));
          const expected = await scanMatch(pattern);
          const local = compileGlob(pattern);
          expect(keys.filter((k) => local.test(k)).sort()).toEqual([...expected].sort());
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
