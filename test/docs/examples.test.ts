/**
 * Every ```ts block of README.md and docs/**\/*.md, type-checked against the BUILT package (imports resolve
 * through the exports map to dist/*.d.ts, `strict`, `module: nodenext`) and run as its own ES module
 * (as JavaScript, see `transpile`) against a private redis-server and memcached, with a timeout. ```ts no-run blocks are type-checked only,
 * ```ts ignore blocks are skipped and listed. `npm test` builds first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, startMemcached, startRedis } from '../helpers/servers.js';
import { type CodeBlock, docFiles, extractBlocks } from './code-blocks.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Inside the package, so `stratacache` resolves to the package itself (self-reference via `exports`). */
const workDir = join(root, '.tmp', 'docs-examples');
const RUN_TIMEOUT_MS = 20_000;

const blocks: CodeBlock[] = docFiles(root).flatMap((f) =>
  extractBlocks(f, readFileSync(join(root, f), 'utf8')),
);
const checked = blocks.filter((b) => b.mode !== 'ignore');
const name = (b: CodeBlock): string => `${b.file}:${b.line}`;
const fileOf = (b: CodeBlock, ext = '.ts'): string =>
  join(workDir, `${b.file.replace(/[^A-Za-z0-9]/g, '_')}_L${b.line}${ext}`);

let redis: ServerHandle | undefined;
let memcached: ServerHandle | undefined;
/** Type errors per block, as `file:line:column message` lines pointing into the Markdown. */
const typeErrors = new Map<CodeBlock, string[]>();
const globalErrors: string[] = [];

function typeCheck(): void {
  const files = new Map(checked.map((b) => [fileOf(b), b]));
  const program = ts.createProgram([...files.keys()], {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    moduleDetection: ts.ModuleDetectionKind.Force,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
    // The NestJS page's example uses Nest's (legacy) decorators; no other block has decorators.
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
  });
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const block = d.file === undefined ? undefined : files.get(d.file.fileName);
    if (block === undefined || d.file === undefined || d.start === undefined) {
      globalErrors.push(`${d.file?.fileName ?? '(global)'}: TS${d.code} ${message}`);
      continue;
    }
    const pos = d.file.getLineAndCharacterOfPosition(d.start);
    const list = typeErrors.get(block) ?? [];
    list.push(`${block.file}:${block.line + 1 + pos.line}:${pos.character + 1} TS${d.code} ${message}`);
    typeErrors.set(block, list);
  }
}

/** Rewrites stack-trace positions in the generated file to positions in the Markdown. */
function toMarkdownPositions(b: CodeBlock, text: string): string {
  const generated = fileOf(b);
  return text
    .split(`file://${generated}`)
    .join(generated)
    .replace(
      new RegExp(`${escapeRegExp(generated)}:(\\d+)`, 'g'),
      (_, n: string) => `${b.file}:${b.line + Number(n)}`,
    );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  output: string;
}

/**
 * Writes the block as JavaScript (types stripped by TypeScript, with an inline source map pointing at the
 * .ts file), so it starts as fast as a plain module: a loader such as tsx costs seconds per process here.
 */
function transpile(b: CodeBlock): void {
  const { outputText } = ts.transpileModule(b.code, {
    fileName: fileOf(b),
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      inlineSourceMap: true,
      inlineSources: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
    },
  });
  writeFileSync(fileOf(b, '.mjs'), outputText);
}

function runBlock(b: CodeBlock): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', fileOf(b, '.mjs')], {
      cwd: root,
      env: { ...process.env, REDIS_URL: redis!.url, MEMCACHED_URL: memcached!.url, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      output += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      output += s;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output });
    });
  });
}

/** Empties the servers between blocks, so each block starts from nothing, as it would on a reader's machine. */
async function flushServers(): Promise<void> {
  for (const [server, command, reply] of [
    [redis!, '*1\r\n$8\r\nFLUSHALL\r\n', '+OK'],
    [memcached!, 'flush_all\r\n', 'OK'],
  ] as const) {
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(server.port, server.host);
      let data = '';
      socket.setEncoding('utf8');
      socket.once('connect', () => socket.write(command));
      socket.on('data', (s: string) => {
        data += s;
        if (data.includes('\r\n')) {
          socket.destroy();
          if (data.startsWith(reply)) resolve();
          else reject(new Error(`flush of 127.0.0.1:${server.port} answered ${JSON.stringify(data)}`));
        }
      });
      socket.once('error', reject);
    });
  }
}

describe('docs examples (README.md, docs/**/*.md)', () => {
  beforeAll(async () => {
    const ignored = blocks.filter((b) => b.mode === 'ignore');
    const noRun = blocks.filter((b) => b.mode === 'no-run');
    console.log(
      [
        `docs examples: ${blocks.length} TypeScript blocks in ${new Set(blocks.map((b) => b.file)).size} files:`,
        `  ${blocks.length - ignored.length - noRun.length} run`,
        `  ${noRun.length} type-checked only (no-run)${noRun.length > 0 ? `: ${noRun.map(name).join(', ')}` : ''}`,
        `  ${ignored.length} ignored${ignored.length > 0 ? `: ${ignored.map(name).join(', ')}` : ''}`,
      ].join('\n'),
    );
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    for (const b of checked) writeFileSync(fileOf(b), `${b.code}\n`);
    typeCheck();
    for (const b of checked) if (b.mode === 'run') transpile(b);
    [redis, memcached] = await Promise.all([startRedis(), startMemcached()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([redis?.stop(), memcached?.stop()]);
  });

  it('finds the blocks, against a built package', () => {
    expect(existsSync(join(root, 'dist', 'index.d.ts')), 'run `npm run build` first').toBe(true);
    expect(blocks.filter((b) => b.file === 'README.md' && b.mode === 'run').length).toBeGreaterThanOrEqual(2);
    expect(new Set(blocks.map((b) => b.file)).size).toBeGreaterThanOrEqual(10);
    expect(globalErrors).toEqual([]);
  });

  for (const b of blocks) {
    if (b.mode === 'ignore') {
      it.skip(`${name(b)} (ignore)`, () => {});
      continue;
    }
    it(`${name(b)}${b.mode === 'no-run' ? ' (type-check only)' : ''}`, {
      timeout: RUN_TIMEOUT_MS + 10_000,
    }, async () => {
      const errors = typeErrors.get(b) ?? [];
      if (errors.length > 0) throw new Error(`${name(b)} does not type-check:\n${errors.join('\n')}`);
      if (b.mode === 'no-run') return;
      await flushServers();
      const r = await runBlock(b);
      const output = toMarkdownPositions(b, r.output).trim();
      if (r.timedOut) {
        throw new Error(
          `${name(b)} did not exit within ${RUN_TIMEOUT_MS / 1000} s: an example must close what it opens${output === '' ? '' : `\n${output}`}`,
        );
      }
      if (r.code !== 0) {
        throw new Error(`${name(b)} exited with ${r.signal ?? `code ${r.code}`}:\n${output}`);
      }
    });
  }
});
