import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('closeOnSignal', () => {
  it('drains queued write-behind writes on SIGTERM, then exits by that signal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratacache-signal-'));
    const out = join(dir, 'applied.jsonl');
    const script = fileURLToPath(new URL('./fixtures/signal-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, out, '100'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const ready = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          const line = d.toString();
          if (line.startsWith('ready')) resolve(line.trim());
        });
        child.once('exit', () => reject(new Error('writer exited early')));
      });
      // Nothing was applied yet: the flush interval is a minute away.
      expect(ready).toBe('ready 100');
      const exited = new Promise<NodeJS.Signals | null>((r) =>
        child.once('exit', (_code, signal) => r(signal)),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
      const applied = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { key: string; n: number });
      expect(applied.map((a) => a.key).sort()).toEqual(Array.from({ length: 100 }, (_, n) => `k${n}`).sort());
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
