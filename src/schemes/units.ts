// SPDX-License-Identifier: GPL-2.0-only
/**
 * Values of the scheme language: sizes, times, access frequencies and ratios, parsed from
 * the forms damo accepts (the 2020 kernel-tree converter's `1.5K`, `100ms`, `80`, and damo
 * 3.x's `4.000 KiB`, `1 s 500 ms`, `30 %`) and written back exactly (never rounded, so a
 * scheme survives text -> JSON -> text).
 *
 * The parsers throw `ValueFormError` carrying the accepted forms; the callers add the file,
 * line, column and field name.
 */

import { ULONG_MAX, ULONG_MAX_F } from '../core/damon_constants.js';

export class ValueFormError extends Error {
  /** Human list of what would have been accepted. */
  readonly accepted: string;
  constructor(problem: string, accepted: string) {
    super(problem);
    this.accepted = accepted;
  }
}


const NUMBER_RE = /^\+?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a non-negative decimal number; commas as thousands separators are allowed. */
export function parseNumber(text: string): number | undefined {
  const t = text.replace(/,/g, '').trim();
  if (!NUMBER_RE.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  K: 2 ** 10, KB: 2 ** 10, KiB: 2 ** 10,
  M: 2 ** 20, MB: 2 ** 20, MiB: 2 ** 20,
  G: 2 ** 30, GB: 2 ** 30, GiB: 2 ** 30,
  T: 2 ** 40, TB: 2 ** 40, TiB: 2 ** 40,
  P: 2 ** 50, PB: 2 ** 50, PiB: 2 ** 50,
  E: 2 ** 60, EB: 2 ** 60, EiB: 2 ** 60,
};

export const SIZE_FORMS =
  "'min', 'max', or a number with an optional unit B, K, M, G, T, P, E (1024-based; KiB/KB also accepted), e.g. 4K, 1.5M, 2 MiB, 4096";

/**
 * A size in bytes. Like both damo generations, the value is `int(number * unit)`, so 1.5K
 * is 1536; values at or above 2^64-1 saturate to 'max' (damo's `min(ULONG_MAX, ...)`).
 */
export function parseSize(text: string): number | 'max' {
  const t = text.trim();
  if (t === 'min') return 0;
  if (t === 'max') return 'max';
  const m = /^(.*?)\s*([KMGTPE]i?B?|B)?$/.exec(t);
  const numText = m?.[1] ?? '';
  const unit = m?.[2] ?? 'B';
  const mult = SIZE_UNITS[unit];
  const n = parseNumber(numText);
  if (n === undefined || mult === undefined) {
    throw new ValueFormError(`'${text}' is not a size`, SIZE_FORMS);
  }
  const bytes = Math.trunc(n * mult);
  if (bytes >= ULONG_MAX_F) return 'max';
  return bytes;
}

const TIME_UNITS_US: Record<string, number> = {
  ns: 1e-3,
  us: 1,
  ms: 1e3,
  s: 1e6,
  m: 60e6,
  h: 3600e6,
  d: 86400e6,
};

export const TIME_FORMS =
  "'min', 'max', or a number with a unit us, ms, s, m, h or d, e.g. 100ms, 1.5s, 2m (several, like '1 s 500 ms', add up)";

/**
 * A duration in microseconds. `bareUnitUs` is what a number without a unit means (damo's
 * JSON writes bare microseconds for `*_us` keys and bare milliseconds for `*_ms` keys);
 * undefined makes a unit mandatory, which is what the one-line language wants so that a
 * bare `5` cannot be misread as seconds or aggregation intervals.
 */
export function parseTimeUs(text: string, bareUnitUs?: number): number | 'max' {
  const t = text.trim();
  if (t === 'min') return 0;
  if (t === 'max') return 'max';
  const bare = parseNumber(t);
  if (bare !== undefined) {
    if (bareUnitUs === undefined) {
      throw new ValueFormError(`'${text}' has no time unit`, TIME_FORMS);
    }
    return bare * bareUnitUs;
  }
  // One or more "<number><unit>" terms, optionally separated by spaces ("1 s 500 ms").
  const termRe = /\s*([0-9.,eE+]+)\s*(ns|us|ms|s|m|h|d)(?![a-zA-Z])/y;
  let total = 0;
  let pos = 0;
  let terms = 0;
  while (pos < t.length) {
    termRe.lastIndex = pos;
    const m = termRe.exec(t);
    if (m === null) throw new ValueFormError(`'${text}' is not a duration`, TIME_FORMS);
    const n = parseNumber(m[1] ?? '');
    const unit = TIME_UNITS_US[m[2] ?? ''];
    if (n === undefined || unit === undefined) throw new ValueFormError(`'${text}' is not a duration`, TIME_FORMS);
    // The kernel-tree converter computes int(number * unit_us): 1.5s is exactly 1500000.
    total += unit >= 1 ? Math.trunc(n * unit) : n * unit;
    pos = termRe.lastIndex;
    terms += 1;
  }
  if (terms === 0) throw new ValueFormError(`'${text}' is not a duration`, TIME_FORMS);
  return total;
}

export const PERCENT_FORMS = "'min', 'max', or a percent of the highest possible frequency, e.g. 80, 33.3, 80%";

/** Access frequency in percent of aggr/sample; a bare number is a percent (damo's rule). */
export function parsePercent(text: string): number | 'max' {
  const t = text.trim();
  if (t === 'min') return 0;
  if (t === 'max') return 'max';
  const n = parseNumber(t.endsWith('%') ? t.slice(0, -1) : t);
  if (n === undefined) throw new ValueFormError(`'${text}' is not a percent`, PERCENT_FORMS);
  return n;
}

/** "<n>samples" or "<n> samples"; undefined when the text is not in that form. */
export function parseWithUnitWord(text: string, words: readonly string[]): number | undefined {
  const m = /^([0-9.,eE+]+)\s*([a-z_]+)$/.exec(text.trim());
  if (m === null || !words.includes(m[2] ?? '')) return undefined;
  return parseNumber(m[1] ?? '');
}

export const RATIO_FORMS = "a number, or a percent like '30 %'";

/** Per-mille value: a bare number is permil, 'N %' is N*10 (damo's text_to_permil). */
export function parsePermil(text: string): number {
  const t = text.trim();
  if (t === 'min') return 0;
  if (t.endsWith('%')) {
    const n = parseNumber(t.slice(0, -1));
    if (n !== undefined) return n * 10;
  } else {
    const n = parseNumber(t);
    if (n !== undefined) return n;
  }
  throw new ValueFormError(`'${text}' is not a ratio`, `${RATIO_FORMS} (a bare number is per-mille)`);
}

/** Basis points: a bare number is bp, 'N %' is N*100 (damo's text_to_bp). */
export function parseBp(text: string): number {
  const t = text.trim();
  if (t.endsWith('%')) {
    const n = parseNumber(t.slice(0, -1));
    if (n !== undefined) return n * 100;
  } else {
    const n = parseNumber(t);
    if (n !== undefined) return n;
  }
  throw new ValueFormError(`'${text}' is not a ratio`, `${RATIO_FORMS} (a bare number is basis points)`);
}

export const INTEGER_FORMS = 'a non-negative integer';

export function parseInteger(text: string): number {
  const n = parseNumber(text);
  if (n === undefined || !Number.isInteger(n)) throw new ValueFormError(`'${text}' is not an integer`, INTEGER_FORMS);
  return n;
}

export const BOOL_FORMS = "y, yes, true, n, no or false";

export function parseBool(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === 'y' || t === 'yes' || t === 'true') return true;
  if (t === 'n' || t === 'no' || t === 'false') return false;
  throw new ValueFormError(`'${text}' is not a boolean`, BOOL_FORMS);
}

