import { InvalidOptionError } from '../errors.js';
import { assertTtl } from '../internal/asserts.js';

/**
 * Named TTL tiers (`{ session: 1_800_000, catalog: 86_400_000 }`) so call sites say what kind of data
 * they cache rather than repeating durations.
 */
export function validateProfiles(profiles: Record<string, number>): ReadonlyMap<string, number> {
  const out = new Map<string, number>();
  for (const [name, ttl] of Object.entries(profiles))
    out.set(name, assertTtl(`ttlProfiles.${name}`, ttl, true));
  return out;
}

export function resolveProfile(profiles: ReadonlyMap<string, number>, name: string): number {
  const ttl = profiles.get(name);
  if (ttl === undefined) {
    const known = [...profiles.keys()];
    throw new InvalidOptionError(
      `Unknown TTL profile \`${name}\`; ${known.length > 0 ? `known profiles: ${known.join(', ')}` : 'no `ttlProfiles` are configured'}`,
    );
  }
  return ttl;
}
