/**
 * Finds the fenced code blocks of the README and the docs pages, for the examples test: every ```ts
 * block runs, ```ts no-run blocks are type-checked only, ```ts ignore blocks are skipped.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** How the examples test treats a block. */
export type BlockMode = 'run' | 'no-run' | 'ignore';

export interface CodeBlock {
  /** The Markdown file, relative to the repository root (`docs/ttl.md`). */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  mode: BlockMode;
  /** The code, with the fence's indentation removed. */
  code: string;
}

const TS_LANGS = new Set(['ts', 'typescript', 'mts']);
const MODES = new Set<string>(['no-run', 'ignore']);
const OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;

/**
 * The TypeScript blocks of one Markdown text, in order. Fences follow CommonMark (three or more backticks
 * or tildes, indented at most three spaces, closed by a fence of the same character at least as long);
 * the first word of the info string is the language, the next one (if any) the mode. A TypeScript block
 * with an unknown mode, or a fence that is never closed, throws, so a typo cannot silently skip a block.
 */
export function extractBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]!);
    if (open === null) continue;
    const [, indent = '', fence = '', info = ''] = open;
    const fenceLine = i + 1;
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const body: string[] = [];
    let closed = false;
    for (i++; i < lines.length; i++) {
      if (close.test(lines[i]!)) {
        closed = true;
        break;
      }
      body.push(stripIndent(lines[i]!, indent.length));
    }
    if (!closed) throw new Error(`${file}:${fenceLine}: the code fence is never closed`);
    const [lang = '', mode, ...rest] = info.trim().split(/\s+/);
    if (!TS_LANGS.has(lang)) continue;
    if ((mode !== undefined && !MODES.has(mode)) || rest.length > 0) {
      throw new Error(
        `${file}:${fenceLine}: unknown tag \`${info.trim()}\` on a TypeScript block; expected \`${lang}\`, \`${lang} no-run\` or \`${lang} ignore\``,
      );
    }
    blocks.push({
      file,
      line: fenceLine,
      mode: (mode as BlockMode | undefined) ?? 'run',
      code: body.join('\n'),
    });
  }
  return blocks;
}

function stripIndent(line: string, width: number): string {
  let n = 0;
  while (n < width && line[n] === ' ') n++;
  return line.slice(n);
}

/** `README.md` and every `.md` file under `docs/`, relative to `root`, in a stable order. */
export function docFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f).split('\\').join('/'))
    .sort();
  return ['README.md', ...docs];
}
