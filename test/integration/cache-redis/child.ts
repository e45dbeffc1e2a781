import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A worker.ts child process with a request/response helper over its stdio. */
export interface Worker {
  proc: ChildProcess;
  send(command: object): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startWorker(redisUrl: string, leaseMs = 5000): Promise<Worker> {
  const script = fileURLToPath(new URL('./worker.ts', import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', script, redisUrl, String(leaseMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: Array<(o: Record<string, unknown>) => void> = [];
  const rl = createInterface({ input: proc.stdout! });
  let ready: () => void = () => {};
  const readyP = new Promise<void>((r) => (ready = r));
  rl.on('line', (line) => {
    const o = JSON.parse(line) as Record<string, unknown>;
    if (o.ready) ready();
    else lines.shift()?.(o);
  });
  await readyP;
  return {
    proc,
    send(command) {
      return new Promise((resolve) => {
        lines.push(resolve);
        proc.stdin!.write(`${JSON.stringify(command)}\n`);
      });
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.stdin!.write(`${JSON.stringify({ cmd: 'exit' })}\n`);
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
