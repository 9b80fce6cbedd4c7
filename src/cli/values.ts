// SPDX-License-Identifier: GPL-2.0-only
/**
 * Every option value the CLI parses: integers, sizes and addresses, times, ranges,
 * percents, file modes, target ids. One parser per kind of value, used by every command.
 *
 * Each parser takes the option's text and returns the value or throws commander's
 * InvalidArgumentError with a sentence saying what was wrong and what is accepted, so it can
 * be a commander argParser (commander then names the option: a usage error, exit 2). Values
 * a command parses itself (variadic options, values that depend on others) go through
 * optionValue(), which names the option in a DamoError E_USAGE instead.
 *
 * Units follow damo: sizes are damo's text_to_bytes ('4096', '4K', '1.5 MiB', '1,024'),
 * times without a unit are microseconds (text_to_us) unless a parser's name says otherwise.
 */
import { InvalidArgumentError, Option } from './commander.js';

import { DamoError } from '../core/errors.js';
import { textToBp, textToBytes, textToNs, textToUs } from '../core/fmt.js';
import { parseLabel, type Label } from '../fleet/labels.js';
import type { TimeBound } from '../report/heats.js';
import { SOURCE_CHOICES, type SourceChoice } from '../record/source_names.js';

/** Runs a parser on a value the command took apart itself; errors name the option. */
export function optionValue<T>(option: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new DamoError('E_USAGE', `${option}: ${err.message.replace(/\.$/, '')}`);
    throw err;
  }
}

/** `count` values of a variadic option, or undefined when it was not given. */
export function valuesOf(option: string, values: string[] | undefined, count: number, what: string): string[] | undefined {
  if (values === undefined) return undefined;
  if (values.length !== count) {
    throw new DamoError('E_USAGE', `${option} takes ${count === 2 ? 'two' : count === 3 ? 'three' : String(count)} values: ${what} (got ${values.length}${values.length > 0 ? `: ${values.join(' ')}` : ''})`);
  }
  return values;
}

/** `--time_range <start> <end>` of the heatmap reports (heats, html), or undefined. */
export function timeRangeOf(values: string[] | undefined): [TimeBound, TimeBound] | undefined {
  return valuesOf('--time_range', values, 2, '<start> <end>')?.map((x) => optionValue('--time_range', x, parseTimeBound)) as [TimeBound, TimeBound] | undefined;
}

/** `--address_range <start> <end>` of the heatmap reports (heats, html), or undefined. */
export function addressRangeOf(values: string[] | undefined): [number, number] | undefined {
  return valuesOf('--address_range', values, 2, '<start> <end>')?.map((x) => optionValue('--address_range', x, parseAddress)) as [number, number] | undefined;
}

/**
 * The two ends of a range as the user typed them and as parsed: a reversed range (and an
 * empty one, unless `allowEmpty`) is a usage error echoed in the user's own units.
 */
export function checkRangeOrder(option: string, texts: readonly [string, string], values: readonly [number, number], allowEmpty = false): void {
  const [from, to] = texts;
  if (values[1] < values[0]) {
    throw new DamoError('E_USAGE', `${option} ${from} ${to} is reversed: the end comes before the start`, {
      hint: `give the start first: ${option} ${to} ${from}`,
    });
  }
  if (!allowEmpty && values[1] === values[0]) {
    throw new DamoError('E_USAGE', `${option} ${from} ${to} is empty: the start and the end are the same`, {
      hint: 'the end is not part of the range; give an end after the start',
    });
  }
}

// ---------------------------------------------------------------------------------------
// Integers

/** A decimal or 0x-hex integer; commas between digit groups are allowed. */
export function parseInteger(value: string): number {
  const text = value.replace(/,/g, '').trim();
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) {
    throw new InvalidArgumentError(`'${value}' is not an integer.`);
  }
  const n = text.toLowerCase().startsWith('0x') || text.toLowerCase().startsWith('-0x')
    ? Number.parseInt(text, 16)
    : Number.parseInt(text, 10);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`'${value}' is too large.`);
  return n;
}

export function parseNonNegativeInteger(value: string): number {
  const n = parseInteger(value);
  if (n < 0) throw new InvalidArgumentError(`'${value}' must not be negative.`);
  return n;
}

export function parsePositiveInteger(value: string): number {
  const n = parseInteger(value);
  if (n <= 0) throw new InvalidArgumentError(`'${value}' must be greater than zero.`);
  return n;
}

