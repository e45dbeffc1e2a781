/**
 * Heap readings for the memory suites: heap used plus array buffers after two full GCs. Needs
 * `--expose-gc` (bench/run.ts passes it); `heapReader(suite)` throws at once without it.
 */
export function heapReader(suite: string): () => number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error(`run with --expose-gc (npm run bench ${suite})`);
  return () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
}
