/**
 * Axis scales and tick labels in the units people read: time in s/ms/us/ns, sizes in
 * binary units, absolute addresses in hex. Tick positions come from d3-scale's "nice"
 * steps; only the label text is ours.
 */
import { scaleLinear } from 'd3-scale';

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

const TIME_UNITS: Array<[string, number]> = [
  ['h', 3600e9],
  ['min', 60e9],
  ['s', 1e9],
  ['ms', 1e6],
  ['us', 1e3],
  ['ns', 1],
];

/**
 * Largest time unit that `ns` covers at least `times` times (axes: twice, so 56 s is in
 * s and 800 ms in ms). Minutes and hours are skipped: decimal minutes read badly.
 */
export function timeUnitFor(ns: number, times = 2): [string, number] {
  for (const u of TIME_UNITS) {
    if (u[0] === 'h' || u[0] === 'min') continue;
    if (ns >= times * u[1]) return u;
  }
  return ['ns', 1];
}

const SIZE_UNITS: Array<[string, number]> = [
  ['TiB', 2 ** 40],
  ['GiB', 2 ** 30],
  ['MiB', 2 ** 20],
  ['KiB', 2 ** 10],
  ['B', 1],
];

export function sizeUnitFor(bytes: number, times = 2): [string, number] {
  for (const u of SIZE_UNITS) if (bytes >= times * u[1]) return u;
  return ['B', 1];
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

/** Human text of a duration for titles: 56.69 s, 113.4 ms. */
export function humanTime(ns: number): string {
  const [unit, unitNs] = timeUnitFor(Math.abs(ns), 1);
  return `${fixed(ns / unitNs)} ${unit}`;
}

/** Human text of a size for titles: 196.8 MiB. */
export function humanSize(bytes: number): string {
  const [unit, unitBytes] = sizeUnitFor(Math.abs(bytes), 1);
  return `${fixed(bytes / unitBytes)} ${unit}`;
}

function fixed(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 100 ? 1 : a >= 10 ? 2 : 3;
  return Number.isInteger(v) ? String(v) : v.toFixed(digits).replace(/\.?0+$/, '');
}