/** For repeatable and variadic integer options: commander passes (value, previous). */
export function collectIntegers(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), parseInteger(value)];
}

/** A target id as damo prints it: decimal or 0x hex, exact beyond 2^53. */
export function parseTargetId(value: string): bigint {
  const text = value.replace(/,/g, '').trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw new InvalidArgumentError(`'${value}' is not a target id.`);
  return BigInt(text);
}

/** Python's range(start, stop, step) given as three integers (`-r 0 101 25`). */
export function parseRange(values: string[] | undefined, option = '--range'): [number, number, number] | undefined {
  const v = valuesOf(option, values, 3, '<start> <stop> <step>');
  if (v === undefined) return undefined;
  const nums = v.map((x) => {
    if (!/^-?\d+$/.test(x.trim())) throw new DamoError('E_USAGE', `${option}: '${x}' is not an integer`);
    return Number(x);
  }) as [number, number, number];
  if (nums[2] === 0) throw new DamoError('E_USAGE', `${option}: the step must not be 0`);
  return nums;
}

// ---------------------------------------------------------------------------------------
// Plain numbers, fractions and percents

export function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`'${value}' is not a positive number.`);
  return n;
}

/** A fraction in (0, 1]. */
export function parseFraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError(`'${value}' is not a number in (0, 1].`);
  return n;
}

/** A correlation coefficient in [-1, 1]. */
export function parseCorrelation(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < -1 || n > 1) throw new InvalidArgumentError(`'${value}' is not a number in [-1, 1].`);
  return n;
}

/** A non-negative percent, with or without '%'. */
export function parsePercent(value: string): number {
  const text = value.trim().replace(/%$/, '');
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a non-negative percentage.`);
  return n;
}

// ---------------------------------------------------------------------------------------
// Sizes and addresses

/** A size in bytes: a plain number or damo's unit forms ('4K', '1.5 MiB', 'max'). */
export function parseSize(value: string): number {
  let n: number;
  try {
    n = textToBytes(value);
  } catch {
    n = NaN;
  }
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a size (bytes, or e.g. 4K, 1.5 MiB).`);
  return n;
}

/** A size of more than zero bytes. */
export function parsePositiveSize(value: string): number {
  const bytes = parseSize(value);
  if (bytes <= 0) throw new InvalidArgumentError(`'${value}' must be larger than 0 bytes.`);
  return bytes;
}

/** An address or byte count: 0x hex, decimal, or a size like '4 KiB' or "86.245 TiB"; below 2^53. */
export function parseAddress(value: string): number {
  const t = value.trim();
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(t)) {
    v = Number.parseInt(t, 16);
  } else {
    try {
      v = textToBytes(t);
    } catch {
      v = NaN;
    }
  }
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new InvalidArgumentError(`'${value}' is not an address below 2^53 (decimal, 0x hex, or a size like 4 KiB or "86.245 TiB").`);
  }
  return v;
}

