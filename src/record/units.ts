/**
 * Option values of `damo record` with units, on top of damo's own text parsers (core/fmt):
 * times ("5ms", "1.5 s"; bare numbers are µs as in damo) and sizes/addresses ("4096",
 * "0x1000", "4 KiB", "1G").
 */
import { DamoError } from '../core/errors.js';
import { textToBytes, textToUs } from '../core/fmt.js';

/** A time in microseconds, parsed like damo's text_to_us: bare numbers are µs. */
export function parseTimeUs(text: string, what: string): number {
  let us: number;
  try {
    us = textToUs(text.trim());
  } catch {
    us = NaN;
  }
  if (!Number.isFinite(us) || us < 0) {
    throw new DamoError('E_USAGE', `${what}: '${text}' is not a time (examples: 5000, 5ms, 1.5s, 2m)`);
  }
  return Math.round(us);
}

/** A byte count or address: 0x-hex, or damo's text_to_bytes ('4096', '4 KiB', '1G', '1,024'). */
export function parseBytes(text: string, what: string): number {
  const t = text.trim();
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
    throw new DamoError('E_USAGE', `${what}: '${text}' is not a size or address below 2^53 (examples: 4096, 0x1000, 4 KiB)`);
  }
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
