/**
 * Glob patterns over keys, with Redis `MATCH` semantics: `*` any run, `?` one character, `[abc]`, `[^a]`,
 * `[a-z]` classes, and `\` escaping the next character.
 */

const REGEX_SPECIAL = /[.+^${}()|[\]\\/*?]/g;

/** Compiles a glob to an anchored RegExp that matches whole keys. */
export function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\') {
      i++;
      out += i < glob.length ? glob[i]!.replace(REGEX_SPECIAL, '\\$&') : '\\\\';
    } else if (c === '*') {
      out += '[\\s\\S]*';
    } else if (c === '?') {
      out += '[\\s\\S]';
    } else if (c === '[') {
      const end = findClassEnd(glob, i);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('^') || body.startsWith('!')) {
        negate = true;
        body = body.slice(1);
      }
      let cls = '';
      for (let j = 0; j < body.length; j++) {
        const d = body[j]!;
        if (d === '\\' && j + 1 < body.length) {
          j++;
          cls += `\\${body[j]}`;
        } else if (d === '-' && cls.length > 0 && j + 1 < body.length) {
          cls += '-';
        } else {
          cls += d.replace(/[\]\\^-]/g, '\\$&');
        }
      }
      out += `[${negate ? '^' : ''}${cls}]`;
      i = end;
    } else {
      out += c.replace(REGEX_SPECIAL, '\\$&');
    }
  }
  return new RegExp(`${out}$`);
}

function findClassEnd(glob: string, start: number): number {
  for (let j = start + 1; j < glob.length; j++) {
    const c = glob[j];
    if (c === '\\') j++;
    else if (c === ']' && j > start + 1) return j;
  }
  return -1;
}

/** Escapes every glob metacharacter so the string matches only itself (a literal prefix). */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, '\\$&');
}
