// SPDX-License-Identifier: GPL-2.0-only
/**
 * An incremental JSON tokenizer over UTF-8 bytes, for large documents that arrive in chunks
 * (damo's record files: format/damo/json_reader.ts) and for whole small ones (scheme files:
 * schemes/jsonpos.ts, which gives the whole text as one final buffer). A subclass drives it with step(), one
 * piece of its own state machine at a time, and reads values with the methods here; a value
 * cut by a chunk boundary throws NEED_MORE inside, and the step is retried from where it
 * began once the next chunk came (only the cut value is copied, into a small bridge).
 *
 * Every smaller value is parsed atomically: strings, numbers (kept as their text, so
 * integers beyond 2^53 stay exact), literals, and whole objects and lists as a JSON tree.
 * Errors are JsonShapeError with the byte offset in the whole text.
 */

/** Thrown inside the tokenizer when a value runs past the bytes received so far. */
export const NEED_MORE = { needMore: true } as const;

export class JsonShapeError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

// ASCII codes (module constants: the hot loops compare against literals).
const C_QUOTE = 0x22;
const C_COMMA = 0x2c;
const C_COLON = 0x3a;
const C_LBRACKET = 0x5b;
const C_RBRACKET = 0x5d;
const C_LBRACE = 0x7b;
const C_RBRACE = 0x7d;
const C_BACKSLASH = 0x5c;
const C_MINUS = 0x2d;

/** Bytes of the next chunk joined to a value cut at a chunk boundary. */
const BRIDGE_BYTES = 64 * 1024;

/** Little-endian u32 of the first four bytes of `text` (shorter texts are zero-padded). */
export function u32(text: string): number {
  let v = 0;
  for (let i = 0; i < 4 && i < text.length; i++) v |= text.charCodeAt(i) << (8 * i);
  return v >>> 0;
}

const W_NULL = u32('null');

/** Eight ASCII spaces read as one double. */
const SPACES8 = new Float64Array(new Uint8Array(8).fill(0x20).buffer)[0] as number;

/** A number token kept as its text, so integers beyond 2^53 can become exact bigints. */
export class NumText {
  constructor(readonly text: string) {}
}

export type Json = null | boolean | string | NumText | Json[] | { [k: string]: Json };

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Decodes bytes [s, e); views of shared memory are copied first (TextDecoder refuses them). */
export function decodeRange(b: Uint8Array, s: number, e: number): string {
  return textDecoder.decode(b.buffer instanceof SharedArrayBuffer ? b.slice(s, e) : b.subarray(s, e));
}

/** Whether the bytes at `s` spell `key` (ASCII). */
export function keyEquals(b: Uint8Array, s: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (b[s + i] !== key.charCodeAt(i)) return false;
  return true;
}

export abstract class JsonTokenizer {
  protected buf: Uint8Array = new Uint8Array(0);
  protected pos = 0;
  protected end = 0;
  /** Offset of buf[0] in the whole JSON text, for error messages. */
  protected base = 0;
  protected final = false;

  /** One step of the subclass's state machine; false when it must wait for input. */
  protected abstract step(): boolean;

