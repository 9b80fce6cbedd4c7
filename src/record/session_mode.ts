// SPDX-License-Identifier: GPL-2.0-only
/**
 * The two things a monitoring session can be for, as strategies over one loop
 * (record/session.ts): recording a trace (`damo record`, recording_mode.ts) and applying
 * schemes (`damo schemes -c`, schemes_mode.ts). The loop owns targets, sources, the trace
 * file, endings and restoring; a mode picks the source, says what is going on, and ends
 * with its summary.
 */
import type { SchemeStatsRecord, Snapshot, TraceEvent } from '../core/model.js';
import type { Scheme } from '../schemes/model.js';
import type { Detection, NativeAvailability } from './detect.js';
import type { RecordDeps } from './deps.js';
import type { ResolvedRequest } from './request.js';
import type { RecordingSource } from './source.js';
import type { SourceChoice } from './source_names.js';
import type { RecordSummary } from './summary.js';
import type { TraceOutput } from './trace_output.js';
import type { ExitInfo } from './target.js';

/** How a session ended. */
export interface End {
  /** 'target-exit', 'timeout', 'kdamond-stopped', 'signal:SIGINT', 'error: ...'. */
  reason: string;
  exitCode: number;
  error?: unknown;
  exit?: ExitInfo | null;
}

/** The source a mode chose, and what it passes to it. */
export interface SourcePlan {
  kind: SourceChoice;
  /** "name: why" for every source tried before it. */
  skipped: string[];
  /** Schemes for the source to apply (and whether it must also deliver snapshots). */
  schemes?: { schemes: readonly Scheme[]; statsIntervalMs: number; snapshots: boolean };
}

/** What a mode may look at and use of the running session. */
export interface SessionView {
  readonly req: ResolvedRequest;
  readonly deps: RecordDeps;
  /** The trace being written; null when none was asked for (`damo schemes` without -o). */
  readonly output: TraceOutput | null;
  /** Each target's latest snapshot. */
  readonly latestByTarget: ReadonlyMap<number, Snapshot>;
  readonly nrSnapshotsSeen: number;
  readonly warnings: readonly string[];
  /** ns since the session's base time. */
  elapsedNs(): number;
}

export interface SessionMode {
  /** 'recording' or 'applying schemes to': what the trace's start event says is going on. */
  readonly activity: string;
  /** The words of the trace's signal event: '<stopWords> by SIGINT'. */
  readonly stopWords: string;
  /** Chooses the source after the read-only detection. Throws when none can do the job. */
  planSource(view: SessionView, detection: Detection, native: NativeAvailability, nrTargets: number): Promise<SourcePlan>;
  /** Events the trace starts with after the start event. */
  startEvents(): Promise<Array<Omit<TraceEvent, 'targetIndex'>>>;
  /** The note on stderr once monitoring runs. */
  startNote(view: SessionView, target: string, sourceLabel: string, until: string): string;
  /** Loads what the status line needs (before the loop waits). */
  prepare(): Promise<void>;
  /** The status line while it runs. */
  statusText(view: SessionView): string;
  /** Statistics of the schemes being applied, from the source. */
  onSchemeStats(view: SessionView, records: SchemeStatsRecord[]): void;
  /** Completes the summary once the source stopped and the trace is closed. */
  finish(view: SessionView, summary: RecordSummary, source: RecordingSource, end: End, target: string): Promise<void>;
  /** Prints the summary (stdout: results; stderr: notes). */
  report(view: SessionView, summary: RecordSummary, end: End): Promise<void>;
}

/** "exited with status 0", "was killed by SIGKILL". */
export function describeExit(e: ExitInfo | null | undefined): string {
  if (e === null || e === undefined) return 'exited';
  return e.signal !== null ? `was killed by ${e.signal}` : `exited with status ${e.code ?? '?'}`;
}

/** Why a session stopped, in words: "the target exited with status 0", "of SIGINT". */
export function endWords(end: End, timeoutSec: number | undefined): string {
  return end.reason === 'target-exit'
    ? `the target ${describeExit(end.exit)}`
    : end.reason === 'timeout'
      ? `the ${timeoutSec ?? 0} s timeout passed`
      : end.reason === 'kdamond-stopped'
        ? 'the kernel stopped monitoring (its targets exited)'
        : end.reason.startsWith('signal:')
          ? `of ${end.reason.slice(7)}`
          : end.reason;
}

/** The targets as the messages name them: 'sleep 5', pid 12, 34, physical memory. */
export function targetWords(req: ResolvedRequest, pids: readonly number[]): string {
  if (req.target.kind === 'command') return `'${req.target.display}'`;
  if (req.target.kind === 'ongoing') return req.target.kdamond === undefined ? 'the running kdamond' : `kdamond ${req.target.kdamond.index} (pid ${req.target.kdamond.pid})`;
  if (req.target.kind === 'pids') return `pid ${pids.join(', ')}`;
  return 'physical memory';
}
