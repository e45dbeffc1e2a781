/**
 * Closes `targets` (e.g. write-behind queues) when the process receives one of `signals`, then lets the
 * signal take its default course, so a SIGTERM from an orchestrator drains queued writes first.
 *
 * The handler runs once: it closes every target (each `close()` drains, bounded by its own timeout),
 * removes itself, and re-sends the signal to the process. Returns a function that removes the handler.
 *
 * @example
 * const orders = writeBehind(cache, { saveMany, journal });
 * closeOnSignal([orders]);
 */
export function closeOnSignal(
  targets: ReadonlyArray<{ close(): Promise<void> }>,
  // A structural signal name, not `NodeJS.Signals`: the public declarations must not need `@types/node`.
  signals: readonly `SIG${string}`[] = ['SIGTERM', 'SIGINT'],
): () => void {
  const remove = (): void => {
    for (const s of signals) process.off(s, handler);
  };
  const handler = (signal: NodeJS.Signals): void => {
    remove();
    void Promise.allSettled(targets.map((t) => t.close())).then(() => process.kill(process.pid, signal));
  };
  for (const s of signals) process.once(s, handler);
  return remove;
}
