// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo's text formatting and parsing rules (damo `_damo_fmt_str.py`), reproduced exactly so
 * our reports are byte-for-byte identical to damo's, plus the two Python behaviours damo's
 * output depends on: `repr(float)` and `'%.Nf' % x` (round-half-even on exact binary ties,
 * where JS `toFixed` rounds ties up).
 *
 * Values are JS numbers (doubles, like Python floats) unless a function says it takes a
 * bigint; Python ints beyond 2^53 (kernel target ids, ULONG_MAX) are bigint here.
 */

import { ULONG_MAX, ULONG_MAX_F } from './damon_constants.js';

const KIB = 1024;
const MIB = KIB * 1024;
const GIB = MIB * 1024;
const TIB = GIB * 1024;
const PIB = TIB * 1024;
const EIB = PIB * 1024;

export const NS_PER_US = 1000;
export const NS_PER_MS = 1000 * NS_PER_US;
export const NS_PER_SEC = 1000 * NS_PER_MS;
export const NS_PER_MIN = 60 * NS_PER_SEC;
export const NS_PER_HOUR = 60 * NS_PER_MIN;
export const NS_PER_DAY = 24 * NS_PER_HOUR;

// ---------------------------------------------------------------------------------------
// Python number formatting

/** Python `'%d' % x`: floats truncate toward zero; huge values keep every integer digit. */
export function pyInt(x: number | bigint): string {
  if (typeof x === 'bigint') return x.toString();
  if (!Number.isFinite(x)) {
    // Python raises on '%d' of inf/nan; we print what Python's float repr would.
    return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  }
  const t = Math.trunc(x);
  if (Number.isSafeInteger(t)) return (Object.is(t, -0) ? 0 : t).toString();
  return BigInt(t).toString();
}

/**
 * Python `'%.{digits}f' % x`. JS `toFixed` and Python both round the exact binary value, but
 * on an exact tie Python rounds half to even and JS rounds away from zero
 * (`0.0625.toFixed(3)` is 0.063, Python prints 0.062).
 */
export function pyFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let body: string;
  if (a >= 1e21) {
    // toFixed switches to exponent notation here; every such double is an integer.
    body = BigInt(a).toString() + (digits > 0 ? '.' + '0'.repeat(digits) : '');
  } else {
    body = a.toFixed(digits);
    if (isExactTie(a, digits)) {
      // toFixed rounded the tie up; Python keeps the even neighbour.
      const lastDigit = body.charCodeAt(body.length - 1) - 48;
      if (lastDigit % 2 === 1) body = decrementLastDigit(body);
    }
  }
  return neg ? '-' + body : body;
}

/** True when `a` (>= 0) lies exactly half way between two multiples of 10^-digits. */
function isExactTie(a: number, digits: number): boolean {
  const scaled = a * 10 ** digits;
  // The product is exact whenever the true value is a tie below 2^52, so a tie always shows
  // as .5 here; the converse needs the exact decimal expansion to confirm.
  if (scaled - Math.floor(scaled) !== 0.5) return false;
  if (digits + 1 > 100) return false;
  // Exact digits (toFixed is exact up to 100 digits for |a| < 1e21); a tie expansion stops
  // right after the '5' at position digits+1.
  const exact = a.toFixed(100);
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + digits);
  return tail.charCodeAt(0) === 53 && /^50*$/.test(tail);
}

/** Subtracts one unit in the last place of a non-negative decimal string. */
function decrementLastDigit(s: string): string {
  const chars = s.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    const c = chars[i];
    if (c === '.') continue;
    if (c === '0') {
      chars[i] = '9';
      continue;
    }
    chars[i] = String.fromCharCode((c as string).charCodeAt(0) - 1);
    break;
  }
  return chars.join('');
}

/**
 * Python `repr(float)`: shortest round-trip digits (the same digits JS picks), with an
 * exponent when the decimal exponent is < -4 or >= 16, two-digit exponents, and '.0' on
 * integral values: 0.0, 1e-05, 1e+16, 21.000000000000004.
 */
