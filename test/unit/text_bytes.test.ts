// SPDX-License-Identifier: GPL-2.0-only
// The byte buffer `report access` builds its text in: UTF-8 bytes, padded lines, newline count, growth.
import { describe, expect, it } from 'vitest';

import { formatNr, pyInt } from '../../src/core/fmt.js';
import { constText, fitsHex12, fitsSmallInt, putHex12At, putSmallIntAt, TextBytes } from '../../src/core/text_bytes.js';

const text = (t: TextBytes): string => Buffer.from(t.bytes()).toString('utf8');

describe('TextBytes', () => {
  it('writes one-byte and other text as UTF-8 and counts newlines in both', () => {
    const t = new TextBytes(4);
    t.put('a\nb');
    t.put(' réd\n✓\n');
    t.spaces(2);
    expect(text(t)).toBe('a\nb réd\n✓\n  ');
    expect(t.newlines).toBe(3);
    expect(t.length).toBe(Buffer.byteLength('a\nb réd\n✓\n  '));
  });

  it('joins literals and values padded to their widths, as the padded concatenation would', () => {
    const t = new TextBytes(8);
    t.putJoined(['\n', ' addr ', ' size ', ''], 13, ['0', '85.332 TiB', '1.215 MiB'], [3, 12, 4]);
    expect(text(t)).toBe('\n0   addr 85.332 TiB   size 1.215 MiB');
    expect(t.newlines).toBe(1);
  });

  it('falls back to piece-by-piece writing when a piece is not one-byte text, writing it once', () => {
    const t = new TextBytes(64);
    t.put('x');
    t.putJoined(['[', '|', ']\n'], 4, ['é', 'ok'], [3, 0]);
    expect(text(t)).toBe('x[é  |ok]\n');
    expect(t.newlines).toBe(1);
  });

  it('grows past its capacity and starts over on reset, keeping the newline count', () => {
    const t = new TextBytes(2);
    const long = 'line\n'.repeat(1000);
    t.put(long);
    expect(text(t)).toBe(long);
    t.reset();
    expect(t.length).toBe(0);
    t.put('z');
    expect(text(t)).toBe('z');
    expect(t.newlines).toBe(1000);
  });

  it('puts constants with their newlines, and grouped integers as damo formats them', () => {
    const t = new TextBytes(4);
    t.putConst(constText('a\nb\n'));
    for (const x of [0, 7, 999, 1000, 123456, 1234567, 94827419009024, Number.MAX_SAFE_INTEGER]) {
      t.putGroupedInt(x, (v) => formatNr(v, false));
      t.put(' ');
    }
    t.putGroupedInt(-5, (v) => `<${v}>`);
    t.putGroupedInt(2.5, (v) => `<${v}>`);
    expect(text(t)).toBe('a\nb\n0 7 999 1,000 123,456 1,234,567 94,827,419,009,024 9,007,199,254,740,991 <-5><2.5>');
    expect(t.newlines).toBe(2);
    for (const x of [1, 12, 123, 1234, 12345, 123456789012]) {
      const u = new TextBytes(1);
      u.putGroupedInt(x, String);
      expect(text(u)).toBe(formatNr(x, false));
    }
  });

  it('puts integers as Python prints them, every power of ten and its neighbours included', () => {
    const t = new TextBytes(1);
    const xs = [0, -0, 5, -5, 1e21, 2.5, -2.5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    for (let p = 1; p <= 1e15; p *= 10) xs.push(p - 1, p, p + 1, -p);
    for (const x of xs) {
      t.putInt(x, pyInt);
      t.put(' ');
    }
    expect(text(t)).toBe(xs.map((x) => pyInt(x)).join(' ') + ' ');
    // Grouped integers against formatNr over the same powers of ten.
    const g = new TextBytes(1);
    const ys = xs.filter((x) => Number.isSafeInteger(x) && x >= 0);
    for (const y of ys) {
      g.putGroupedInt(y, String);
      g.put(' ');
    }
    expect(text(g)).toBe(ys.map((y) => formatNr(y, false)).join(' ') + ' ');
  });

  it('hands its bytes over without copying and reuses a buffer given back', () => {
    // Large enough for a buffer of its own (small ones come from Node's shared pool).
    const t = new TextBytes(1 << 16);
    t.put('first');
    const a = t.takeBytes();
    expect(Buffer.from(a).toString()).toBe('first');
    expect(t.length).toBe(0);
    t.put('second');
    // Writing goes on in another buffer: what was taken stays as it was.
    expect(Buffer.from(a).toString()).toBe('first');
    t.giveBack(a);
    const b = t.takeBytes();
    expect(Buffer.from(b).toString()).toBe('second');
    t.put('third');
    // The buffer given back is the one in use now.
    expect(Buffer.from(a.buffer, 0, 5).toString()).toBe('third');
  });

  it('writes constants of every length word by word, and text beyond ASCII as it is', () => {
    const t = new TextBytes(1);
    const pieces: string[] = [];
    for (let n = 0; n <= 25; n++) pieces.push(Array.from({ length: n }, (_, i) => String.fromCharCode(0x20 + ((n * 7 + i * 13) % 95))).join(''));
    pieces.push('\u00e9t\u00e9 \u007f', '\n\n"x": "');
    for (const piece of pieces) {
      t.putConst(constText(piece));
      t.put('|');
    }
    expect(Buffer.from(t.bytes()).toString('latin1')).toBe(pieces.join('|') + '|');
    expect(t.newlines).toBe(2);
  });

  it("pads integers as Python's '%Nd' does, truncating fractions and wording what is not a safe integer", () => {
    const t = new TextBytes(4);
    for (const x of [0, 7, 42, 999, 1000, 123456789, -5, -1234, 2.9, -2.9, 2 ** 53, NaN, Infinity]) {
      t.putPaddedInt(x, 11, pyInt);
      t.put('|');
    }
    const want = [0, 7, 42, 999, 1000, 123456789, -5, -1234, 2.9, -2.9, 2 ** 53, NaN, Infinity].map((x) => pyInt(x).padStart(11) + '|').join('');
    expect(text(t)).toBe(want);
    const narrow = new TextBytes(4);
    narrow.putPaddedInt(1234567, 5, pyInt);
    expect(text(narrow)).toBe('1234567');
  });

  it("writes '%012x' of addresses below and above 2^48 and of numbers that are not integers", () => {
    const t = new TextBytes(4);
    for (const n of [0, 0x1f, 0x7f938d7e1000, 2 ** 48 - 1, 2 ** 48, 0xffffffffffff000 + 0x123, 1.5]) {
      t.putHex12(n);
      t.put('|');
    }
    const want = [0, 0x1f, 0x7f938d7e1000, 2 ** 48 - 1, 2 ** 48, 0xffffffffffff000 + 0x123, 1.5].map((n) => n.toString(16).padStart(12, '0') + '|').join('');
    expect(text(t)).toBe(want);
  });

  it('takes the last byte back and its newline from the count', () => {
    const t = new TextBytes(4);
    t.put('ab\n');
    t.dropLastByte();
    expect(text(t)).toBe('ab');
    expect(t.newlines).toBe(0);
    t.reset();
    expect(() => t.dropLastByte()).toThrow(RangeError);
  });

  it('writes whole lines straight into its buffer with roomFor() and advanceTo()', () => {
    const t = new TextBytes(4);
    t.put('>');
    const values = [0, 5, 9, 10, -1, 42, 99, 100, 999, 1000, -1000, 123456, 999999, 1000000, 100200300, -999999999, 999999999];
    for (const x of values) {
      expect(fitsSmallInt(x)).toBe(true);
      const b = t.roomFor(20);
      const v = t.roomView();
      let p = putSmallIntAt(b, v, t.length, x, 11);
      p = putSmallIntAt(b, v, p, x, 5);
      b[p++] = 10;
      t.advanceTo(p, 1);
    }
    expect(text(t)).toBe('>' + values.map((x) => pyInt(x).padStart(11) + pyInt(x).padStart(5) + '\n').join(''));
    expect(t.newlines).toBe(values.length);
    // Every width, so that the four-space stores and the single ones both show.
    const w = new TextBytes(4);
    for (let width = 0; width <= 13; width++) {
      for (const x of [7, 42, 512, -3, 12345]) {
        const b = w.roomFor(24);
        w.advanceTo(putSmallIntAt(b, w.roomView(), w.length, x, width), 0);
        w.put('|');
      }
    }
    const widths = Array.from({ length: 14 }, (_, width) => [7, 42, 512, -3, 12345].map((x) => pyInt(x).padStart(width) + '|').join(''));
    expect(text(w)).toBe(widths.join(''));
    for (const x of [1e9, -1e9, 0.5, NaN, Infinity]) expect(fitsSmallInt(x)).toBe(false);
    expect(() => t.advanceTo(0, 0)).toThrow(RangeError);
  });

  it('writes 12-digit hex at a position and says which numbers it can', () => {
    const b = new Uint8Array(27);
    const v = new DataView(b.buffer, 1, 25);
    const end = putHex12At(v, putHex12At(v, 0, 0x7f938d7e1000), 2 ** 48 - 1);
    expect(end).toBe(24);
    expect(b[0]).toBe(0);
    expect(b[25]).toBe(0);
    expect(Buffer.from(b.subarray(1, 25)).toString('latin1')).toBe('7f938d7e1000ffffffffffff');
    expect(fitsHex12(0)).toBe(true);
    for (const n of [2 ** 48, -1, 1.5]) expect(fitsHex12(n)).toBe(false);
  });

  it('writes the same hex digits before and after it takes four digits a store (past 65,536 addresses)', () => {
    const b = new Uint8Array(12);
    const v = new DataView(b.buffer);
    const wrong: number[] = [];
    for (let i = 0; i < 3 * 65536; i++) {
      // Every 16-bit quarter sees many values; the last addresses are the largest.
      const n = i === 3 * 65536 - 1 ? 2 ** 48 - 1 : (i * 0x9e3779b1 + (i % 7) * 2 ** 40) % 2 ** 48;
      putHex12At(v, 0, n);
      if (Buffer.from(b).toString('latin1') !== n.toString(16).padStart(12, '0')) wrong.push(n);
    }
    expect(wrong).toEqual([]);
  });
});
