/**
 * Redis Cluster key slots: CRC16 (XMODEM) of the key's hashed part, modulo 16384.
 *
 * The hashed part is the content of the first `{...}` in the key when it is non-empty, else the whole key
 * (the rule of the Redis Cluster specification), computed over the key's UTF-8 bytes.
 */

/** The number of hash slots of a Redis Cluster. */
export const SLOT_COUNT = 16_384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

const OPEN = 0x7b;
const CLOSE = 0x7d;

/** The cluster slot of `key`. */
export function keySlot(key: string | Uint8Array): number {
  if (typeof key === 'string') {
    const slot = asciiSlot(key);
    if (slot >= 0) return slot;
  }
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(OPEN);
  if (open >= 0) {
    const close = bytes.indexOf(CLOSE, open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  return crc16(bytes, start, end) % SLOT_COUNT;
}

/**
 * The slot of an ASCII `key` read from its characters (they are its UTF-8 bytes), or -1 when it is not
 * ASCII: the hot path of per-node breakers allocates no buffer.
 */
function asciiSlot(key: string): number {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return -1;
  let start = 0;
  let end = key.length;
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ key.charCodeAt(i)) & 0xff]!;
  return crc % SLOT_COUNT;
}

let tags: string[] | undefined;

/**
 * A short ASCII tag whose slot is `slot`: `{tag}` placed in a key pins it to that slot whatever the rest
 * of the key holds (a key's own braces may make wrapping it in `{...}` land elsewhere).
 */
export function tagForSlot(slot: number): string {
  if (tags === undefined) {
    const found: string[] = new Array(SLOT_COUNT);
    let missing = SLOT_COUNT;
    for (let i = 0; missing > 0; i++) {
      const tag = i.toString(36);
      const s = keySlot(tag);
      if (found[s] === undefined) {
        found[s] = tag;
        missing--;
      }
    }
    tags = found;
  }
  return tags[slot]!;
}

/** Groups `items` by the slot of their key, keeping each item's original index. */
export function groupBySlot<T>(
  items: readonly T[],
  keyOf: (item: T) => string | Uint8Array,
): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < items.length; i++) {
    const slot = keySlot(keyOf(items[i]!));
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [i]);
    else group.push(i);
  }
  return groups;
}
