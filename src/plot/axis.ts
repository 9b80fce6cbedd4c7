// SPDX-License-Identifier: GPL-2.0-only
/**
 * Axis scales and tick labels in the units people read: time in s/ms/us/ns, sizes in
 * binary units, absolute addresses in hex. Tick positions come from d3-scale's "nice"
 * steps; only the label text is ours.
 */
import { scaleLinear } from 'd3-scale';

import { sizeUnitFor, timeUnitFor } from '../core/human.js';

export interface Tick {
  /** Position in the axis' data domain (ns, bytes, ...). */
  value: number;
  label: string;
}

export interface AxisSpec {
  ticks: Tick[];
  /** Axis title, with the unit the tick labels use. */
  title: string;
}

/** Ticks over [0, span] in `unit`, positioned at `origin + k * unit`. */
function linearTicks(origin: number, span: number, unitSize: number, count: number, suffix: string): Tick[] {
  const scale = scaleLinear().domain([0, span / unitSize]);
  const fmt = scale.tickFormat(count);
  return scale.ticks(count).map((v) => ({ value: origin + v * unitSize, label: fmt(v) + suffix }));
}

/**
 * Time axis over [start, end] ns. Relative (default): seconds (or ms...) since `start`.
 * Absolute: the recording's own clock values, in the same unit.
 */
export function timeAxis(startNs: number, endNs: number, absolute: boolean, count = 8): AxisSpec {
  const span = endNs - startNs;
  const [unit, unitNs] = timeUnitFor(span);
  if (!absolute) {
    return { ticks: linearTicks(startNs, span, unitNs, count, ''), title: `time (${unit})` };
  }
  const scale = scaleLinear().domain([startNs / unitNs, endNs / unitNs]);
  const fmt = scale.tickFormat(count);
  return {
    ticks: scale.ticks(count).map((v) => ({ value: v * unitNs, label: fmt(v) })),
    title: `time (${unit}, recording clock)`,
  };
}

export function hex(addr: number): string {
  return '0x' + Math.round(addr).toString(16);
}

/**
 * Address axis over [start, end). Relative (default): offsets from `start` in a binary
 * unit. Absolute: hex addresses at power-of-two multiples, so labels end in zeros.
 */
export function addressAxis(start: number, end: number, absolute: boolean, count = 8): AxisSpec {
  const span = end - start;
  if (!absolute) {
    const [unit, unitBytes] = sizeUnitFor(span);
    return { ticks: linearTicks(start, span, unitBytes, count, ''), title: `offset from ${hex(start)} (${unit})` };
  }
  let step = 1;
  while (span / (step * 2) >= count / 2) step *= 2;
  const ticks: Tick[] = [];
  for (let v = Math.ceil(start / step) * step; v <= end; v += step) ticks.push({ value: v, label: hex(v) });
  return { ticks, title: 'address' };
}

/** Plain numeric axis (percentiles, counts). */
export function numberAxis(min: number, max: number, count = 8): Tick[] {
  const scale = scaleLinear().domain([min, max]);
  const fmt = scale.tickFormat(count);
  return scale.ticks(count).map((v) => ({ value: v, label: fmt(v) }));
}

/** Axis of byte values starting at 0, labelled in one binary unit chosen for `max`. */
export function bytesAxis(max: number, count = 8): AxisSpec & { unit: string } {
  const [unit, unitBytes] = sizeUnitFor(max);
  return { ticks: linearTicks(0, max, unitBytes, count, ''), title: unit, unit };
}
