// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo record` as a session mode: the best source this machine offers (or the one asked
 * for), a status line with the working set and the file's size, and the recording summary.
 */
import { humanBytes, humanElapsed } from '../core/human.js';
import { asksForAutoTuning } from './intervals_goal_sysfs.js';
import { chooseOngoingSource, chooseSource, type Detection, type NativeAvailability } from './detect.js';
import { endWords, type End, type SessionMode, type SessionView, type SourcePlan } from './session_mode.js';
import { recordSummaryJson, recordSummaryText, type RecordSummary } from './summary.js';

export class RecordingMode implements SessionMode {
  readonly activity = 'recording';
  readonly stopWords = 'recording stopped';

  async planSource(view: SessionView, detection: Detection, native: NativeAvailability, nrTargets: number): Promise<SourcePlan> {
    const { req } = view;
    if (req.target.kind === 'ongoing') return chooseOngoingSource(req.requested, detection);
    return chooseSource({ source: req.requested, ops: req.ops, nrTargets, autotune: asksForAutoTuning(req.intervalsGoal) }, detection, native);
  }

  async startEvents(): Promise<[]> {
    return [];
  }

  startNote(view: SessionView, target: string, sourceLabel: string, until: string): string {
    return `recording ${target} with ${sourceLabel} into ${view.req.out ?? ''}${until}; Ctrl-C stops`;
  }

  async prepare(): Promise<void> {}

  statusText(view: SessionView): string {
    let wss = 0;
    let regions = 0;
    for (const s of view.latestByTarget.values()) {
      regions += s.starts.length;
      for (let i = 0; i < s.starts.length; i++) if ((s.nrAccesses[i] as number) > 0) wss += (s.ends[i] as number) - (s.starts[i] as number);
    }
    const o = view.output;
    return `damo: recording ${humanElapsed(view.elapsedNs())}  snapshots ${o?.nrSnapshots ?? 0}  regions ${regions}  working set ${humanBytes(wss)}  file ${humanBytes(o?.bytesWritten ?? 0)}`;
  }

  onSchemeStats(): void {}

  async finish(): Promise<void> {}

  async report(view: SessionView, summary: RecordSummary, end: End): Promise<void> {
    const { req, deps } = view;
    if (req.json) deps.stdout.write(recordSummaryJson(summary));
    if (!req.quiet) deps.stderr.write(recordSummaryText(summary, endWords(end, req.timeoutSec)));
  }
}
