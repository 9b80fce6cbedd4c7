// SPDX-License-Identifier: GPL-2.0-only
/**
 * Text built straight into a reused UTF-8 byte buffer, counting its newlines as it goes.
 * `report access` prints, and damo's JSON writer writes, tens of MB of short pieces;
 * joined as JS strings they made ropes to flatten, copies to encode and most of the run's
 * garbage collection.
 */
import { compiledOr, coveringWords } from './generated_code.js';

/** ASCII text encoded once, for TextBytes.putConst(). */
export interface ConstText {
  readonly bytes: Uint8Array;
  readonly newlines: number;
  /** Writes the bytes at p (room checked by the caller). */
  readonly write: (view: DataView, buf: Uint8Array, p: number) => void;
}

export function constText(text: string): ConstText {
  const bytes = Buffer.from(text, 'latin1');
  let newlines = 0;
  for (const b of bytes) if (b === 10) newlines++;
  return { bytes, newlines, write: constWriter(bytes) };
}

/**
 * A function that writes `bytes` with their covering 8-byte words as immediates
 * (coveringWords()): the JSON writer puts ~10 constants per region, and a TypedArray set()
 * call each cost more than the bytes. Text with a byte of 0x7f or above is copied.
 */
function constWriter(bytes: Uint8Array): ConstText['write'] {
  const len = bytes.length;
  if (bytes.some((b) => b >= 0x7f)) return (_view, buf, p) => buf.set(bytes, p);
  const stores: string[] = [];
  if (len >= 8) for (const [at, word] of coveringWords(bytes)) stores.push(`view.setFloat64(p + ${at}, ${String(word)}, true);`);
  else for (let i = 0; i < len; i++) stores.push(`buf[p + ${i}] = ${bytes[i] as number};`);
  // The code is made from our own constants only.
  return compiledOr(['view', 'buf', 'p'], stores.join('\n'), (_view: DataView, buf: Uint8Array, p: number): void => buf.set(bytes, p));
}

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Buffers given back beyond these are left to the garbage collector. */
const MAX_SPARES = 8;

/** The three ASCII digits of 0-999, zero-padded, at 3 * n. */
const DIGIT_TRIPLES = ((): Uint8Array => {
  const t = new Uint8Array(3000);
  for (let n = 0; n < 1000; n++) {
    t[3 * n] = 0x30 + Math.floor(n / 100);
    t[3 * n + 1] = 0x30 + (Math.floor(n / 10) % 10);
    t[3 * n + 2] = 0x30 + (n % 10);
  }
  return t;
})();

/** Two lower-case hex digits of each byte value, as the 16-bit word that stores them (little-endian). */
const HEX_PAIR_WORDS = ((): Uint16Array => {
  const digits = '0123456789abcdef';
  const t = new Uint16Array(256);
  for (let v = 0; v < 256; v++) t[v] = digits.charCodeAt(v >>> 4) | (digits.charCodeAt(v & 15) << 8);
  return t;
})();

/**
 * Four hex digits of every 16-bit value as one little-endian word: an address in three
 * stores instead of six. The table (256 KiB) takes about 2 ms to build before V8 optimizes
 * the loop, so it is built only once HEX_QUADS_AFTER addresses were written two digits a
 * store: a small recording never pays for it.
 */
let hexQuadWords: Uint32Array | null = null;
const HEX_QUADS_AFTER = 1 << 16;
let nrHexWritten = 0;

function buildHexQuads(): void {
  const t = new Uint32Array(65536);
  for (let hi = 0, i = 0; hi < 256; hi++) {
    const first = HEX_PAIR_WORDS[hi] as number;
    for (let lo = 0; lo < 256; lo++) t[i++] = first | ((HEX_PAIR_WORDS[lo] as number) << 16);
  }
  hexQuadWords = t;
}

/** Four spaces as one 32-bit word. */
const FOUR_SPACES = 0x20202020;

/** Whether putHex12At() writes n: an integer in [0, 2^48). */
export function fitsHex12(n: number): boolean {
  return n >= 0 && n < 2 ** 48 && Number.isInteger(n);
}

/**
 * Writes n (fitsHex12) as 12 lower-case hex digits at p of the bytes `view` covers; returns
 * the end. Four or two digits per store: a store of one byte at a time was a tenth of
 * `report raw`.
 */
export function putHex12At(view: DataView, p: number, n: number): number {
  const quads = hexQuadWords;
  if (quads === null) {
    if (++nrHexWritten > HEX_QUADS_AFTER) buildHexQuads();
    return putHex12ByPairs(view, p, n);
  }
  const hi = Math.floor(n / 2 ** 32);
  const lo = n - hi * 2 ** 32;
  view.setUint32(p, quads[hi] as number, true);
  view.setUint32(p + 4, quads[lo >>> 16] as number, true);
  view.setUint32(p + 8, quads[lo & 0xffff] as number, true);
  return p + 12;
}

