// SPDX-License-Identifier: GPL-2.0-only
/**
 * Sizes and durations for people: titles, notes, status lines and summaries. (damo's exact
 * report formats are core/fmt.ts: formatSz, formatTimeNs.) Binary units for sizes; time in
 * s/ms/us/ns; at most four significant digits, trailing zeros dropped: 512 B, 8.58 KiB,
 * 196.8 MiB, 56.69 s, 113.4 ms.
 */

const TIME_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['h', 3600e9],
  ['min', 60e9],
  ['s', 1e9],
  ['ms', 1e6],
  ['us', 1e3],
  ['ns', 1],
];

/**
 * Largest time unit that `ns` covers at least `times` times (plot axes: twice, so 56 s is
 * in s and 800 ms in ms). Minutes and hours are skipped: decimal minutes read badly.
 */
export function timeUnitFor(ns: number, times = 2): readonly [string, number] {
  for (const u of TIME_UNITS) {
    if (u[0] === 'h' || u[0] === 'min') continue;
    if (ns >= times * u[1]) return u;
  }
  return ['ns', 1];
}

const SIZE_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['PiB', 2 ** 50],
  ['TiB', 2 ** 40],
  ['GiB', 2 ** 30],
  ['MiB', 2 ** 20],
  ['KiB', 2 ** 10],
  ['B', 1],
];

/** Largest binary unit that `bytes` covers at least `times` times. */
export function sizeUnitFor(bytes: number, times = 2): readonly [string, number] {
  for (const u of SIZE_UNITS) if (bytes >= times * u[1]) return u;
  return ['B', 1];
}

/** A size: 512 B, 8.58 KiB, 196.8 MiB. */
export function humanBytes(bytes: number): string {
  const [unit, unitBytes] = sizeUnitFor(Math.abs(bytes), 1);
  return `${significant(bytes / unitBytes)} ${unit}`;
}

/** A duration: 56.69 s, 113.4 ms. */
export function humanTime(ns: number): string {
  const [unit, unitNs] = timeUnitFor(Math.abs(ns), 1);
  return `${significant(ns / unitNs)} ${unit}`;
}

/** Time elapsed on a clock: 8.6 s, 2m05s, 1h02m. */
export function humanElapsed(ns: number): string {
  const s = ns / 1e9;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Three decimals below 10, two below 100, one above; integers as they are. */
function significant(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 100 ? 1 : a >= 10 ? 2 : 3;
  return Number.isInteger(v) ? String(v) : v.toFixed(digits).replace(/\.?0+$/, '');
}
