// SPDX-License-Identifier: GPL-2.0-only
/**
 * What `damo schemes -c FILE <target>` prints when it ends: a per-scheme statistics table
 * (the kernel's counters, or ours from the native engine) on stdout, `--json` for
 * machines, and the one-line status shown while it runs.
 */
import { formatNr, formatSz, formatTimeNs, padLeft, padRight } from '../core/fmt.js';
import type { SchemeStatsRecord } from '../core/model.js';
import { describeScheme, type DamosAction, type Scheme } from './model.js';
import type { RangeFailure } from './online_native.js';
import { formatSchemeLine } from './text.js';

export interface OnlineSchemeResult {
  index: number;
  /** The scheme in the one-line language. */
  line: string;
  description: string;
  action: DamosAction;
  stats: { nrTried: number; szTried: number; nrApplied: number; szApplied: number; qtExceeds: number };
  /** Native engine only: ranges process_madvise() failed on, and its cost. */
  failures?: RangeFailure[];
  nrSyscalls?: number;
  actionNs?: number;
}

export interface OnlineSchemesSummary {
  /** The schemes file, or `<command line>`. */
  name: string;
  backend: 'sysfs' | 'debugfs' | 'native';
  /** e.g. "kernel DAMON (sysfs kdamond 0 pid 812)". */
  backendLabel: string;
  target: string;
  intervals: { sampleUs: number; aggrUs: number };
  elapsedNs: number;
  /** Why it stopped, in words. */
  stoppedBecause: string;
  /** The trace written alongside, if any. */
  out: string | null;
  schemes: OnlineSchemeResult[];
}

/** Latest statistics per scheme index (records carry cumulative counters). */
export function latestStats(schemes: readonly Scheme[], records: readonly SchemeStatsRecord[] | null): OnlineSchemeResult[] {
  return schemes.map((s, i) => {
    const r = records?.find((x) => x.schemeIndex === i);
    return {
      index: i,
      line: formatSchemeLine(s),
      description: describeScheme(s, i),
      action: s.action,
      stats: {
        nrTried: r?.nrTried ?? 0,
        szTried: r?.szTriedBytes ?? 0,
        nrApplied: r?.nrApplied ?? 0,
        szApplied: r?.szAppliedBytes ?? 0,
        qtExceeds: r?.qtExceeds ?? 0,
      },
    };
  });
}

/** The status line: per scheme, what it applied so far. */
export function onlineStatusText(elapsedNs: number, results: readonly OnlineSchemeResult[]): string {
  const parts = results.map((r) => `#${r.index} ${r.action} ${r.action === 'stat' ? `tried ${formatSz(r.stats.szTried, false)}` : `applied ${formatSz(r.stats.szApplied, false)} in ${formatNr(r.stats.nrApplied, false)} regions`}`);
  return `damo: schemes ${formatTimeNs(elapsedNs, false)}  ${parts.join('  ')}`;
}

export function formatOnlineText(s: OnlineSchemesSummary, raw: boolean): string {
  const lines: string[] = [];
  const n = s.schemes.length;
  lines.push(`# ${n} scheme${n === 1 ? '' : 's'} from ${s.name} applied to ${s.target} by ${s.backendLabel} for ${formatTimeNs(s.elapsedNs, raw)}; stopped because ${s.stoppedBecause}`);
  lines.push(`# intervals: sample ${formatTimeNs(s.intervals.sampleUs * 1000, raw)}, aggregation ${formatTimeNs(s.intervals.aggrUs * 1000, raw)}${s.out !== null ? `; trace with statistics in ${s.out}` : ''}`);
  const header = ['#', 'action', 'nr_tried', 'sz_tried', 'nr_applied', 'sz_applied', 'qt_exceeds'];
  const rows = s.schemes.map((r) => [
    String(r.index),
    r.action,
    formatNr(r.stats.nrTried, raw),
    formatSz(r.stats.szTried, raw),
    formatNr(r.stats.nrApplied, raw),
    formatSz(r.stats.szApplied, raw),
    formatNr(r.stats.qtExceeds, raw),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const fmtRow = (row: string[]): string =>
    row
      .map((cell, c) => (c <= 1 ? padRight(cell, widths[c] ?? 0) : padLeft(cell, widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  lines.push(fmtRow(header));
  for (const row of rows) lines.push(fmtRow(row));
  for (const r of s.schemes) {
    lines.push('');
    lines.push(`${r.description}: ${r.line}`);
    if (r.nrSyscalls !== undefined) {
      lines.push(`    process_madvise: ${formatNr(r.nrSyscalls, raw)} calls, ${formatTimeNs(r.actionNs ?? 0, raw)}`);
    }
    for (const f of r.failures ?? []) {
      lines.push(`    failed on ${formatNr(f.nrRanges, raw)} range${f.nrRanges === 1 ? '' : 's'} (${formatSz(f.bytes, raw)}) with ${f.errno}: ${f.meaning}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function onlineJson(s: OnlineSchemesSummary): unknown {
  return {
    schemes_source: s.name,
    backend: s.backend,
    backend_label: s.backendLabel,
    target: s.target,
    intervals: { sample_us: s.intervals.sampleUs, aggr_us: s.intervals.aggrUs },
    elapsed_ns: s.elapsedNs,
    stopped_because: s.stoppedBecause,
    out: s.out,
    schemes: s.schemes.map((r) => ({
      index: r.index,
      scheme: r.line,
      description: r.description,
      action: r.action,
      stats: {
        nr_tried: r.stats.nrTried,
        sz_tried: r.stats.szTried,
        nr_applied: r.stats.nrApplied,
        sz_applied: r.stats.szApplied,
        qt_exceeds: r.stats.qtExceeds,
      },
      ...(r.nrSyscalls !== undefined
        ? {
            process_madvise: {
              nr_calls: r.nrSyscalls,
              time_ns: r.actionNs ?? 0,
              failures: (r.failures ?? []).map((f) => ({ errno: f.errno, nr_ranges: f.nrRanges, bytes: f.bytes, meaning: f.meaning })),
            },
          }
        : {}),
    })),
  };
}