export function pyRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // Where both print fixed-point (Python for 1e-4 <= |x| < 1e16, JS from 1e-6 to 1e21),
  // JS's shortest round-trip digits are Python's: only an integer's '.0' differs.
  const abs = x < 0 ? -x : x;
  if (abs >= 1e-4 && abs < 1e16) {
    const t = String(x);
    return t.includes('.') ? t : t + '.0';
  }
  const neg = x < 0;
  // toExponential() without an argument gives the shortest round-trip digits.
  const e = Math.abs(x).toExponential();
  const ePos = e.indexOf('e');
  const mant = e.slice(0, ePos);
  const exp = Number(e.slice(ePos + 1));
  const digits = mant.replace('.', '');
  let out: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expAbs = Math.abs(exp);
    out = `${m}e${exp < 0 ? '-' : '+'}${expAbs < 10 ? '0' : ''}${expAbs}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? '-' + out : out;
}

/** Python `'%*s' % (width, s)` / `'%-*s'`. */
export function padLeft(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

export function padRight(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

// ---------------------------------------------------------------------------------------
// damo formatters

/** damo `format_nr`: '%d', grouped by thousands with commas unless raw. */
export function formatNr(n: number | bigint, raw: boolean): string {
  const neg = typeof n === 'bigint' ? n < 0n : n < 0;
  const mag = pyInt(typeof n === 'bigint' ? (neg ? -n : n) : Math.abs(n));
  if (raw) return (neg ? '-' : '') + mag;
  let out = '';
  for (let end = mag.length; end > 0; end -= 3) {
    const start = Math.max(0, end - 3);
    out = out === '' ? mag.slice(start, end) : mag.slice(start, end) + ',' + out;
  }
  return (neg ? '-' : '') + out;
}

function formatSzWith(bytes: number, raw: boolean, decimals: number): string {
  if (raw) return pyInt(bytes);
  if (bytes === ULONG_MAX_F) return 'max';
  if (bytes > EIB) return `${pyFixed(bytes / EIB, decimals)} EiB`;
  if (bytes > PIB) return `${pyFixed(bytes / PIB, decimals)} PiB`;
  if (bytes > TIB) return `${pyFixed(bytes / TIB, decimals)} TiB`;
  if (bytes > GIB) return `${pyFixed(bytes / GIB, decimals)} GiB`;
  if (bytes > MIB) return `${pyFixed(bytes / MIB, decimals)} MiB`;
  if (bytes > KIB) return `${pyFixed(bytes / KIB, decimals)} KiB`;
  return `${pyInt(bytes)} B`;
}

/**
 * damo `format_sz`: '%d' when raw, else '%.3f <unit>' with strict '>' thresholds
 * (1024 -> '1024 B', 1 MiB -> '1024.000 KiB').
 */
export function formatSz(bytes: number, raw: boolean): string {
  return formatSzWith(bytes, raw, 3);
}

/** damo `format_sz_accurate`: like format_sz with '%f' (6 decimals). */
export function formatSzAccurate(bytes: number, raw: boolean): string {
  return formatSzWith(bytes, raw, 6);
}

/** Python's float `%` (result has the divisor's sign), for non-negative operands here. */
function fmod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/**
 * damo `format_time_ns`, the approximate form used for durations and timestamps:
 * '2 m 3.457 s', '123.457 ms', '74 h 1 s'. Works in floats like damo does.
 */
export function formatTimeNs(ns: number, raw: boolean): string {
  if (raw) return pyInt(ns);
  let t = ns;
  let sign = '';
  if (t < 0) {
    sign = '-';
    t = -t;
  }
  if (t >= ULONG_MAX_F) return `${sign}max`;
  if (t >= NS_PER_HOUR) {
    const hour = Math.trunc(t / NS_PER_HOUR);
    const hourStr = `${pyInt(hour)} h`;
    const less = t - hour * NS_PER_HOUR;
    if (less === 0) return sign + hourStr;
    return `${sign}${hourStr} ${formatTimeNs(less, false)}`;
  }
  if (t >= NS_PER_MIN) {
    if (fmod(t, NS_PER_MIN) === 0) return `${sign}${pyInt(t / NS_PER_MIN)} m`;
    if (fmod(t, NS_PER_SEC) === 0) {
      return `${sign}${pyInt(t / NS_PER_MIN)} m ${pyInt(fmod(t, NS_PER_MIN) / NS_PER_SEC)} s`;
    }
    return `${sign}${pyInt(t / NS_PER_MIN)} m ${pyFixed(fmod(t, NS_PER_MIN) / NS_PER_SEC, 3)} s`;
  }
  for (const [unit, name] of [
    [NS_PER_SEC, 's'],
    [NS_PER_MS, 'ms'],
    [NS_PER_US, 'us'],
  ] as const) {
    if (t >= unit) {
      if (fmod(t, unit) === 0) return `${sign}${pyInt(t / unit)} ${name}`;
      return `${sign}${pyFixed(t / unit, 3)} ${name}`;
    }
  }
  return `${sign}${pyInt(t)} ns`;
}

/** damo `format_time_us`: format_time_ns of the microseconds (raw: '%d' of the us). */
export function formatTimeUs(us: number, raw: boolean): string {
  if (raw) return pyInt(us);
  return formatTimeNs(us * NS_PER_US, false);
}

/** damo `format_hz`: '%.3f' below 10 (and not 0), thousands-grouped '%d' otherwise. */
export function formatHz(hz: number, raw: boolean, noSuffix = false): string {
  const suffix = noSuffix ? '' : ' hz';
  if (raw) return pyFixed(hz, 6);
  if (hz < 10 && hz !== 0) return pyFixed(hz, 3) + suffix;
  return formatNr(hz, false) + suffix;
}

/** damo `format_ratio`: '12.5 %' with up to seven fraction digits of the percent. */
export function formatRatio(ratio: number, raw: boolean): string {
  if (raw) return pyFixed(ratio, 6);
  const over = formatNr(Math.trunc(ratio * 100), false);
  const under = pyFixed(fmod(ratio * 100, 1), 7).replace(/0+$/, '').slice(2);
  return under === '' ? `${over} %` : `${over}.${under} %`;
}

export function formatPercent(percent: number, raw: boolean): string {
  if (raw) return pyFixed(percent, 6);
  return formatRatio(percent / 100, false);
}

/** damo `format_bp` (basis points). */
export function formatBp(bp: number, raw: boolean): string {
  if (raw) return pyFixed(bp, 6);
  return formatRatio(bp / 10000, false);
}

const EXACT_UNITS: ReadonlyArray<readonly [bigint, string]> = [
  [86_400_000_000_000n, 'd'],
  [3_600_000_000_000n, 'h'],
  [60_000_000_000n, 'm'],
  [1_000_000_000n, 's'],
  [1_000_000n, 'ms'],
  [1_000n, 'us'],
  [1n, 'ns'],
];

/**
 * damo `format_time_ns_exact`: every non-zero unit from days down to ns,
 * '2 m 3 s 456 ms 789 us 123 ns'. Integer input (damo feeds it ints).
 */
export function formatTimeNsExact(ns: number | bigint, raw: boolean): string {
  if (raw) return pyInt(ns);
  let t = typeof ns === 'bigint' ? ns : BigInt(Math.trunc(ns));
  let sign = '';
  if (t < 0n) {
    sign = '-';
    t = -t;
  }
  if (t >= ULONG_MAX) return `${sign}max`;
  const parts: string[] = [];
  for (const [unit, name] of EXACT_UNITS) {
    if (t < unit) continue;
    const nr = t / unit;
    parts.push(`${formatNr(nr, false)} ${name}`);
    t -= nr * unit;
    if (t === 0n) break;
  }
  if (parts.length === 0) return '0 ns';
  return sign + parts.join(' ');
}

// ---------------------------------------------------------------------------------------
// damo parsers (text_to_*). They throw TextParseError on bad input.

export class TextParseError extends Error {}

const UNIT_TO_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  K: KIB, KB: KIB, KiB: KIB,
  M: MIB, MB: MIB, MiB: MIB,
  G: GIB, GB: GIB, GiB: GIB,
  T: TIB, TB: TIB, TiB: TIB,
  P: PIB, PB: PIB, PiB: PIB,
  E: EIB, EB: EIB, EiB: EIB,
};

const PY_INT_RE = /^\s*[+-]?\d+(_\d+)*\s*$/;
const PY_FLOAT_RE = /^\s*[+-]?((\d+(_\d+)*)?\.?\d*(_\d+)*([eE][+-]?\d+)?|inf(inity)?|nan)\s*$/i;

/** Python `float(text)`, or undefined where Python raises (no exception: hot paths). */
function tryPyFloat(text: string): number | undefined {
  if (!PY_FLOAT_RE.test(text) || !/[0-9]|inf|nan/i.test(text)) return undefined;
  const t = text.trim().replace(/_/g, '').toLowerCase();
  if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
  if (t.endsWith('nan')) return NaN;
  const v = Number(t);
  return Number.isNaN(v) ? undefined : v;
}

/** Python `float(text)` (accepts surrounding blanks, '_' separators, inf/nan). */
export function pyFloat(text: string): number {
  const v = tryPyFloat(text);
  if (v === undefined) throw new TextParseError(`could not convert string to float: '${text}'`);
  return v;
}

/** text_to_nr without exceptions: undefined where damo's would raise. */
function tryTextToNrExact(text: string): number | bigint | undefined {
  if (text === 'max') return ULONG_MAX;
  const t = text.indexOf(',') === -1 ? text : text.replace(/,/g, '');
  if (PY_INT_RE.test(t)) {
    const digits = t.trim().replace(/_/g, '');
    const n = Number(digits);
    return Number.isSafeInteger(n) ? n : BigInt(digits);
  }
  return tryPyFloat(t);
}

/**
 * damo `text_to_nr`: commas are dropped, then Python int() or float(); 'max' is ULONG_MAX.
 * Integers beyond 2^53 come back as bigint so ids and ULONG_MAX stay exact.
 */
export function textToNrExact(text: string | number | bigint): number | bigint {
  if (typeof text !== 'string') return text;
  const v = tryTextToNrExact(text);
  if (v === undefined) throw new TextParseError(`could not convert string to float: '${text}'`);
  return v;
}

/** text_to_nr as a double (ULONG_MAX becomes 2^64, like damo's float comparisons). */
export function textToNr(text: string | number | bigint): number {
  const v = textToNrExact(text);
  return typeof v === 'bigint' ? Number(v) : v;
}

function commonInput(text: string | number | bigint, minVal: number, maxVal: number): number | undefined {
  if (text === 'min') return minVal;
  if (text === 'max') return maxVal;
  if (typeof text !== 'string') return typeof text === 'bigint' ? Number(text) : text;
  const v = tryTextToNrExact(text);
  return typeof v === 'bigint' ? Number(v) : v;
}

/** damo `text_to_bytes`: '94,827,419,009,024', '143.027 MiB', '4K', '1.5 GB' (GB = GiB). */
export function textToBytes(text: string | number | bigint): number {
  const common = commonInput(text, 0, ULONG_MAX_F);
  if (common !== undefined) return common;
  const t = text as string;
  let unit: string | undefined;
  let num: number | undefined;
  if (t.length > 3 && UNIT_TO_BYTES[t.slice(-3)] !== undefined) {
    unit = t.slice(-3);
    num = textToNr(t.slice(0, -3));
  } else if (t.length > 2 && UNIT_TO_BYTES[t.slice(-2)] !== undefined) {
    unit = t.slice(-2);
    num = textToNr(t.slice(0, -2));
  } else if (t.length > 0 && UNIT_TO_BYTES[t.slice(-1)] !== undefined) {
    unit = t.slice(-1);
    num = textToNr(t.slice(0, -1));
  } else {
    unit = 'B';
    num = textToNr(t);
  }
  const v = Math.trunc(num * (UNIT_TO_BYTES[unit] as number));
  if (Number.isNaN(v)) throw new TextParseError(`'${t}' is not a size`);
  return Math.min(ULONG_MAX_F, v);
}

const UNIT_TO_NS: Readonly<Record<string, number>> = {
  ns: 1, us: NS_PER_US, ms: NS_PER_MS, s: NS_PER_SEC, m: NS_PER_MIN, h: NS_PER_HOUR, d: NS_PER_DAY,
};

/** damo `text_to_ns`: bare numbers are ns; '1 s 500 ms' sums pairs; 'min'/'max'. */
export function textToNs(text: string | number | bigint): number {
  const common = commonInput(text, 0, ULONG_MAX_F);
  if (common !== undefined) return common;
  const t = text as string;
  const fields = t.split(/\s+/).filter((f) => f !== '');
  if (fields.length > 1) {
    let sum = 0;
    for (let i = 0; i < fields.length; i += 2) sum += textToNs(fields.slice(i, i + 2).join(''));
    return sum;
  }
  if (UNIT_TO_NS[t.slice(-2)] === undefined && UNIT_TO_NS[t.slice(-1)] === undefined) return pyFloat(t);
  let unit = t.slice(-2);
  let num: number;
  if (unit === 'ns' || unit === 'us' || unit === 'ms') {
    num = textToNr(t.slice(0, -2));
  } else {
    unit = t.slice(-1);
    num = textToNr(t.slice(0, -1));
  }
  return num * (UNIT_TO_NS[unit] as number);
}

export function textToUs(text: string | number | bigint): number {
  const common = commonInput(text, 0, ULONG_MAX_F);
  if (common !== undefined) return common;
  return textToNs(text) / NS_PER_US;
}

export function textToMs(text: string | number | bigint): number {
  const common = commonInput(text, 0, ULONG_MAX_F);
  if (common !== undefined) return common;
  return textToUs(text) / 1000;
}

export function textToSec(text: string | number | bigint): number {
  const common = commonInput(text, 0, ULONG_MAX_F);
  if (common !== undefined) return common;
  return textToMs(text) / 1000;
}

/** damo `text_to_ratio`: '30 %' -> 0.3, '0.3' -> 0.3. */
export function textToRatio(text: string | number | bigint): number {
  const common = commonInput(text, 0, ULONG_MAX_F);
  if (common !== undefined) return common;
  let t = text as string;
  let isPercent = false;
  if (t.endsWith('%')) {
    isPercent = true;
    t = t.slice(0, -1);
  }
  const ratio = textToNr(t);
  return isPercent ? ratio / 100 : ratio;
}

/** damo `text_to_bp`: a plain number is basis points, '4 %' is 400. */
export function textToBp(text: string | number | bigint): number {
  const common = commonInput(text, 0, ULONG_MAX_F);
  if (common !== undefined) return common;
  return textToRatio(text) * 10000;
}

export function textToPercent(text: string | number | bigint): number {
  const common = commonInput(text, 0, ULONG_MAX_F);
  if (common !== undefined) return common;
  return textToRatio(text) * 100;
}

// ---------------------------------------------------------------------------------------
// Percentiles

/**
 * damo's percentile index: `int(p / 100.0 * len)`, clamped to len-1 when it equals len.
 * Returns -1 for an empty list. Negative results follow Python indexing (from the end)
 * when `pyIndex` is used to read the element.
 */
export function percentileIndex(percentile: number, len: number): number {
  let idx = Math.trunc((percentile / 100.0) * len);
  if (idx === len) idx -= 1;
  return idx;
}

/** Python list indexing: negative indices count from the end; undefined when out of range. */
export function pyIndex<T>(list: ArrayLike<T>, idx: number): T | undefined {
  const i = idx < 0 ? list.length + idx : idx;
  if (i < 0 || i >= list.length) return undefined;
  return list[i];
}

/** Python `range(start, stop, step)` as an array (step must not be 0). */
export function pyRange(start: number, stop: number, step: number): number[] {
  if (step === 0) throw new TextParseError('range() step must not be zero');
  const out: number[] = [];
  if (step > 0) for (let v = start; v < stop; v += step) out.push(v);
  else for (let v = start; v > stop; v += step) out.push(v);
  return out;
}