// ---------------------------------------------------------------------------------------
// Exact writers.

/** Decimal text of a/b with at most `digits` fraction digits, or undefined if not exact. */
function exactDecimal(a: bigint, b: bigint, digits: number): string | undefined {
  const scale = 10n ** BigInt(digits);
  if ((a * scale) % b !== 0n) return undefined;
  const whole = a / b;
  let frac = ((a * scale) / b) % scale;
  if (frac === 0n) return whole.toString();
  let fracText = frac.toString().padStart(digits, '0');
  while (fracText.endsWith('0')) {
    fracText = fracText.slice(0, -1);
    frac /= 10n;
  }
  return `${whole}.${fracText}`;
}

const SIZE_WRITE_UNITS: Array<[string, string, bigint]> = [
  ['E', 'EiB', 1n << 60n],
  ['P', 'PiB', 1n << 50n],
  ['T', 'TiB', 1n << 40n],
  ['G', 'GiB', 1n << 30n],
  ['M', 'MiB', 1n << 20n],
  ['K', 'KiB', 1n << 10n],
];

/**
 * Exact size text with the largest binary unit that needs at most 3 decimals:
 * compact `1.5K` / `4097B` (the one-line language) or spaced `1.5 KiB` / `4097 B` (JSON).
 */
export function formatSizeExact(bytes: number | 'max', style: 'compact' | 'spaced'): string {
  if (bytes === 'max' || bytes >= ULONG_MAX_F) return 'max';
  const b = BigInt(Math.trunc(bytes));
  for (const [short, long, unit] of SIZE_WRITE_UNITS) {
    if (b < unit) continue;
    const text = exactDecimal(b, unit, 3);
    if (text !== undefined) return style === 'compact' ? `${text}${short}` : `${text} ${long}`;
  }
  return style === 'compact' ? `${b}B` : `${b} B`;
}

const TIME_WRITE_UNITS: Array<[string, number, boolean]> = [
  // [unit, microseconds, decimals allowed]
  ['d', 86400e6, false],
  ['h', 3600e6, false],
  ['m', 60e6, false],
  ['s', 1e6, true],
  ['ms', 1e3, true],
  ['us', 1, false],
];

/** Exact duration text: `1.5s`, `100ms`, `2m` (compact) or `1.5 s` (spaced). */
export function formatTimeExact(us: number | 'max', style: 'compact' | 'spaced'): string {
  if (us === 'max') return 'max';
  const sep = style === 'compact' ? '' : ' ';
  if (!Number.isInteger(us)) {
    const ns = Math.round(us * 1000);
    return `${ns}${sep}ns`;
  }
  const v = BigInt(us);
  for (const [unit, unitUs, decimals] of TIME_WRITE_UNITS) {
    const u = BigInt(unitUs);
    if (v < u && unitUs !== 1) continue;
    const text = exactDecimal(v, u, decimals ? 3 : 0);
    if (text !== undefined) return `${text}${sep}${unit}`;
  }
  return `${v}${sep}us`;
}

/** Shortest decimal that reads back as the same double (33.3, not 33.299999...). */
export function formatDecimal(n: number): string {
  return String(n);
}

/** Per-mille as a percent string, `30 %` for 300 (what damo's JSON uses). */
export function formatPermilAsPercent(permil: number): string {
  return `${formatDecimal(permil / 10)} %`;
}

/** Exact decimal of a non-negative integer, saturating at ULONG_MAX like the kernel's u64. */
export function ulongText(value: number): string {
  if (value >= ULONG_MAX_F) return ULONG_MAX.toString();
  return BigInt(Math.trunc(value)).toString();
}