  /** Feeds the next chunk of JSON text. */
  feed(chunk: Uint8Array): void {
    // One kind of array for every buffer the hot loops read: Node's Buffers (zlib's and
    // fs's chunks) next to the plain Uint8Arrays of the joins below made them polymorphic.
    if (chunk.constructor !== Uint8Array) chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pos >= this.end) {
      this.base += this.end;
      this.setBuffer(chunk, 0);
      this.run();
      return;
    }
    // A value straddles the chunk boundary. Parse across it in a small joined buffer, then
    // go on in the chunk itself, so the bulk of the data is never copied.
    const rest = this.end - this.pos;
    const bridgeLen = Math.min(chunk.length, BRIDGE_BYTES);
    const joined = this.bridgeOf(rest + bridgeLen);
    // When the rest is in the bridge itself it moves to the front (set() copies as memmove).
    joined.set(this.buf.subarray(this.pos, this.end), 0);
    joined.set(chunk.subarray(0, bridgeLen), rest);
    this.base += this.pos;
    this.setBuffer(joined, 0);
    this.run();
    if (bridgeLen === chunk.length) return;
    if (this.pos >= rest) {
      this.base += rest;
      this.setBuffer(chunk, this.pos - rest);
      this.run();
      return;
    }
    // One value is longer than the bridge: join the rest of the chunk as well.
    const left = this.end - this.pos;
    const all = new Uint8Array(left + chunk.length - bridgeLen);
    all.set(joined.subarray(this.pos), 0);
    all.set(chunk.subarray(bridgeLen), left);
    this.base += this.pos;
    this.setBuffer(all, 0);
    this.run();
  }

  /**
   * The joined buffer of feed(), reused from chunk to chunk: a new one per chunk was a
   * zero-filled 64 KiB allocation every 1 MiB of JSON (4,400 on damo's test recording
   * x1000), much of it fresh memory for the kernel to fault in (docs/PERFORMANCE.md, "Fresh
   * memory"). Nothing keeps a view of the tokenizer's buffer past the next feed().
   */
  private bridge = new Uint8Array(0);

  private bridgeOf(bytes: number): Uint8Array {
    if (this.bridge.length < bytes) {
      const bigger = new Uint8Array(Math.max(bytes, this.bridge.length * 2));
      // The rest to join may be in the old bridge: it is copied from there by the caller.
      this.bridge = bigger;
    }
    return this.bridge.subarray(0, bytes);
  }

  protected setBuffer(b: Uint8Array, pos: number): void {
    this.buf = b;
    this.pos = pos;
    this.end = b.length;
    this.setWords();
  }

  /** Marks the end of input and runs what is left; the subclass then checks it is complete. */
  protected endInput(): void {
    this.final = true;
    this.run();
    this.skipWs();
  }

  protected err(message: string, at = this.pos): JsonShapeError {
    return new JsonShapeError(message, this.base + at);
  }

  protected run(): void {
    for (;;) {
      const mark = this.pos;
      try {
        if (!this.step()) return;
      } catch (e) {
        if (e === NEED_MORE) {
          if (this.final) throw this.err('the JSON text ends in the middle of a value (truncated file?)', mark);
          // Retry from the step's start, past the whitespace before it: whitespace between
          // tokens means nothing, and keeping it would carry it into every later join
          // (a run of N whitespace bytes across chunks cost O(N^2) copying: issue 14 item 6).
          this.pos = mark;
          this.skipWs();
          return;
        }
        throw e;
      }
    }
  }

  protected skipWs(): void {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    while (p < end) {
      const c = b[p] as number;
      if (c === 0x20) {
        // damo indents with long runs of spaces: compare eight bytes at a time.
        const dv = this.view;
        const last = end - 8;
        while (p <= last && dv.getFloat64(p, true) === SPACES8) p += 8;
        while (p < end && b[p] === 0x20) p++;
      } else if (c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  /** Sets the DataView that skipWs() reads eight bytes at a time through. */
  protected setWords(): void {
    const b = this.buf;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  protected view: DataView = new DataView(new ArrayBuffer(0));

  /** Next significant byte without consuming it. */
  protected peek(): number {
    this.skipWs();
    if (this.pos >= this.end) throw NEED_MORE;
    return this.buf[this.pos] as number;
  }

  protected expect(c: number, what: string): void {
    if (this.peek() !== c) throw this.err(`expected ${what}`);
    this.pos++;
  }

  /** Consumes ',' (false) or the closing byte (true). */
  protected closeOrComma(close: number, what: string): boolean {
    const c = this.peek();
    this.pos++;
    if (c === C_COMMA) return false;
    if (c === close) return true;
    throw this.err(`expected ',' or '${String.fromCharCode(close)}' in ${what}`, this.pos - 1);
  }

  /**
   * A value that is a plain non-negative integer of at most 15 digits, quoted or not, read
   * from the bytes; -1 (nothing consumed) for anything else.
   */
  protected plainInteger(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    const quoted = b[p] === C_QUOTE;
    if (quoted) p++;
    const s = p;
    let v = 0;
    for (; p < end; p++) {
      const d = b[p] as number;
      if (d >= 0x30 && d <= 0x39) v = v * 10 + (d - 0x30);
      else break;
    }
    if (p >= end || p === s || p - s > 15) return -1;
    const d = b[p] as number;
    if (quoted) {
      if (d !== C_QUOTE) return -1;
      p++;
    } else if (d === 0x2e || d === 0x65 || d === 0x45) return -1;
    this.pos = p;
    return v;
  }

  /** A quoted count like "1,234" read from the bytes; -1 (nothing consumed) otherwise. */
  protected quotedCount(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos + 1;
    let v = 0;
    let digits = 0;
    for (; p < end; p++) {
      const d = b[p] as number;
      if (d >= 0x30 && d <= 0x39) {
        v = v * 10 + (d - 0x30);
        digits++;
      } else if (d !== C_COMMA) break;
    }
    if (p >= end) throw NEED_MORE;
    if (digits === 0 || digits > 15 || b[p] !== C_QUOTE) return -1;
    this.pos = p + 1;
    return v;
  }

  protected parseKey(): string {
    const key = this.parseKeyString();
    this.expect(C_COLON, "':' after a key");
    return key;
  }

  protected parseKeyString(): string {
    if (this.peek() !== C_QUOTE) throw this.err('expected a quoted key');
    return this.parseString();
  }

  /** A JSON string at pos (which holds the opening quote). */
  protected parseString(): string {
    const b = this.buf;
    const end = this.end;
    const s = this.pos + 1;
    let p = s;
    let hasEscape = false;
    for (;;) {
      if (p >= end) throw NEED_MORE;
      const c = b[p] as number;
      if (c === C_QUOTE) break;
      if (c === C_BACKSLASH) {
        hasEscape = true;
        p += 2;
        continue;
      }
      if (c < 0x20) throw this.err('control character inside a string', p);
      p++;
    }
    this.pos = p + 1;
    if (!hasEscape) return decodeRange(b, s, p);
    try {
      return JSON.parse(decodeRange(b, s - 1, p + 1)) as string;
    } catch {
      throw this.err('invalid escape in a string', s);
    }
  }

  protected parseNumberText(): string {
    const b = this.buf;
    const end = this.end;
    const s = this.pos;
    let p = s;
    while (p < end) {
      const c = b[p] as number;
      if ((c >= 0x30 && c <= 0x39) || c === C_MINUS || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45) p++;
      else break;
    }
    // A number may run on into the next chunk; only the end of all input ends it.
    if (p >= end && !this.final) throw NEED_MORE;
    const text = decodeRange(b, s, p);
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) throw this.err(`invalid number '${text}'`, s);
    this.pos = p;
    return text;
  }

  protected parseLiteral(): null | boolean {
    const b = this.buf;
    const p = this.pos;
    if (p + 4 <= this.end && this.view.getUint32(p, true) === W_NULL) {
      this.pos = p + 4;
      return null;
    }
    const c = b[p];
    const word = c === 0x6e ? 'null' : c === 0x74 ? 'true' : c === 0x66 ? 'false' : undefined;
    if (word === undefined) throw this.err('expected a JSON value');
    if (p + word.length > this.end) {
      // Compare what we have so a wrong word fails now instead of waiting.
      for (let i = 0; p + i < this.end; i++) if (b[p + i] !== word.charCodeAt(i)) throw this.err('expected a JSON value');
      throw NEED_MORE;
    }
    for (let i = 0; i < word.length; i++) if (b[p + i] !== word.charCodeAt(i)) throw this.err('expected a JSON value');
    this.pos = p + word.length;
    return word === 'null' ? null : word === 'true';
  }

  protected depth = 0;

  protected parseValue(): Json {
    const c = this.peek();
    if (c === C_QUOTE) return this.parseString();
    if ((c >= 0x30 && c <= 0x39) || c === C_MINUS) return new NumText(this.parseNumberText());
    if (c === C_LBRACE || c === C_LBRACKET) {
      if (++this.depth > 256) throw this.err('JSON nested too deeply');
      try {
        this.pos++;
        if (c === C_LBRACKET) {
          const arr: Json[] = [];
          if (this.peek() === C_RBRACKET) {
            this.pos++;
            return arr;
          }
          for (;;) {
            arr.push(this.parseValue());
            if (this.closeOrComma(C_RBRACKET, 'a list')) return arr;
          }
        }
        const obj: { [k: string]: Json } = {};
        if (this.peek() === C_RBRACE) {
          this.pos++;
          return obj;
        }
        for (;;) {
          const k = this.parseKey();
          obj[k] = this.parseValue();
          if (this.closeOrComma(C_RBRACE, 'an object')) return obj;
        }
      } finally {
        this.depth--;
      }
    }
    return this.parseLiteral();
  }

  protected skipValue(): void {
    // "probe_hits": [] in every region of damo 3.x files.
    if (this.peek() === C_LBRACKET) {
      const save = this.pos;
      this.pos++;
      if (this.peek() === C_RBRACKET) {
        this.pos++;
        return;
      }
      this.pos = save;
    }
    this.parseValue();
  }
}