function putHex12ByPairs(view: DataView, p: number, n: number): number {
  const hi = Math.floor(n / 2 ** 24);
  const lo = n - hi * 2 ** 24;
  view.setUint16(p, HEX_PAIR_WORDS[hi >>> 16] as number, true);
  view.setUint16(p + 2, HEX_PAIR_WORDS[(hi >>> 8) & 255] as number, true);
  view.setUint16(p + 4, HEX_PAIR_WORDS[hi & 255] as number, true);
  view.setUint16(p + 6, HEX_PAIR_WORDS[lo >>> 16] as number, true);
  view.setUint16(p + 8, HEX_PAIR_WORDS[(lo >>> 8) & 255] as number, true);
  view.setUint16(p + 10, HEX_PAIR_WORDS[lo & 255] as number, true);
  return p + 12;
}

/** Whether putSmallIntAt() writes x: an integer of at most 9 digits, either sign. */
export function fitsSmallInt(x: number): boolean {
  return Number.isInteger(x) && x > -1e9 && x < 1e9;
}

/**
 * Writes x (fitsSmallInt) in decimal at p with spaces before it up to `width` characters
 * (Python's `'%{width}d'`); returns the end. `view` covers the same bytes as `b`. Room:
 * max(width, 10) bytes.
 */
export function putSmallIntAt(b: Uint8Array, view: DataView, p: number, x: number, width: number): number {
  if (x >= 0 && x < 1000) {
    // Most counts and ages: no divisions, and the padding four spaces a store.
    const digits = x >= 100 ? 3 : x >= 10 ? 2 : 1;
    let pad = width - digits;
    for (; pad >= 4; pad -= 4, p += 4) view.setUint32(p, FOUR_SPACES);
    for (; pad > 0; pad--) b[p++] = 32;
    const d = x * 3;
    if (digits === 3) b[p++] = DIGIT_TRIPLES[d] as number;
    if (digits >= 2) b[p++] = DIGIT_TRIPLES[d + 1] as number;
    b[p++] = DIGIT_TRIPLES[d + 2] as number;
    return p;
  }
  const neg = x < 0;
  let v = neg ? -x : x;
  const hi = Math.floor(v / 1e6);
  v -= hi * 1e6;
  const mid = Math.floor(v / 1e3);
  const lo = v - mid * 1e3;
  const lead = hi > 0 ? hi : mid > 0 ? mid : lo;
  const nrGroups = hi > 0 ? 2 : mid > 0 ? 1 : 0;
  const digits = 3 * nrGroups + (lead >= 100 ? 3 : lead >= 10 ? 2 : 1) + (neg ? 1 : 0);
  for (let pad = width - digits; pad > 0; pad--) b[p++] = 32;
  if (neg) b[p++] = 0x2d;
  let d = lead * 3;
  if (lead >= 100) b[p++] = DIGIT_TRIPLES[d] as number;
  if (lead >= 10) b[p++] = DIGIT_TRIPLES[d + 1] as number;
  b[p++] = DIGIT_TRIPLES[d + 2] as number;
  if (nrGroups === 2) {
    d = mid * 3;
    b[p++] = DIGIT_TRIPLES[d] as number;
    b[p++] = DIGIT_TRIPLES[d + 1] as number;
    b[p++] = DIGIT_TRIPLES[d + 2] as number;
  }
  if (nrGroups >= 1) {
    d = lo * 3;
    b[p++] = DIGIT_TRIPLES[d] as number;
    b[p++] = DIGIT_TRIPLES[d + 1] as number;
    b[p++] = DIGIT_TRIPLES[d + 2] as number;
  }
  return p;
}

export class TextBytes {
  private buf: Buffer;
  private pos = 0;
  /** Newlines written so far, over every chunk taken. */
  newlines = 0;

