/**
 * A strict, minimal XML 1.0 well-formedness parser for the documents the project writes (the demo's SVG):
 * one root element, matched tags, quoted and unique attributes, only the predefined and numeric entity
 * references, no character XML forbids. No DTD, CDATA or namespaces processing. Throws on the first fault.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (entities decoded), children's text excluded. */
  text: string;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9._:]*/y;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 forbids
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function decode(raw: string, at: number): string {
  if (FORBIDDEN.test(raw)) throw new Error(`A character XML forbids near offset ${at}`);
  return raw.replace(/&([^;]*);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`A bare & near offset ${at}`);
    if (ref in ENTITIES) return ENTITIES[ref]!;
    const code = /^#x[0-9A-Fa-f]+$/.test(ref)
      ? Number.parseInt(ref.slice(2), 16)
      : /^#[0-9]+$/.test(ref)
        ? Number(ref.slice(1))
        : undefined;
    if (code === undefined || code > 0x10ffff) throw new Error(`Unknown entity ${whole} near offset ${at}`);
    return String.fromCodePoint(code);
  });
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${i}: ${JSON.stringify(source.slice(i, i + 40))}`);
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(source);
    if (m === null) return fail('Expected a name');
    i += m[0].length;
    return m[0];
  };
  const skipSpace = (): void => {
    while (/\s/.test(source[i] ?? '')) i++;
  };
  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    if (end < 0) fail('Unterminated XML declaration');
    i = end + 2;
  }
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const chunk = source.slice(i, lt < 0 ? source.length : lt);
    if (chunk.includes(']]>')) fail('"]]>" in text');
    if (stack.length === 0) {
      if (chunk.trim() !== '') fail('Text outside the root element');
    } else stack.at(-1)!.text += decode(chunk, i);
    if (lt < 0) break;
    i = lt;
    if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i + 4);
      if (end < 0) fail('Unterminated comment');
      i = end + 3;
    } else if (source.startsWith('</', i)) {
      i += 2;
      const closing = name();
      skipSpace();
      if (source[i] !== '>') fail('Expected ">"');
      i++;
      const open = stack.pop();
      if (open?.name !== closing) fail(`</${closing}> does not close <${open?.name ?? '(nothing)'}>`);
    } else {
      i++;
      const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
      for (;;) {
        const before = i;
        skipSpace();
        if (source.startsWith('/>', i) || source[i] === '>') break;
        if (i === before) fail('Expected a space before an attribute');
        const attr = name();
        skipSpace();
        if (source[i] !== '=') fail('Expected "="');
        i++;
        skipSpace();
        const quote = source[i];
        if (quote !== '"' && quote !== "'") fail('Expected a quoted attribute value');
        const end = source.indexOf(quote!, i + 1);
        if (end < 0) fail('Unterminated attribute value');
        const raw = source.slice(i + 1, end);
        if (raw.includes('<')) fail('"<" in an attribute value');
        if (attr in el.attrs) fail(`Duplicate attribute ${attr}`);
        el.attrs[attr] = decode(raw, i);
        i = end + 1;
      }
      if (stack.length === 0) {
        if (root !== undefined) fail('A second root element');
        root = el;
      } else stack.at(-1)!.children.push(el);
      if (source.startsWith('/>', i)) i += 2;
      else {
        i++;
        stack.push(el);
      }
    }
  }
  if (stack.length > 0) throw new Error(`Unclosed <${stack.at(-1)!.name}> at the end`);
  if (root === undefined) throw new Error('No root element');
  return root;
}

/** Every element under `el` (itself included, document order) for which `match` holds. */
export function findAll(el: XmlElement, match: (e: XmlElement) => boolean): XmlElement[] {
  const out = match(el) ? [el] : [];
  for (const child of el.children) out.push(...findAll(child, match));
  return out;
}

/** The text of `el` followed by that of its descendants (enough for elements holding text only). */
export function textOf(el: XmlElement): string {
  return el.text + el.children.map(textOf).join('');
}
