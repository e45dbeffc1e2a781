import { describe, expect, it } from 'vitest';
import { extractBlocks } from './code-blocks.js';

const md = [
  '# Title', // 1
  '', // 2
  '```ts', // 3
  'const a = 1;', // 4
  '```', // 5
  '', // 6
  '```sh', // 7
  'npm test', // 8
  '```', // 9
  '- a list item:', // 10
  '  ```ts no-run', // 11
  '  const b = 2;', // 12
  '  ```', // 13
  '````typescript ignore', // 14
  '```ts', // 15
  '````', // 16
].join('\n');

describe('extractBlocks', () => {
  it('finds TypeScript blocks with their fence line, mode and unindented code', () => {
    expect(extractBlocks('x.md', md)).toEqual([
      { file: 'x.md', line: 3, mode: 'run', code: 'const a = 1;' },
      { file: 'x.md', line: 11, mode: 'no-run', code: 'const b = 2;' },
      { file: 'x.md', line: 14, mode: 'ignore', code: '```ts' },
    ]);
  });

  it('rejects an unknown tag instead of running or skipping the block', () => {
    expect(() => extractBlocks('x.md', '```ts norun\nx\n```\n')).toThrow(/x\.md:1: unknown tag `ts norun`/);
  });

  it('rejects a fence that is never closed', () => {
    expect(() => extractBlocks('x.md', 'text\n```ts\nconst a = 1;\n')).toThrow(/x\.md:2: .*never closed/);
  });

  it('ignores other languages, even with tags', () => {
    expect(extractBlocks('x.md', '```sql no-run\nselect 1\n```\n')).toEqual([]);
  });
});
