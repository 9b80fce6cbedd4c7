// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo schemes -c` as a session mode: the backend that can apply these schemes (kernel
 * sysfs, debugfs, or the native engine with process_madvise), their statistics collected
 * (and written as SchemeStats frames when there is a trace), a status line of what each
 * applied, and a per-scheme table at the end instead of the recording summary.
 */
import { humanElapsed } from '../core/human.js';
import { SCHEMES_EVENT_KIND } from '../format/applied_schemes.js';
import type { SchemeStatsRecord } from '../core/model.js';
import type * as OnlineReport from '../schemes/online_report.js';
import type { OnlineSchemeResult } from '../schemes/online_report.js';
import { chooseSchemesBackend, chooseSource, type Detection, type NativeAvailability } from './detect.js';
import { asksForAutoTuning } from './intervals_goal_sysfs.js';
import type { SchemesRequest } from './request.js';
import { endWords, type End, type SessionMode, type SessionView, type SourcePlan } from './session_mode.js';
import type { RecordingSource } from './source.js';
import type { SchemesBackend } from './source_names.js';
import type { RecordSummary } from './summary.js';

export class SchemesMode implements SessionMode {
  readonly activity = 'applying schemes to';
  readonly stopWords = 'stopped';
  /** The latest statistics, one record per scheme (cumulative counters). */
  private stats: SchemeStatsRecord[] | null = null;
  private backend: SchemesBackend | null = null;
  private onlineReport: typeof OnlineReport | null = null;

  constructor(private readonly sch: SchemesRequest) {}

  async planSource(view: SessionView, detection: Detection, native: NativeAvailability, nrTargets: number): Promise<SourcePlan> {
    const { req } = view;
    const { schemesProblems } = await import('../schemes/backends.js');
    const c = chooseSchemesBackend(
      {
        backend: req.requested as 'auto' | SchemesBackend,
        ops: req.ops,
        nrTargets,
        withSnapshots: req.out !== null,
        schemesProblem: schemesProblems(this.sch.schemes, req.ops, { sampleUs: req.intervals.sampleUs, aggrUs: req.intervals.aggrUs }),
      },
      detection,
      native,
    );
    this.backend = c.backend;
    // damo record's --source (tracefs or sysfs; request.ts refuses the others) picks how our kdamond is recorded.
    const kind = this.sch.command === 'record' && c.snapshots && req.source !== 'auto' ? chooseSource({ source: req.source, ops: req.ops, nrTargets, autotune: asksForAutoTuning(req.intervalsGoal) }, detection, native).kind : c.kind;
    return { kind, skipped: c.skipped, schemes: { schemes: this.sch.schemes, statsIntervalMs: this.sch.statsIntervalMs, snapshots: c.snapshots } };
  }

  /** The definitions the SchemeStats frames' scheme indexes refer to. */
  async startEvents(): Promise<Array<{ timeNs: number; kind: string; message: string }>> {
    const { formatSchemeLine } = await import('../schemes/text.js');
    return [{ timeNs: 0, kind: SCHEMES_EVENT_KIND, message: this.sch.schemes.map((x) => formatSchemeLine(x)).join('\n') }];
  }

  startNote(view: SessionView, target: string, sourceLabel: string, until: string): string {
    const n = this.sch.schemes.length;
    const out = view.req.out;
    return `applying ${n} scheme${n === 1 ? '' : 's'} from ${this.sch.name} to ${target} with ${sourceLabel}${out !== null ? `, recording into ${out}` : ''}${until}; Ctrl-C stops`;
  }

  async prepare(): Promise<void> {
    this.onlineReport = await import('../schemes/online_report.js');
  }

  statusText(view: SessionView): string {
    const r = this.onlineReport;
    return r === null ? `damo: schemes ${humanElapsed(view.elapsedNs())}` : r.onlineStatusText(view.elapsedNs(), r.latestStats(this.sch.schemes, this.stats));
  }

  onSchemeStats(view: SessionView, records: SchemeStatsRecord[]): void {
    if (records.length === 0) return;
    this.stats = records;
    for (const r of records) view.output?.writeSchemeStats(r);
  }

  async finish(view: SessionView, summary: RecordSummary, source: RecordingSource, end: End, target: string): Promise<void> {
    const { latestStats } = await import('../schemes/online_report.js');
    const results: OnlineSchemeResult[] = latestStats(this.sch.schemes, this.stats);
    // What only the native engine knows: process_madvise failures and cost, per scheme.
    source.schemesReport?.()?.forEach((n, i) => {
      const r = results[i];
      if (r === undefined) return;
      r.failures = n.failures;
      r.nrSyscalls = n.nrSyscalls;
      r.actionNs = n.actionNs;
    });
    summary.schemes = {
      name: this.sch.name,
      backend: this.backend ?? 'sysfs',
      backendLabel: source.label,
      target,
      intervals: { sampleUs: view.req.intervals.sampleUs, aggrUs: view.req.intervals.aggrUs },
      elapsedNs: summary.elapsedNs,
      stoppedBecause: endWords(end, view.req.timeoutSec),
      out: view.req.out,
      schemes: results,
    };
  }

  async report(view: SessionView, summary: RecordSummary): Promise<void> {
    const { req, deps } = view;
    const s = summary.schemes;
    if (s === undefined) return;
    const { formatOnlineText, onlineJson } = await import('../schemes/online_report.js');
    deps.stdout.write(req.json ? `${JSON.stringify(onlineJson(s), null, 2)}\n` : formatOnlineText(s, false));
    if (!req.quiet && view.warnings.length > 0) deps.stderr.write(`damo: ${view.warnings.length} warning(s) above\n`);
  }
}
