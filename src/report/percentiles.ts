// SPDX-License-Identifier: GPL-2.0-only
/**
 * The percentiles a user asks reports to print (`report wss -r`, `report nr_regions -r`,
 * `report access --percentiles_range`), checked before the list is built: a percentile is
 * within 0..100, so a valid list has at most 101 distinct entries, and `-r 0 1000000000 1`
 * is a usage error instead of a billion-entry array.
 */
import { DamoError } from '../core/errors.js';

export const MIN_PERCENTILE = 0;
export const MAX_PERCENTILE = 100;

function outOfRange(option: string, p: number): DamoError {
  return new DamoError('E_USAGE', `${option}: percentile ${p} is out of range: percentiles must be within ${MIN_PERCENTILE}..${MAX_PERCENTILE}`, {
    hint: `e.g. ${option} 0 101 25 gives the 0th, 25th, 50th, 75th and 100th percentiles`,
  });
}

function inRange(p: number): boolean {
  return p >= MIN_PERCENTILE && p <= MAX_PERCENTILE;
}

/** Python's len(range(start, stop, step)). */
function rangeLength(start: number, stop: number, step: number): number {
  if (step > 0) return start < stop ? Math.ceil((stop - start) / step) : 0;
  return start > stop ? Math.ceil((start - stop) / -step) : 0;
}

/**
 * The values of Python's range(start, stop, step), each a percentile. Fails with a usage
 * error naming the first value outside 0..100, or saying the range is empty, before it
 * builds more than 101 values.
 */
export function percentilesOfRange(option: string, range: readonly [number, number, number]): number[] {
  const [start, stop, step] = range;
  if (step === 0) throw new DamoError('E_USAGE', `${option}: the step must not be 0`);
  const len = rangeLength(start, stop, step);
  if (len === 0) {
    throw new DamoError('E_USAGE', `${option} ${start} ${stop} ${step} gives no percentile: range(${start}, ${stop}, ${step}) is empty`, {
      hint: `the stop is not included and the step must lead from the start to the stop, e.g. ${option} 0 101 25`,
    });
  }
  const out: number[] = [];
  for (let i = 0; i < len; i++) {
    const p = start + i * step;
    if (!inRange(p)) throw outOfRange(option, p);
    out.push(p);
  }
  return out;
}

/** A list of percentiles given one by one. */
export function checkPercentiles(option: string, percentiles: readonly number[]): void {
  for (const p of percentiles) if (!inRange(p)) throw outOfRange(option, p);
}
