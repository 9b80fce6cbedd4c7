// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a monitoring session reports when it ends: the summary it returns, and, for a
 * recording, the two lines on stderr (or the JSON summary on stdout with --json).
 */
import { humanBytes, humanElapsed, humanTime } from '../core/human.js';
import type { Ops, SourceKind, TraceTarget } from '../core/model.js';
import type { OutputFormat } from '../format/output_formats.js';
import type { OnlineSchemesSummary } from '../schemes/online_report.js';
import type { ExitInfo } from './target.js';
import { jsonConvention } from '../core/json_keys.js';

export interface RecordSummary {
  out: string | null;
  outputType: OutputFormat;
  source: SourceKind;
  sourceLabel: string;
  ops: Ops;
  targets: TraceTarget[];
  nrSnapshots: number;
  nrRegions: number;
  bytes: number;
  elapsedNs: number;
  endReason: string;
  targetExit: ExitInfo | null;
  warnings: string[];
  skippedSources: string[];
  /** The aggregation interval asked for (us), and the mean of the recorded ones (ns; null: no snapshot). */
  askedAggrUs?: number | null;
  meanAggrIntervalNs?: number | null;
  /** `damo schemes`: the final per-scheme statistics. */
  schemes?: OnlineSchemesSummary;
}

export interface RecordResult {
  exitCode: number;
  summary: RecordSummary;
}

/** The summary as JSON (target ids as strings: kernel ids exceed 2^53). */
export function recordSummaryJson(summary: RecordSummary): string {
  const json = { ...summary, targets: summary.targets.map((t) => ({ ...t, id: t.id === null ? null : t.id.toString() })) };
  return `${JSON.stringify(jsonConvention(json), null, 2)}\n`;
}

/** A recorded mean this far from the asked aggregation interval (either way) is reported. */
const STRETCH_FRACTION = 0.1;

/**
 * "aggregations averaged 167 ms, not the 100 ms asked ..." when they did, else null. DAMON
 * and the native engine count an aggregation in samples: a loaded machine or an access
 * check that costs time stretches them silently otherwise.
 */
export function aggregationStretchText(summary: RecordSummary): string | null {
  const asked = summary.askedAggrUs;
  const mean = summary.meanAggrIntervalNs;
  if (asked === null || asked === undefined || !(asked > 0) || mean === null || mean === undefined) return null;
  if (Math.abs(mean / (asked * 1000) - 1) <= STRETCH_FRACTION) return null;
  return (
    `aggregation intervals averaged ${humanTime(mean)}, not the ${humanTime(asked * 1000)} asked ` +
    '(sampling took longer than asked: a busy machine or a costly access check); reports use the recorded times'
  );
}

/** "damo: recorded ... / damo: wrote ...; stopped because ...". */
export function recordSummaryText(summary: RecordSummary, stoppedBecause: string): string {
  const n = summary.targets.length;
  const nrWarnings = summary.warnings.length;
  const stretch = aggregationStretchText(summary);
  return (
    `damo: recorded ${summary.nrSnapshots} snapshots (${summary.nrRegions} regions) of ${n} target${n === 1 ? '' : 's'} in ${humanElapsed(summary.elapsedNs)} with ${summary.sourceLabel}\n` +
    (stretch === null ? '' : `damo: ${stretch}\n`) +
    `damo: wrote ${summary.out ?? ''} (${humanBytes(summary.bytes)}); stopped because ${stoppedBecause}${nrWarnings > 0 ? `; ${nrWarnings} warning(s) above` : ''}\n`
  );
}
