import { decodeEnvelope } from '../internal/envelope.js';
import type { Serializer } from '../serializer/serializer.js';

/** What `stratacache inspect` prints about a stored entry (never its value). */
export interface EntryReport {
  key: string;
  /** Envelope size in bytes, and the value payload within it. */
  bytes: number;
  valueBytes: number;
  state: 'fresh' | 'stale' | 'expired';
  createdAt: string;
  expiresAt: string | null;
  staleUntil: string | null;
  /** Measured load time δ (XFetch), in ms. */
  loadMs: number;
  slidingMs: number;
  tags: readonly string[];
  version: string | null;
}

/** Keeps the payload as bytes, so entries written with any serializer can be inspected. */
const rawBytes = {
  name: 'raw',
  serialize: (v: unknown) => v as Uint8Array,
  deserialize: (b: Uint8Array) => b,
} as unknown as Serializer;

const iso = (ms: number): string | null => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);

/** Decodes an envelope without its value; throws `DeserializationError` for bytes that are not one. */
export function decodeEntry(
  key: string,
  bytes: Uint8Array,
  now: number,
): { report: EntryReport; payload: Uint8Array } {
  const e = decodeEnvelope(bytes, rawBytes);
  const payload = e.value as Uint8Array;
  return {
    payload,
    report: {
      key,
      bytes: bytes.byteLength,
      valueBytes: payload.byteLength,
      state: now < e.expiresAt ? 'fresh' : now < e.staleUntil ? 'stale' : 'expired',
      createdAt: new Date(e.createdAt).toISOString(),
      expiresAt: iso(e.expiresAt),
      staleUntil: iso(e.staleUntil),
      loadMs: e.delta,
      slidingMs: e.sliding,
      tags: e.tags ?? [],
      version: e.version ?? null,
    },
  };
}
