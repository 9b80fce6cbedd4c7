// SPDX-License-Identifier: GPL-2.0-only
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  formatNr,
  formatSz,
  formatSzAccurate,
  formatTimeNs,
  formatTimeNsExact,
  percentileIndex,
  pyFixed,
  pyIndex,
  pyInt,
  pyRange,
  pyRepr,
  textToBytes,
  textToMs,
  textToNr,
  textToNrExact,
  textToNs,
  textToPercent,
  textToSec,
  textToUs,
} from '../../src/core/fmt.js';
import { ULONG_MAX, ULONG_MAX_F } from '../../src/core/damon_constants.js';

interface Vector {
  v: string;
  repr: string;
  f3: string;
  f6: string;
  d: string | null;
}

// Produced by CPython 3.11 (repr, '%.3f', '%f', '%d') for fixed and random doubles,
// including exact binary ties such as 0.0625 and 2.5.
const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures/pyfloat-vectors.json'), 'utf8'),
) as Vector[];

describe('Python float formatting', () => {
  it('matches CPython repr() on every vector', () => {
    for (const t of vectors) expect(pyRepr(Number(t.v)), t.v).toBe(t.repr);
  });
  it("matches CPython '%.3f' and '%f' (half-even on exact ties)", () => {
    for (const t of vectors) {
      expect(pyFixed(Number(t.v), 3), t.v).toBe(t.f3);
      expect(pyFixed(Number(t.v), 6), t.v).toBe(t.f6);
    }
  });
  it("matches CPython '%d' of floats (truncation)", () => {
    for (const t of vectors) if (t.d !== null) expect(pyInt(Number(t.v)), t.v).toBe(t.d);
  });
  it('keeps the documented examples', () => {
    expect(pyRepr(0)).toBe('0.0');
    expect(pyRepr(1e-5)).toBe('1e-05');
    expect(pyRepr(1e16)).toBe('1e+16');
    expect(pyRepr(1.5e16)).toBe('1.5e+16');
    expect(pyRepr(21.000000000000004)).toBe('21.000000000000004');
    expect(pyFixed(0.0625, 3)).toBe('0.062');
    expect(pyFixed(0.1875, 3)).toBe('0.188');
    expect(pyInt(-2.9)).toBe('-2');
    expect(pyInt(2n ** 64n - 1n)).toBe('18446744073709551615');
  });
});

describe('damo formatters', () => {
  it('format_nr groups thousands', () => {
    expect(formatNr(0, false)).toBe('0');
    expect(formatNr(999, false)).toBe('999');
    expect(formatNr(1000, false)).toBe('1,000');
    expect(formatNr(-123456789, false)).toBe('-123,456,789');
    expect(formatNr(94827419009024, false)).toBe('94,827,419,009,024');
    expect(formatNr(18446623438842320000n, false)).toBe('18,446,623,438,842,320,000');
    expect(formatNr(1234.9, true)).toBe('1234');
  });

  it('format_sz uses strict thresholds', () => {
    expect(formatSz(1024, false)).toBe('1024 B');
    expect(formatSz(1025, false)).toBe('1.001 KiB');
    expect(formatSz(1 << 20, false)).toBe('1024.000 KiB');
    expect(formatSz(4141056, false)).toBe('3.949 MiB');
    expect(formatSz(688128, false)).toBe('672.000 KiB');
    expect(formatSz(113456913.5, false)).toBe('108.201 MiB');
    expect(formatSz(113456913.5, true)).toBe('113456913');
    expect(formatSz(ULONG_MAX_F, false)).toBe('max');
    expect(formatSz(0, false)).toBe('0 B');
    expect(formatSzAccurate(140271510761472, false)).toBe('127.576196 TiB');
  });

  it('format_time_ns picks the approximate form', () => {
    expect(formatTimeNs(0, false)).toBe('0 ns');
    expect(formatTimeNs(999, false)).toBe('999 ns');
    expect(formatTimeNs(1000, false)).toBe('1 us');
    expect(formatTimeNs(123456789, false)).toBe('123.457 ms');
    expect(formatTimeNs(104598867, false)).toBe('104.599 ms');
    expect(formatTimeNs(123456789123, false)).toBe('2 m 3.457 s');
    expect(formatTimeNs(120e9, false)).toBe('2 m');
    expect(formatTimeNs(123e9, false)).toBe('2 m 3 s');
    expect(formatTimeNs(539809434100, false)).toBe('8 m 59.809 s');
    expect(formatTimeNs((74 * 3600 + 1) * 1e9, false)).toBe('74 h 1 s');
    expect(formatTimeNs(-1500, false)).toBe('-1.500 us');
    expect(formatTimeNs(56797184551, true)).toBe('56797184551');
  });

  it('format_time_ns_exact lists every unit', () => {
    expect(formatTimeNsExact(123456789123, false)).toBe('2 m 3 s 456 ms 789 us 123 ns');
    expect(formatTimeNsExact(1_500_000_000, false)).toBe('1 s 500 ms');
    expect(formatTimeNsExact(0, false)).toBe('0 ns');
    expect(formatTimeNsExact(3 * 86400e9, false)).toBe('3 d');
    expect(formatTimeNsExact(1748191726781395200n, true)).toBe('1748191726781395200');
  });
});

