/**
 * Option values of `damo record` with units: times ("5ms", "1.5 s", bare numbers are µs as
 * in damo) and sizes/addresses ("4096", "0x1000", "4 KiB", "1G").
 */
import { DamoError } from '../core/errors.js';

const TIME_US: Record<string, number> = {
  ns: 1e-3,
  us: 1,
  ms: 1e3,
  s: 1e6,
  sec: 1e6,
  m: 60e6,
  min: 60e6,
  h: 3600e6,
  d: 86400e6,
};

/** A time in microseconds; a bare number is already µs (damo's -s/-a/-u convention). */
export function parseTimeUs(text: string, what: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*([a-z]*)\s*$/i.exec(text.replace(/,/g, ''));
  const unit = m?.[2]?.toLowerCase() ?? '';
  const factor = unit === '' ? 1 : TIME_US[unit];
  if (m === null || factor === undefined) {
    throw new DamoError('E_USAGE', `${what}: '${text}' is not a time (examples: 5000, 5ms, 1.5s, 2m)`);
  }
  const us = Number(m[1]) * factor;
  if (!Number.isFinite(us) || us < 0) throw new DamoError('E_USAGE', `${what}: '${text}' is out of range`);
  return Math.round(us);
}

const SIZE: Record<string, number> = {
  '': 1,
  b: 1,
  k: 2 ** 10,
  kb: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mb: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gb: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tb: 2 ** 40,
  tib: 2 ** 40,
};

/** A byte count or address: decimal, 0x-hex, or a number with a binary unit. */
export function parseBytes(text: string, what: string): number {
  const t = text.replace(/,/g, '').trim();
  if (/^0x[0-9a-f]+$/i.test(t)) {
    const v = Number.parseInt(t, 16);
    if (!Number.isSafeInteger(v)) throw new DamoError('E_USAGE', `${what}: '${text}' is too large`);
    return v;
  }
  const m = /^([0-9]*\.?[0-9]+)\s*([a-z]*)$/i.exec(t);
  const factor = m === null ? undefined : SIZE[(m[2] ?? '').toLowerCase()];
  if (m === null || factor === undefined) throw new DamoError('E_USAGE', `${what}: '${text}' is not a size or address (examples: 4096, 0x1000, 4 KiB)`);
  const v = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(v)) throw new DamoError('E_USAGE', `${what}: '${text}' is too large`);
  return v;
}

/** "start-end" ranges separated by spaces or commas, sorted and non-overlapping. */
export function parseRegions(texts: string[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const part of texts.flatMap((t) => t.split(/[\s,]+/)).filter((s) => s.length > 0)) {
    const m = /^(.+?)-(.+)$/.exec(part);
    if (m === null) throw new DamoError('E_USAGE', `--regions: '${part}' is not <start>-<end>`);
    const start = parseBytes(m[1] as string, '--regions');
    const end = parseBytes(m[2] as string, '--regions');
    if (end <= start) throw new DamoError('E_USAGE', `--regions: '${part}' ends before it starts`);
    out.push([start, end]);
  }
  out.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < out.length; i++) {
    if ((out[i] as [number, number])[0] < (out[i - 1] as [number, number])[1]) {
      throw new DamoError('E_USAGE', '--regions: ranges overlap; give sorted, non-overlapping ranges');
    }
  }
  return out;
}

/** "1.2 MiB" style, for status lines and summaries. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}`;
}

export function humanSeconds(ns: number): string {
  const s = ns / 1e9;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
