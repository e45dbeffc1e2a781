/**
 * What an instance does with the bus: apply other instances' changes to its L1 and its tag and namespace
 * knowledge, purge L1 after a cut (messages may have been lost), and remember pattern invalidations an
 * L2 that cannot scan must check on read.
 */
import { type Core, emitError, toError, track } from '../core/core.js';
import { compileGlob } from '../internal/glob.js';
import { supersede } from '../stampede/load-coordinator.js';
import type { Bus, BusMessage } from '../stores/bus.js';
import { rememberPattern } from './patterns.js';

/** Subscribes `c` to `bus`; failures are `error` events, never thrown. */
export function startBus(c: Core, bus: Bus): void {
  const onMessage = (m: BusMessage): void => {
    if (m.from !== c.id) dispatch(c, m);
  };
  const onReset = (): void => {
    c.l1?.clear();
    // Changes announced during the cut were lost: re-read every tag time and generation before trusting
    // it again (the old numbers stay as floors), or L2's old entries would pass as current.
    c.tags.untrustAll();
    c.generations.untrustAll();
    if (c.events.listening['bus:reset']) c.events.emit('bus:reset', {});
  };
  track(
    c,
    bus.subscribe(onMessage, onReset).then(
      () => {
        c.generations.trustForever = true;
      },
      (err: unknown) => emitError(c.events, toError(err), 'bus.subscribe'),
    ),
  );
}

/** Applies another instance's change to this one. */
function dispatch(c: Core, m: BusMessage): void {
  const prefix = c.o.prefix;
  switch (m.type) {
    case 'set':
    case 'delete':
      for (const k of m.keys) {
        if (!k.startsWith(prefix)) continue;
        const lk = k.slice(prefix.length);
        supersede(c, lk);
        c.l1?.delete(lk);
      }
      return;
    case 'tags':
      c.tags.learn(m.tags, m.ts);
      return;
    case 'pattern': {
      const glob = compileGlob(m.pattern);
      if (c.l1 !== undefined) for (const lk of [...c.l1.keys()]) if (glob.test(prefix + lk)) c.l1.delete(lk);
      if (c.l2 !== undefined && c.l2.store.scan === undefined) rememberPattern(c, m.pattern, m.ts);
      return;
    }
    case 'namespace':
      c.generations.learn(m.namespace, m.generation);
      return;
    case 'clear':
      c.l1?.clear();
      return;
  }
}
