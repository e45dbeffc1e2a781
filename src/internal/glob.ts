/**
 * Glob patterns over keys with exactly Redis's `MATCH` semantics (`stringmatchlen` in Redis's util.c),
 * so a pattern deletes the same keys from L1 as from Redis: `*` any run, `?` one byte, `[abc]`, `[^a]`
 * (`!` is a literal), `[a-z]` ranges (reversed ones are swapped), `\` escaping the next character.
 *
 * Redis compares UTF-8 bytes as C `char`, which is signed on the platforms it ships on, so patterns and
 * keys are compared byte by byte as signed values: `?` matches one byte of a multi-byte character, and a
 * range over non-ASCII bytes is ordered as Redis orders it. An unterminated `[` keeps the rest of the
 * pattern as its class, as in Redis. Pure-ASCII keys (the common case) are read without encoding.
 */

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const BACKSLASH = 0x5c;
const DASH = 0x2d;
/** Redis stops matching (no match) past this many nested `*`s, against abusive patterns. */
const MAX_NESTING = 1000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the class is all of ASCII, NUL included
const ASCII = /^[\x00-\x7f]*$/;

/** A compiled glob: `test(key)` says whether Redis's `SCAN … MATCH glob` would return `key`. */
export interface Glob {
  test(key: string): boolean;
}

type Subject = string | Int8Array;

/** Compiles a glob once, for testing many keys. */
export function compileGlob(glob: string): Glob {
  // SCAN skips matching for the lone `*`, so it returns even the empty key, which the matcher would not.
  if (glob === '*') return { test: () => true };
  const bytes = Buffer.from(glob, 'utf8');
  const pattern = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    test(key: string): boolean {
      return match(pattern, 0, subject(key), 0, { skipLonger: false }, 0);
    },
  };
}

function subject(key: string): Subject {
  if (ASCII.test(key)) return key;
  const b = Buffer.from(key, 'utf8');
  return new Int8Array(b.buffer, b.byteOffset, b.length);
}

function at(s: Subject, i: number): number {
  return typeof s === 'string' ? s.charCodeAt(i) : s[i]!;
}

/**
 * Redis's matcher, index for pointer. Reads past the pattern's end see 0, as Redis sees the NUL that
 * ends its strings. `state.skipLonger`: once the rest after a `*` matched nowhere in the remaining
 * string, no earlier `*` can help either, which keeps the search polynomial.
 */
function match(
  p: Int8Array,
  pi: number,
  s: Subject,
  si: number,
  state: { skipLonger: boolean },
  nesting: number,
): boolean {
  if (nesting > MAX_NESTING) return false;
  const pn = p.length;
  const sn = s.length;
  const pat = (i: number): number => (i < pn ? p[i]! : 0);
  while (pi < pn && si < sn) {
    const c = p[pi]!;
    if (c === STAR) {
      while (pat(pi + 1) === STAR) pi++;
      if (pn - pi === 1) return true;
      for (; si < sn; si++) {
        if (match(p, pi + 1, s, si, state, nesting + 1)) return true;
        if (state.skipLonger) return false;
      }
      state.skipLonger = true;
      return false;
    }
    if (c === QUESTION) {
      si++;
    } else if (c === OPEN) {
      pi++;
      const not = pat(pi) === CARET;
      if (not) pi++;
      const sc = at(s, si);
      let found = false;
      for (;;) {
        const rest = pn - pi;
        if (pat(pi) === BACKSLASH && rest >= 2) {
          pi++;
          if (p[pi] === sc) found = true;
        } else if (pat(pi) === CLOSE) {
          break;
        } else if (rest === 0) {
          pi--;
          break;
        } else if (rest >= 3 && p[pi + 1] === DASH) {
          const a = p[pi]!;
          const b = p[pi + 2]!;
          pi += 2;
          if (sc >= Math.min(a, b) && sc <= Math.max(a, b)) found = true;
        } else if (p[pi] === sc) {
          found = true;
        }
        pi++;
      }
      if (found === not) return false;
      si++;
    } else {
      if (c === BACKSLASH && pn - pi >= 2) pi++;
      if (p[pi] !== at(s, si)) return false;
      si++;
    }
    pi++;
    if (si === sn) {
      while (pat(pi) === STAR) pi++;
      break;
    }
  }
  return pi >= pn && si === sn;
}

/** Escapes every glob metacharacter so the string matches only itself (a literal prefix). */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, '\\$&');
}
