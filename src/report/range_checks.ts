// SPDX-License-Identifier: GPL-2.0-only
/**
 * Time and address ranges the user gives a heatmap, checked against what the record holds:
 * a range outside the record's time span or address bounds, or one that falls in a gap
 * between its monitored ranges, would draw nothing (damo prints an all-NaN map or fails
 * with a Python TypeError). These are usage errors that say what the record spans.
 */
import { DamoError } from '../core/errors.js';
import { formatTimeNs } from '../core/fmt.js';
import type { GuideInfo } from './guide.js';

const GUIDE_HINT = 'run with --guide to see the time span and the contiguous address ranges of each record';
/** Monitored ranges listed in a message; the rest are counted. */
const MAX_LISTED_RANGES = 6;

function addrText(a: number): string {
  return `${a} (0x${a.toString(16)})`;
}

/** A time range [start, end) in the record's absolute ns that must overlap `span`. */
/** `range` and `span` are relative to the recording's base; `displayBaseNs` makes them absolute for the message. */
export function checkTimeOverlaps(
  option: string,
  typed: string,
  range: readonly [number, number],
  span: readonly [number, number],
  displayBaseNs: number,
  who: string,
): void {
  if (range[1] > span[0] && range[0] < span[1]) return;
  const from = span[0] + displayBaseNs;
  const to = span[1] + displayBaseNs;
  throw new DamoError(
    'E_USAGE',
    `${option} ${typed} is outside ${who}, which spans ${formatTimeNs(from, false)} to ${formatTimeNs(to, false)} ` +
      `(${from} to ${to} ns of the recording's clock)`,
    { hint: `times are absolute unless a third value makes them relative ('guided': to the record's start); ${GUIDE_HINT}` },
  );
}

/** An address range [start, end) that must overlap the record's lowest to highest address. */
export function checkAddressOverlaps(option: string, typed: string, range: readonly [number, number], guide: GuideInfo, who: string): void {
  const lo = guide.lowestAddr;
  const hi = guide.highestAddr;
  if (lo === null || hi === null || (range[1] > lo && range[0] < hi)) return;
  throw new DamoError('E_USAGE', `${option} ${typed} matches nothing in ${who}: its regions span ${addrText(lo)} to ${addrText(hi)}`, { hint: GUIDE_HINT });
}

function rangesText(ranges: ReadonlyArray<readonly [number, number]>): string {
  const listed = ranges.slice(0, MAX_LISTED_RANGES).map(([s, e]) => `[${s}, ${e})`);
  if (ranges.length > MAX_LISTED_RANGES) listed.push(`and ${ranges.length - MAX_LISTED_RANGES} more`);
  return listed.join(', ');
}

/**
 * The error for a map whose every cell stayed empty although the ranges passed the checks
 * above: an address range in a gap between the record's monitored ranges says which gap;
 * otherwise the ranges selected no region (e.g. a time range before any region's data).
 */
export function nothingDrawn(addressTyped: string | null, timeTyped: string | null, range: readonly [number, number], guide: GuideInfo, who: string): DamoError {
  const monitored = guide.contigRegions.map((r): [number, number] => [r.start, r.end]);
  const overlaps = monitored.some(([s, e]) => range[0] < e && s < range[1]);
  if (addressTyped !== null && !overlaps && guide.lowestAddr !== null && guide.highestAddr !== null) {
    let gapStart = guide.lowestAddr;
    let gapEnd = guide.highestAddr;
    for (const [s, e] of monitored) {
      if (e <= range[0]) gapStart = Math.max(gapStart, e);
      if (s >= range[1]) gapEnd = Math.min(gapEnd, s);
    }
    return new DamoError(
      'E_USAGE',
      `--address_range ${addressTyped} falls in a gap of ${who}, between ${addrText(gapStart)} and ${addrText(gapEnd)}: ` +
        `no region was recorded there; its monitored ranges (as --guide lists them) are ${rangesText(monitored)}`,
      { hint: GUIDE_HINT },
    );
  }
  const asked = [addressTyped === null ? null : `--address_range ${addressTyped}`, timeTyped === null ? null : `--time_range ${timeTyped}`]
    .filter((x) => x !== null)
    .join(' with ');
  return new DamoError('E_USAGE', `${asked} selects no recorded region of ${who}: every cell of the map would be empty (NaN)`, { hint: GUIDE_HINT });
}
