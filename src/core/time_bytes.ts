// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo's format_time_ns (fmt.ts formatTimeNs, not raw) written straight into bytes, for the
 * reports that print one or two times per snapshot: `report raw` prints a snapshot's end
 * time as text, ~54,000 of them on damo's test recording x100, and building each as strings
 * (toFixed, padding, concatenation) was a few percent of the report.
 *
 * Only integer times below TIME_BYTES_MAX_NS whose 3-decimal fraction is not an exact tie are
 * written here, with integer arithmetic; the caller writes the others with formatTimeNs. For
 * those, integer rounding gives formatTimeNs's digits: formatTimeNs rounds the double
 * r / unit (Python's '%.3f'), which is within 2^-53 of the exact quotient, while the exact
 * quotient of an integer r lies at least 1 / (1000 * unit) from a rounding boundary unless
 * it is a tie, much more than the double's error below 10^15 ns (test/unit/time_bytes.test.ts
 * compares both on random and edge times).
 */
import { NS_PER_HOUR, NS_PER_MIN, NS_PER_MS, NS_PER_SEC, NS_PER_US } from './fmt.js';

/** Times at or above this (about 11.6 days) go through formatTimeNs. */
export const TIME_BYTES_MAX_NS = 1e15;

/** Room putTimeNsAt needs past p, besides the padding: "277 h 46 m 39.999 s" and more. */
export const TIME_BYTES_ROOM = 32;

const scratch = new Uint8Array(TIME_BYTES_ROOM);

/**
 * Writes formatTimeNs(ns, false) right-aligned in `width` characters at p and returns the
 * end, or returns -1 without writing when ns is not for this writer (see above). Room:
 * max(width, TIME_BYTES_ROOM) bytes.
 */
export function putTimeNsAt(b: Uint8Array, p: number, ns: number, width: number): number {
  if (!(ns >= 0 && ns < TIME_BYTES_MAX_NS && Number.isInteger(ns))) return -1;
  const n = timeBody(ns, 0);
  if (n < 0) return -1;
  for (let pad = width - n; pad > 0; pad--) b[p++] = 32;
  for (let i = 0; i < n; i++) b[p++] = scratch[i] as number;
  return p;
}

/** Writes the time into scratch from q; returns the end, or -1 on a tie. */
function timeBody(t: number, q: number): number {
  if (t >= NS_PER_HOUR) {
    const hour = Math.trunc(t / NS_PER_HOUR);
    q = putDigits(hour, q);
    q = putAscii2(q, 0x20, 0x68); // " h"
    const less = t - hour * NS_PER_HOUR;
    if (less === 0) return q;
    scratch[q++] = 0x20;
    return timeBody(less, q);
  }
  if (t >= NS_PER_MIN) {
    const minutes = Math.trunc(t / NS_PER_MIN);
    q = putDigits(minutes, q);
    q = putAscii2(q, 0x20, 0x6d); // " m"
    const rest = t - minutes * NS_PER_MIN;
    if (rest === 0) return q;
    scratch[q++] = 0x20;
    q = rest % NS_PER_SEC === 0 ? putDigits(rest / NS_PER_SEC, q) : putFixed3(rest, NS_PER_SEC, q);
    if (q < 0) return -1;
    return putAscii2(q, 0x20, 0x73); // " s"
  }
  if (t >= NS_PER_SEC) return putUnit(t, NS_PER_SEC, q, 0x73, 0);
  if (t >= NS_PER_MS) return putUnit(t, NS_PER_MS, q, 0x6d, 0x73);
  if (t >= NS_PER_US) return putUnit(t, NS_PER_US, q, 0x75, 0x73);
  q = putDigits(t, q);
  q = putAscii2(q, 0x20, 0x6e); // " n"
  scratch[q++] = 0x73; // "s"
  return q;
}

/** t in `unit`s: whole when exact, else with three decimals; then a space and the unit's name (one or two letters). */
function putUnit(t: number, unit: number, q: number, c1: number, c2: number): number {
  q = t % unit === 0 ? putDigits(t / unit, q) : putFixed3(t, unit, q);
  if (q < 0) return -1;
  scratch[q++] = 0x20;
  scratch[q++] = c1;
  if (c2 !== 0) scratch[q++] = c2;
  return q;
}

/** r / unit with three decimals, rounded to nearest; -1 on an exact tie (Python keeps the even neighbour there). */
function putFixed3(r: number, unit: number, q: number): number {
  let whole = Math.floor(r / unit);
  const thousandths = (r - whole * unit) * 1000;
  const half = unit / 2;
  if (thousandths % unit === half) return -1;
  let milli = Math.floor((thousandths + half) / unit);
  if (milli === 1000) {
    whole += 1;
    milli = 0;
  }
  q = putDigits(whole, q);
  scratch[q++] = 0x2e;
  scratch[q++] = 0x30 + Math.floor(milli / 100);
  scratch[q++] = 0x30 + (Math.floor(milli / 10) % 10);
  scratch[q++] = 0x30 + (milli % 10);
  return q;
}

/** A non-negative integer below 2^53 in decimal. */
function putDigits(x: number, q: number): number {
  let len = 1;
  for (let y = x; y >= 10; y = Math.floor(y / 10)) len++;
  let at = q + len;
  let y = x;
  do {
    const d = y % 10;
    scratch[--at] = 0x30 + d;
    y = (y - d) / 10;
  } while (y > 0);
  return q + len;
}

function putAscii2(q: number, c0: number, c1: number): number {
  scratch[q] = c0;
  scratch[q + 1] = c1;
  return q + 2;
}