  constructor(capacity = 1 << 21) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.view = viewOf(this.buf);
  }

  /** The same bytes as buf, for constants written a word at a time. */
  private view: DataView;

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    this.view = viewOf(bigger);
  }

  /** Appends `s` as UTF-8; one-byte text (all of a report's numbers and words) byte by byte. */
  put(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.pos = p;
        this.putUtf8(s.slice(i));
        return;
      }
      if (c === 10) this.newlines++;
      b[p++] = c;
    }
    this.pos = p;
  }

  private putUtf8(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    for (let at = s.indexOf('\n'); at >= 0; at = s.indexOf('\n', at + 1)) this.newlines++;
  }

  /**
   * Appends literals[0], values[0] padded with spaces to widths[0], literals[1], ... up to
   * the last literal (one more than values); `literalChars` is the literals' total length.
   * One capacity check for the lot: a report line made of short pieces costs little more
   * than its bytes.
   */
  putJoined(literals: readonly string[], literalChars: number, values: readonly string[], widths: readonly number[]): void {
    const n = values.length;
    let room = literalChars;
    for (let i = 0; i < n; i++) {
      const len = (values[i] as string).length;
      const width = widths[i] as number;
      room += len > width ? len : width;
    }
    this.ensure(room);
    const b = this.buf;
    let p = this.pos;
    let newlines = 0;
    for (let k = 0; ; k++) {
      const lit = literals[k] as string;
      for (let j = 0; j < lit.length; j++) {
        const c = lit.charCodeAt(j);
        if (c >= 0x80) return this.putJoinedSlowly(literals, values, widths);
        if (c === 10) newlines++;
        b[p++] = c;
      }
      if (k === n) break;
      const v = values[k] as string;
      for (let j = 0; j < v.length; j++) {
        const c = v.charCodeAt(j);
        if (c >= 0x80) return this.putJoinedSlowly(literals, values, widths);
        if (c === 10) newlines++;
        b[p++] = c;
      }
      for (let pad = (widths[k] as number) - v.length; pad > 0; pad--) b[p++] = 32;
    }
    this.pos = p;
    this.newlines += newlines;
  }

  /** putJoined for text that is not all one-byte: piece by piece, nothing written yet. */
  private putJoinedSlowly(literals: readonly string[], values: readonly string[], widths: readonly number[]): void {
    for (let k = 0; k < values.length; k++) {
      this.put(literals[k] as string);
      const v = values[k] as string;
      this.put(v);
      if (v.length < (widths[k] as number)) this.spaces((widths[k] as number) - v.length);
    }
    this.put(literals[values.length] as string);
  }

  /** Appends text encoded by constText(). */
  putConst(c: ConstText): void {
    const n = c.bytes.length;
    this.ensure(n);
    c.write(this.view, this.buf, this.pos);
    this.pos += n;
    this.newlines += c.newlines;
  }

  /**
   * Appends a non-negative safe integer with ',' between groups of three digits (damo's
   * `format_nr` of a number that is not raw: "94,827,419,009,024"); other numbers as
   * `fallback` words them. Three digits at a time from a table: a digit at a time (a
   * division each) was most of what writing a region's addresses cost.
   */
  putGroupedInt(x: number, fallback: (x: number) => string): void {
    if (!Number.isSafeInteger(x) || x < 0) {
      this.put(fallback(x));
      return;
    }
    this.ensure(24);
    const p = this.putLeadingGroup(x);
    this.pos = this.putGroups(p, 0x2c);
  }

  /** Appends a safe integer in decimal (Python's `str(int)`); other numbers as `fallback` words them. */
  putInt(x: number, fallback: (x: number) => string): void {
    if (!Number.isSafeInteger(x)) {
      this.put(fallback(x));
      return;
    }
    this.ensure(24);
    if (x < 0) {
      this.buf[this.pos++] = 0x2d;
      x = -x;
    }
    const p = this.putLeadingGroup(x);
    this.pos = this.putGroups(p, -1);
  }

  /**
   * Appends Python's `'%{width}d' % x`: the integer part of x in decimal, spaces before it up
   * to `width` characters; numbers that are not safe integers after truncation as
   * `fallback` words them, padded the same way.
   */
  putPaddedInt(x: number, width: number, fallback: (x: number) => string): void {
    const t = Math.trunc(x);
    if (!Number.isSafeInteger(t)) {
      const s = fallback(x);
      if (s.length < width) this.spaces(width - s.length);
      this.put(s);
      return;
    }
    this.ensure(24 + width);
    const neg = t < 0;
    const lead = this.splitGroups(neg ? -t : t);
    const digits = 3 * this.nrGroups + (lead >= 100 ? 3 : lead >= 10 ? 2 : 1) + (neg ? 1 : 0);
    const b = this.buf;
    let p = this.pos;
    for (let pad = width - digits; pad > 0; pad--) b[p++] = 32;
    if (neg) b[p++] = 0x2d;
    this.pos = this.putGroups(this.putLead(p, lead), -1);
  }

  /**
   * Appends a non-negative integer in lower-case hex with zeros before it up to 12 digits
   * (Python's `'%012x'`, damo's region addresses). Below 2^48 from a byte table: toString(16)
   * and padding were a fifth of `report raw`'s time; larger numbers through toString(16).
   */
  putHex12(n: number): void {
    if (!fitsHex12(n)) {
      const h = n.toString(16);
      if (h.length < 12) this.put('0'.repeat(12 - h.length));
      this.put(h);
      return;
    }
    this.ensure(12);
    this.pos = putHex12At(this.view, this.pos, n);
  }

  /**
   * The buffer, with room for `n` bytes from `length` on, for a writer that fills a whole
   * line straight into it (the ...At() functions below) and then calls advanceTo(): one
   * capacity check a line instead of one per piece. Valid until the next write.
   */
  roomFor(n: number): Uint8Array {
    this.ensure(n);
    return this.buf;
  }

  /** A DataView of the buffer roomFor() returned, for word stores; valid as long as it is. */
  roomView(): DataView {
    return this.view;
  }

  /** Ends the text at `end` after bytes written into roomFor()'s buffer, `newlines` of them newlines. */
  advanceTo(end: number, newlines: number): void {
    if (end < this.pos || end > this.buf.length) throw new RangeError(`TextBytes.advanceTo(${end}): outside ${this.pos}..${this.buf.length}`);
    this.pos = end;
    this.newlines += newlines;
  }

  /** Appends bytes that hold no newline (the caller knows). */
  putBytes(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = bytes[i] as number;
    this.pos = p;
  }

  /** Takes back the last byte written since the last reset (its newline, if it was one). */
  dropLastByte(): void {
    if (this.pos === 0) throw new RangeError('TextBytes.dropLastByte: nothing written since the last reset');
    this.pos--;
    if (this.buf[this.pos] === 10) this.newlines--;
  }

  /** Groups of three digits below the leading one, least significant first (splitGroups fills it). */
  private readonly groups = new Int32Array(6);
  private nrGroups = 0;

  /** Splits x into groups of three digits below its leading group, which it returns. */
  private splitGroups(x: number): number {
    const groups = this.groups;
    let n = 0;
    let lead = x;
    while (lead >= 1000) {
      const q = Math.floor(lead / 1000);
      groups[n++] = lead - q * 1000;
      lead = q;
    }
    this.nrGroups = n;
    return lead;
  }

  /** Writes a leading group (0-999) unpadded at p; returns where it ended. */
  private putLead(p: number, lead: number): number {
    const b = this.buf;
    const d = lead * 3;
    if (lead >= 100) b[p++] = DIGIT_TRIPLES[d] as number;
    if (lead >= 10) b[p++] = DIGIT_TRIPLES[d + 1] as number;
    b[p++] = DIGIT_TRIPLES[d + 2] as number;
    return p;
  }

  /** Splits x into groups of three digits and writes the leading one, unpadded; returns where it ended. */
  private putLeadingGroup(x: number): number {
    return this.putLead(this.pos, this.splitGroups(x));
  }

  /** Writes the groups putLeadingGroup() split off, zero-padded, each after `separator` (-1: none). */
  private putGroups(p: number, separator: number): number {
    const b = this.buf;
    const groups = this.groups;
    for (let n = this.nrGroups; n > 0; ) {
      const d = (groups[--n] as number) * 3;
      if (separator >= 0) b[p++] = separator;
      b[p++] = DIGIT_TRIPLES[d] as number;
      b[p++] = DIGIT_TRIPLES[d + 1] as number;
      b[p++] = DIGIT_TRIPLES[d + 2] as number;
    }
    return p;
  }

  spaces(n: number): void {
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (const end = p + n; p < end; p++) b[p] = 32;
    this.pos = p;
  }

  /** The bytes written since the last reset; valid until the next write. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * Hands the bytes written since the last reset over for good (a writer may hold them while
   * it works) and goes on in a spare buffer: no copy, and with giveBack() no fresh pages.
   */
  takeBytes(): Buffer {
    const taken = this.buf.subarray(0, this.pos);
    this.buf = this.spares.pop() ?? Buffer.allocUnsafe(this.buf.length);
    this.view = viewOf(this.buf);
    this.pos = 0;
    return taken;
  }

  /** Takes a buffer from takeBytes() back once whoever held it is done with it. */
  giveBack(taken: Buffer): void {
    if (taken.byteOffset === 0 && taken.buffer.byteLength === this.buf.length && this.spares.length < MAX_SPARES) {
      this.spares.push(Buffer.from(taken.buffer));
    }
  }

  private readonly spares: Buffer[] = [];

  /** Starts the buffer over (the newline count goes on). */
  reset(): void {
    this.pos = 0;
  }
}
