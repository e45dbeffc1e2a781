import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, escapeGlob } from '../../../src/internal/glob.js';

describe('glob', () => {
  it.each([
    ['user:*', 'user:1', true],
    ['user:*', 'user:', true],
    ['user:*', 'users:1', false],
    ['user:?', 'user:10', false],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-c]llo', 'hbllo', true],
    ['h[a-c]llo', 'hdllo', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a.b', 'axb', false],
    ['(x)|y', '(x)|y', true],
    ['line*', 'line\nbreak', true],
    // Redis reads an unterminated class to the pattern's end: `[` is an empty class and matches nothing.
    ['[', '[', false],
    ['[!a]', '!', true],
    ['[!a]', 'a', true],
    ['[!a]', 'b', false],
    ['[\\d]', 'd', true],
    ['[\\d]', '5', false],
    ['[z-a]', 'm', true],
  ])('%s matches %s: %s', (glob, key, expected) => {
    expect(compileGlob(glob).test(key)).toBe(expected);
  });

  it('an escaped literal matches exactly itself', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const re = compileGlob(escapeGlob(a));
        expect(re.test(a)).toBe(true);
        if (a !== b) expect(re.test(b)).toBe(false);
      }),
    );
  });

  it('a prefix glob matches exactly the keys with that prefix', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (prefix, key) => {
        expect(compileGlob(`${escapeGlob(prefix)}*`).test(key)).toBe(key.startsWith(prefix));
      }),
    );
  });
});
