/** Turns values into bytes for remote tiers and back. */
export interface Serializer {
  /** A short name, for error messages. */
  readonly name: string;
  /** Encodes a value; throws {@link SerializationError} for values it cannot represent. */
  serialize(value: unknown): Uint8Array;
  /** Decodes bytes written by `serialize`; throws {@link DeserializationError} on anything else. */
  deserialize(bytes: Uint8Array): unknown;
  /**
   * Throws what `serialize` would throw, without producing bytes (used when no tier needs them). When
   * absent, `serialize` is called and its result dropped.
   */
  check?(value: unknown): void;
}

/** Checks the shape of a user-supplied serializer. */
export function isSerializer(value: unknown): value is Serializer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Serializer).serialize === 'function' &&
    typeof (value as Serializer).deserialize === 'function'
  );
}
