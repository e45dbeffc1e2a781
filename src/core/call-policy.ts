/** A call's options resolved against the cache's: what it writes, under which tags and version, how it loads. */
import { InvalidKeyError } from '../errors.js';
import { describe, isWellFormed } from '../internal/asserts.js';
import { checkTags } from '../invalidation/tags.js';
import {
  checkCallOptions,
  type GetOptions,
  type GetOrSetOptions,
  resolveBeta,
  resolveErrorTtl,
  resolveTimeouts,
  writePolicy,
} from '../options.js';
import { resolveProfile } from '../ttl/profiles.js';
import type { CallPolicy, Core } from './core.js';

/** The policy of a call; calls without options share the cache's, built once. */
export function callPolicy(c: Core, options: GetOrSetOptions | undefined): CallPolicy {
  const o = c.o;
  if (options === undefined) return c.defaultPolicy;
  checkCallOptions('options', options);
  const tags = options.tags === undefined ? undefined : checkTags(options.tags);
  return {
    write: writePolicy(o.write, o.profiles, options, resolveProfile),
    meta: {
      tags: tags === undefined || tags.length === 0 ? undefined : [...tags],
      version: versionOf(options),
    },
    beta: options.earlyRefresh === undefined ? o.beta : resolveBeta('earlyRefresh', options.earlyRefresh),
    timeouts: options.timeouts === undefined ? o.timeouts : resolveTimeouts('timeouts', options.timeouts),
    errorTtl: resolveErrorTtl(options.errorTtl),
  };
}

/** The `version` option as a string (numbers are stringified), or undefined. */
export function versionOf(options: GetOptions): string | undefined {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object, got ${describe(options)}`);
  }
  const v = options.version;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new TypeError(`Expected \`version\` to be a string or number, got ${describe(v)}`);
  }
  const version = String(v);
  if (!isWellFormed(version)) {
    throw new InvalidKeyError(
      `Expected \`version\` of well-formed UTF-16 (no lone surrogate), got ${describe(v)}`,
    );
  }
  return version;
}
