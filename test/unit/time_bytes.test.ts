// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { formatTimeNs, NS_PER_HOUR, NS_PER_MIN, NS_PER_MS, NS_PER_SEC, NS_PER_US, padLeft } from '../../src/core/fmt.js';
import { putTimeNsAt, TIME_BYTES_MAX_NS, TIME_BYTES_ROOM } from '../../src/core/time_bytes.js';
import { mulberry32 } from '../../src/format/synthetic.js';

const WIDTH = 16;

/** What putTimeNsAt writes for ns, or null when it declines. */
function written(ns: number): string | null {
  const b = new Uint8Array(3 + WIDTH + TIME_BYTES_ROOM).fill(0x21);
  const end = putTimeNsAt(b, 3, ns, WIDTH);
  if (end < 0) {
    expect(b.every((x) => x === 0x21)).toBe(true);
    return null;
  }
  expect(b.subarray(0, 3).every((x) => x === 0x21)).toBe(true);
  expect(b.subarray(end).every((x) => x === 0x21)).toBe(true);
  return Buffer.from(b.subarray(3, end)).toString('latin1');
}

function expected(ns: number): string {
  return padLeft(formatTimeNs(ns, false), WIDTH);
}

describe('putTimeNsAt', () => {
  it('writes what formatTimeNs does on random times from nanoseconds to days', () => {
    const rnd = mulberry32(17);
    let declined = 0;
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const ns = Math.floor(10 ** (rnd() * 15) * rnd());
      const got = written(ns);
      if (got === null) declined++;
      else if (got !== expected(ns)) expect(got).toBe(expected(ns));
    }
    // Ties are one in a thousand or fewer of the values with a fraction.
    expect(declined).toBeLessThan(n / 500);
  });

  it('writes what formatTimeNs does next to every rounding boundary and unit', () => {
    const units = [NS_PER_US, NS_PER_MS, NS_PER_SEC, NS_PER_MIN, NS_PER_HOUR];
    const bases = [0, 1, 7, 59, 60, 61, 999, 1000, 3599, 3600, 86_399, 277 * 3600];
    let checked = 0;
    for (const unit of units) {
      for (const k of bases) {
        for (const frac of [0, 0.0004995, 0.0005, 0.0005005, 0.4995, 0.5, 0.9994999, 0.9995, 0.9995001, 0.999999]) {
          for (const d of [-2, -1, 0, 1, 2]) {
            const ns = Math.round((k + frac) * unit) + d;
            if (ns < 0 || ns >= TIME_BYTES_MAX_NS) continue;
            const got = written(ns);
            if (got !== null) {
              expect(got, `${ns} ns`).toBe(expected(ns));
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it('declines exact ties, where Python rounds half to even', () => {
    // 1.0005 s and 2.5005 ms: formatTimeNs prints 1.000 s (even) and 2.500 ms.
    for (const ns of [1_000_500_000, 2_500_500, 61 * NS_PER_SEC + 500_000]) {
      expect(written(ns)).toBeNull();
      expect(formatTimeNs(ns, false)).toMatch(/\.\d{3} m?s$/);
    }
  });

  it('declines what it was not made for: fractions of a ns, negative and huge times', () => {
    for (const ns of [0.5, 1e9 + 0.25, -1, -1e9, TIME_BYTES_MAX_NS, 2 ** 64, Number.NaN, Infinity]) expect(written(ns)).toBeNull();
    expect(written(0)).toBe(expected(0));
    expect(written(TIME_BYTES_MAX_NS - 1)).toBe(expected(TIME_BYTES_MAX_NS - 1));
  });

  it('writes times longer than the width unpadded, as padLeft does', () => {
    const ns = 277 * NS_PER_HOUR + 46 * NS_PER_MIN + 39 * NS_PER_SEC + 999 * NS_PER_MS;
    const b = new Uint8Array(64);
    const end = putTimeNsAt(b, 0, ns, 4);
    expect(Buffer.from(b.subarray(0, end)).toString('latin1')).toBe(formatTimeNs(ns, false));
  });
});
