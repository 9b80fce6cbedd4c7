/**
 * What a monitoring session reports when it ends: the summary it returns, and, for a
 * recording, the two lines on stderr (or the JSON summary on stdout with --json).
 */
import { humanBytes, humanElapsed } from '../core/human.js';
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

/** "damo: recorded ... / damo: wrote ...; stopped because ...". */
export function recordSummaryText(summary: RecordSummary, stoppedBecause: string): string {
  const n = summary.targets.length;
  const nrWarnings = summary.warnings.length;
  return (
    `damo: recorded ${summary.nrSnapshots} snapshots (${summary.nrRegions} regions) of ${n} target${n === 1 ? '' : 's'} in ${humanElapsed(summary.elapsedNs)} with ${summary.sourceLabel}\n` +
    `damo: wrote ${summary.out ?? ''} (${humanBytes(summary.bytes)}); stopped because ${stoppedBecause}${nrWarnings > 0 ? `; ${nrWarnings} warning(s) above` : ''}\n`
  );
}
