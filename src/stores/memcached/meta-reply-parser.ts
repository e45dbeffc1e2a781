import { ProtocolError } from '../../errors.js';

/** One reply of the memcached meta protocol (or a classic error line). */
export interface MetaReply {
  /** `VA`, `HD`, `EN`, `NF`, `NS`, `EX`, `MN`, `CLIENT_ERROR` or `SERVER_ERROR`. */
  readonly code: string;
  /** The `O` (opaque) token echoed by the server, or -1 when absent. */
  readonly opaque: number;
  /** The return flags after the code (and after the size of a `VA`), the `O` flag excluded. */
  readonly flags: readonly string[];
  /** The data block of a `VA` reply. */
  readonly value: Buffer | undefined;
  /** The text of an error reply. */
  readonly message: string;
}

/** The longest reply line accepted; a longer one is garbage (meta headers are well under 1 kB). */
const MAX_LINE = 8192;
const CODES = new Set(['VA', 'HD', 'EN', 'NF', 'NS', 'EX', 'MN']);
const NUMBER = /^\d{1,10}$/;

/**
 * A streaming parser of meta-protocol replies: feed it socket chunks in order, it calls `onReply` once per
 * complete reply. Value blocks are read by their announced length, so values containing `\r\nEND\r\n` or
 * anything else that looks like framing are never split. Throws a {@link ProtocolError} on bytes that are
 * not a meta reply (the caller must then discard the connection: the stream position is lost).
 */
export class MetaReplyParser {
  readonly #onReply: (reply: MetaReply) => void;
  #partial: Buffer | undefined;
  #header: { code: string; opaque: number; flags: string[] } | undefined;
  #body: Buffer | undefined;
  #filled = 0;

  constructor(onReply: (reply: MetaReply) => void) {
    this.#onReply = onReply;
  }

  /** True while a reply has been started but not completed (a truncated reply if the stream ends). */
  get midReply(): boolean {
    return this.#partial !== undefined || this.#body !== undefined;
  }

  push(chunk: Buffer): void {
    let data = chunk;
    if (this.#partial !== undefined) {
      data = Buffer.concat([this.#partial, chunk]);
      this.#partial = undefined;
    }
    let pos = 0;
    const end = data.length;
    while (pos < end) {
      if (this.#body !== undefined) {
        const body = this.#body;
        const take = Math.min(body.length - this.#filled, end - pos);
        data.copy(body, this.#filled, pos, pos + take);
        this.#filled += take;
        pos += take;
        if (this.#filled < body.length) return;
        const size = body.length - 2;
        if (body[size] !== 13 || body[size + 1] !== 10) {
          throw new ProtocolError('memcached: a value block is not followed by \\r\\n');
        }
        const header = this.#header!;
        this.#body = undefined;
        this.#header = undefined;
        this.#onReply({ ...header, value: body.subarray(0, size), message: '' });
        continue;
      }
      const nl = data.indexOf(10, pos);
      if (nl < 0) {
        if (end - pos > MAX_LINE) throw new ProtocolError('memcached: reply line too long (garbage?)');
        this.#partial = data.subarray(pos);
        return;
      }
      if (nl === pos || data[nl - 1] !== 13)
        throw new ProtocolError('memcached: reply line not ended by \\r\\n');
      if (nl - pos > MAX_LINE) throw new ProtocolError('memcached: reply line too long (garbage?)');
      const line = data.toString('latin1', pos, nl - 1);
      pos = nl + 1;
      this.#line(line);
    }
  }

  #line(line: string): void {
    const space = line.indexOf(' ');
    const code = space < 0 ? line : line.slice(0, space);
    if (code === 'CLIENT_ERROR' || code === 'SERVER_ERROR') {
      this.#onReply({ code, opaque: -1, flags: [], value: undefined, message: line.slice(code.length + 1) });
      return;
    }
    if (!CODES.has(code)) {
      throw new ProtocolError(`memcached: unexpected reply ${JSON.stringify(line.slice(0, 60))}`);
    }
    const tokens = space < 0 ? [] : line.slice(space + 1).split(' ');
    let size = -1;
    if (code === 'VA') {
      const sizeToken = tokens.shift();
      if (sizeToken === undefined || !NUMBER.test(sizeToken)) {
        throw new ProtocolError(`memcached: bad value size in ${JSON.stringify(line.slice(0, 60))}`);
      }
      size = Number(sizeToken);
    }
    let opaque = -1;
    const flags: string[] = [];
    for (const token of tokens) {
      if (token.length === 0) throw new ProtocolError(`memcached: malformed reply ${JSON.stringify(line)}`);
      if (token.charCodeAt(0) === 79 /* O */) {
        if (!NUMBER.test(token.slice(1)))
          throw new ProtocolError(`memcached: bad opaque in ${JSON.stringify(line)}`);
        opaque = Number(token.slice(1));
      } else {
        flags.push(token);
      }
    }
    if (size < 0) {
      this.#onReply({ code, opaque, flags, value: undefined, message: '' });
      return;
    }
    this.#header = { code, opaque, flags };
    this.#body = Buffer.allocUnsafe(size + 2);
    this.#filled = 0;
  }
}
