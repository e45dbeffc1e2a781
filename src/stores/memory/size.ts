/**
 * A structural estimate of a value's heap size in bytes, used when a byte bound is set without `sizeOf`.
 *
 * Strings count 2 bytes per UTF-16 unit plus a header, numbers 8, booleans 4, objects and arrays a header
 * plus their members (keys included), typed arrays their byte length. The walk stops at depth 16 and
 * counts shared objects once, so it is bounded on cycles.
 */
export function estimateSize(value: unknown): number {
  return walk(value, 0, new Set());
}

const HEADER = 16;

function walk(value: unknown, depth: number, seen: Set<object>): number {
  switch (typeof value) {
    case 'string':
      return HEADER + value.length * 2;
    case 'number':
      return 8;
    case 'boolean':
      return 4;
    case 'bigint':
      return 16;
    case 'undefined':
    case 'symbol':
    case 'function':
      return 8;
  }
  if (value === null) return 8;
  const obj = value as object;
  if (ArrayBuffer.isView(obj)) return HEADER + obj.byteLength;
  if (obj instanceof ArrayBuffer) return HEADER + obj.byteLength;
  if (seen.has(obj) || depth >= 16) return 8;
  seen.add(obj);
  let total = HEADER;
  if (Array.isArray(obj)) {
    for (const item of obj) total += 8 + walk(item, depth + 1, seen);
    return total;
  }
  if (obj instanceof Map) {
    for (const [k, v] of obj) total += 16 + walk(k, depth + 1, seen) + walk(v, depth + 1, seen);
    return total;
  }
  for (const key in obj) {
    total += 8 + key.length * 2 + walk((obj as Record<string, unknown>)[key], depth + 1, seen);
  }
  return total;
}