/** "start-end" address ranges separated by blanks or commas, sorted and non-overlapping. */
export function parseAddressRanges(texts: string[], option = '--regions'): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const part of texts.flatMap((t) => t.split(/[\s,]+/)).filter((s) => s.length > 0)) {
    const m = /^(.+?)-(.+)$/.exec(part);
    if (m === null) throw new DamoError('E_USAGE', `${option}: '${part}' is not <start>-<end>`);
    const start = optionValue(option, m[1] as string, parseAddress);
    const end = optionValue(option, m[2] as string, parseAddress);
    if (end <= start) throw new DamoError('E_USAGE', `${option}: '${part}' ends before it starts`);
    out.push([start, end]);
  }
  out.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < out.length; i++) {
    if ((out[i] as [number, number])[0] < (out[i - 1] as [number, number])[1]) {
      throw new DamoError('E_USAGE', `${option}: ranges overlap; give sorted, non-overlapping ranges`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Times

/** A time in whole microseconds, like damo's text_to_us: bare numbers are µs ('5000', '5ms', '1.5 s'). */
/** Basis points, as damo reads them (`text_to_bp`): a bare number is bp, 'N%' is N * 100. */
export function parseBpValue(value: string): number {
  let bp: number;
  try {
    bp = textToBp(value.trim());
  } catch {
    bp = NaN;
  }
  if (!Number.isFinite(bp) || bp < 0) throw new InvalidArgumentError(`'${value}' is not a ratio (examples: 400 for basis points, 4%).`);
  return bp;
}

export function parseTimeUs(value: string): number {
  let us: number;
  try {
    us = textToUs(value.trim());
  } catch {
    us = NaN;
  }
  if (!Number.isFinite(us) || us < 0) throw new InvalidArgumentError(`'${value}' is not a time (examples: 5000, 5ms, 1.5s, 2m).`);
  return Math.round(us);
}

/** A positive time in whole microseconds, for intervals ('5000', '5ms', '1s'). */
export function parsePositiveTimeUs(value: string): number {
  const us = parseTimeUs(value);
  if (us <= 0) throw new InvalidArgumentError(`'${value}' must be longer than 0 (examples: 5000, 5ms, 1.5s).`);
  return us;
}

/**
 * A duration in seconds: a bare number is seconds, or a time with a unit ('30', '0.5',
 * '1.5s', '500ms', '2m', "1 m 30 s"). Every option that counts seconds reads it this way.
 */
function secondsOf(value: string): number {
  const t = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  const neg = t.startsWith('-');
  let ns: number;
  try {
    ns = textToNs(neg ? t.slice(1).trim() : t);
  } catch {
    ns = NaN;
  }
  return (neg ? -ns : ns) / 1e9;
}

/** A positive number of seconds ('30', '0.5', '1.5s', '500ms', '2m'). */
export function parseSeconds(value: string): number {
  const n = secondsOf(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`'${value}' is not a positive number of seconds (or a time with a unit: 1.5s, 500ms, 2m).`);
  return n;
}

/** A number of seconds, for offsets that may be zero or negative (`--duration`). */
export function parseSecondsOffset(value: string): number {
  const n = secondsOf(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`'${value}' is not a time (seconds, or with a unit: 1.5, 1.5s, 500ms).`);
  return n;
}

/** A short delay in ns, read as parseSeconds does but zero allowed; at most an hour. */
export function parseDelayNs(value: string): number {
  const n = secondsOf(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a duration (seconds, or with a unit: 2, 1.5s, 500ms).`);
  if (n > 3600) throw new InvalidArgumentError(`'${value}' is longer than an hour.`);
  return Math.round(n * 1e9);
}

/** A bound of `report heats --time_range`: plain numbers are absolute ns, values with a unit are relative. */
export function parseTimeBound(value: string): TimeBound {
  const t = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return { ns: Number(t), relative: false };
  const neg = t.startsWith('-');
  let ns: number;
  try {
    ns = textToNs(neg ? t.slice(1).trim() : t);
  } catch {
    ns = NaN;
  }
  if (!Number.isFinite(ns)) throw new InvalidArgumentError(`'${value}' is not a time (use ns numbers, or values like 10s, 1500ms, "1 m 30 s").`);
  return { ns: neg ? -ns : ns, relative: true };
}

// ---------------------------------------------------------------------------------------
// Files

/** An octal file mode like 600 or 644 (a leading 0 is allowed). */
export function parseFileMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidArgumentError(`'${value}' is not an octal file mode like 600 or 644.`);
  return Number.parseInt(value, 8);
}

// ---------------------------------------------------------------------------------------
// damo 3.x record filter bounds ('min' and 'max' stand for the extremes)

/** A bound parser: 'min' is 0, 'max' is Infinity, anything else goes to `parse`. */
function withMinMax(parse: (value: string) => number): (value: string) => number {
  return (value) => (value === 'min' ? 0 : value === 'max' ? Infinity : parse(value));
}

/** A size bound: bytes or damo's unit forms, 'min' (0) or 'max'. */
export const parseSizeBound = withMinMax(parseSize);

/** A percent bound: a number with or without '%', 'min' (0) or 'max'. */
export const parsePercentBound = withMinMax(parsePercent);

/** A bound in seconds (damo's --age): a non-negative number, 'min' or 'max'. */
export const parseSecondsBound = withMinMax((value) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a non-negative number of seconds (or min, max).`);
  return n;
});

/** A time in ns the damo way: plain numbers are ns, or '1.5 s', '200ms', 'min', 'max'. */
export function parseTimeNs(value: string): number {
  let ns: number;
  try {
    ns = textToNs(value.trim());
  } catch {
    ns = NaN;
  }
  if (!Number.isFinite(ns) && value !== 'max') throw new InvalidArgumentError(`'${value}' is not a time (ns, or values like 10s, 1500ms, "1 m 30 s").`);
  return ns;
}

// ---------------------------------------------------------------------------------------
// Labels

/** `--label key=value`, repeatable: the checks live with the fleet schema (fleet/labels.ts). */
export function collectLabel(value: string, previous: Label[] | undefined): Label[] {
  return [...(previous ?? []), parseLabel(value)];
}

/** A weight: a positive finite number ('1', '250', '0.5'). */
export function parseWeight(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`'${value}' is not a positive number.`);
  return n;
}

// ---------------------------------------------------------------------------------------
// Environment defaults

/** The variable that sets `damo record --source` when the option is not given. */
export const RECORD_SOURCE_ENV = 'DAMO_RECORD_SOURCE';

/**
 * `--source` of `damo record`: the option when given, else $DAMO_RECORD_SOURCE when set
 * (scripts, CI and tests force the native engine with it), else auto.
 */
export function recordSource(option: string, given: boolean, env: NodeJS.ProcessEnv): 'auto' | SourceChoice {
  const fromEnv = env[RECORD_SOURCE_ENV];
  if (given || fromEnv === undefined || fromEnv === '') return option as 'auto' | SourceChoice;
  const choices: readonly string[] = ['auto', ...SOURCE_CHOICES];
  if (!choices.includes(fromEnv)) {
    throw new DamoError('E_USAGE', `${RECORD_SOURCE_ENV}=${fromEnv} is not a source; use one of ${choices.join(', ')} (or unset it)`);
  }
  return fromEnv as 'auto' | SourceChoice;
}

/** damo 3.3.0's `--damon_interface_DEPRECATED` values. */
export const DAMON_INTERFACES = ['sysfs', 'debugfs', 'auto'] as const;
export type DamonInterface = (typeof DAMON_INTERFACES)[number];

/** `--damon_interface_DEPRECATED` of start, stop and report damon. */
export function kdamondInterfaceOption(): Option {
  return new Option(
    '--damon_interface_DEPRECATED <interface>',
    "DAMON interface, as in damo: sysfs, debugfs (the deprecated one of Linux 5.15-6.13: one kdamond, one context, the 5.16-era scheme fields), or auto (sysfs when it is there, else debugfs; stop follows what start recorded)",
  ).choices(DAMON_INTERFACES);
}

/** `--debugfs_root`, beside `--damon_interface_DEPRECATED`. */
export function debugfsRootOption(defaultRoot: string): Option {
  return new Option('--debugfs_root <dir>', 'DAMON debugfs directory (for --damon_interface_DEPRECATED debugfs)').default(defaultRoot);
}

/** `damo tune` works through sysfs only: DAMON debugfs refuses every change while it monitors. */
export function checkTuneInterface(iface: DamonInterface | undefined): void {
  if (iface === 'debugfs') {
    throw new DamoError('E_UNSUPPORTED', '--damon_interface_DEPRECATED debugfs: damo tune cannot change a kdamond over DAMON debugfs, which refuses (EBUSY) writes to attrs, target_ids, init_regions and schemes while monitoring is on', {
      hint: "'damo stop' and 'damo start' again with the new parameters, or use DAMON sysfs",
    });
  }
}

/**
 * The record source that damo's `--damon_interface_DEPRECATED` asks for. damo controls DAMON
 * through that interface and reads results from the tracepoint: `debugfs` is our debugfs
 * source; `sysfs` is a sysfs-controlled source (tracefs stream or sysfs snapshots, which
 * `auto` tries first); `auto` changes nothing. A --source that contradicts it is refused.
 */
export function sourceForDamonInterface(iface: DamonInterface | undefined, source: 'auto' | SourceChoice): 'auto' | SourceChoice {
  if (iface === undefined || iface === 'auto') return source;
  const fits: readonly string[] = iface === 'debugfs' ? ['auto', 'debugfs'] : ['auto', 'tracefs', 'sysfs'];
  if (!fits.includes(source)) {
    throw new DamoError('E_USAGE', `--damon_interface_DEPRECATED ${iface} contradicts --source ${source}`, { hint: `drop one of them (${iface === 'debugfs' ? '--source debugfs' : '--source tracefs or sysfs'} is what it means)` });
  }
  return iface === 'debugfs' ? 'debugfs' : source;
}