describe('damo parsers', () => {
  it('text_to_nr strips commas and keeps big ints exact', () => {
    expect(textToNr('94,827,419,009,024')).toBe(94827419009024);
    expect(textToNrExact('18446623438842320000')).toBe(18446623438842320000n);
    expect(textToNrExact('max')).toBe(ULONG_MAX);
    expect(textToNr('1.5')).toBe(1.5);
    expect(() => textToNr('abc')).toThrow();
  });

  it('text_to_bytes accepts human sizes', () => {
    expect(textToBytes('143.027 MiB')).toBe(Math.trunc(143.027 * 1048576));
    expect(textToBytes('4K')).toBe(4096);
    expect(textToBytes('1.5 GB')).toBe(1.5 * 2 ** 30);
    expect(textToBytes('0 B')).toBe(0);
    expect(textToBytes('1,024')).toBe(1024);
    expect(textToBytes('max')).toBe(ULONG_MAX_F);
    expect(textToBytes('min')).toBe(0);
    expect(() => textToBytes('lots')).toThrow();
  });

  it('text_to_ns and friends accept unit strings', () => {
    expect(textToNs('1 s 500 ms')).toBe(1.5e9);
    expect(textToNs('539809434100')).toBe(539809434100);
    expect(textToNs('5ms')).toBe(5e6);
    expect(textToNs('2 m 3 s 456 ms 789 us 123 ns')).toBe(123456789123);
    expect(textToUs('1 s 500 ms')).toBe(1.5e6);
    expect(textToUs('5000')).toBe(5000);
    expect(textToMs('1 s')).toBe(1000);
    expect(textToSec('1500 ms')).toBe(1.5);
    expect(textToPercent('30 %')).toBe(30);
    // A bare number is taken as is (damo's try_common_input), not as a ratio.
    expect(textToPercent('0.5')).toBe(0.5);
  });
});

describe('percentiles', () => {
  it('indexes like int(p/100.0*len) clamped to len-1', () => {
    expect(percentileIndex(0, 523)).toBe(0);
    expect(percentileIndex(100, 523)).toBe(522);
    expect(percentileIndex(25, 523)).toBe(130);
    expect(percentileIndex(50, 4)).toBe(2);
    expect(pyIndex([1, 2, 3], -1)).toBe(3);
    expect(pyIndex([1, 2, 3], 3)).toBeUndefined();
    expect(pyRange(0, 101, 25)).toEqual([0, 25, 50, 75, 100]);
    expect(pyRange(1, 101, 1)).toHaveLength(100);
    expect(pyRange(10, 0, -5)).toEqual([10, 5]);
  });
});
