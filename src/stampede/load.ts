/** One running load of a key: the metadata its flight carries (see `SingleFlight`). */
export interface Load {
  /** Creation stamp of the value it will produce: tag invalidations after it make the value invalid. */
  readonly startedAt: number;
  /** The `version` its value will be written under (a caller of another version must not join it). */
  readonly version: string | undefined;
  /** A set, delete or clear happened since it started: its result must not be written. */
  superseded: boolean;
  /** Created only when the loader reads `ctx.signal`. */
  controller: AbortController | undefined;
  aborted: Error | undefined;
}

export function createLoad(startedAt: number, version: string | undefined): Load {
  return { startedAt, version, superseded: false, controller: undefined, aborted: undefined };
}

/** The load's abort signal, made on first use (most loaders never read it). */
export function signalOf(load: Load): AbortSignal {
  if (load.controller === undefined) {
    load.controller = new AbortController();
    if (load.aborted !== undefined) load.controller.abort(load.aborted);
  }
  return load.controller.signal;
}

export function abortLoad(load: Load, reason: Error): void {
  load.aborted = reason;
  load.controller?.abort(reason);
}
