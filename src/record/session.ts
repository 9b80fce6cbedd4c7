// SPDX-License-Identifier: GPL-2.0-only
/**
 * One monitoring session, the loop both `damo record` and `damo schemes -c` run: check the
 * targets, detect (read-only) and choose a source, start the target, start the source,
 * stream into the trace file while it runs, and end on target exit, --timeout, Ctrl-C,
 * SIGTERM or an error, always undoing every kernel change and finishing the file first.
 * What differs between recording and applying schemes is a SessionMode (session_mode.ts).
 *
 * Crash safety: the trace gets each frame in one write() as it arrives (trace_output.ts),
 * so a SIGKILL leaves a file readable up to the last complete frame; the crash guardian
 * (guardian.ts) undoes our kernel changes if this process dies without doing it.
 */
import { readFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';

import { DamoError, errorMessage, isDamoError } from '../core/errors.js';
import { SIGNAL_EXIT_CODES, type InterruptSignal } from '../core/interrupts.js';
import type { Snapshot, TraceHeader, TraceTarget } from '../core/model.js';
import { pageSizeBytes } from '../core/page_size.js';
import { toolVersion } from '../core/version.js';
import { PROGRAM_IMAGES_EVENT_KIND, parseProcMapsProgramImages } from '../format/program_images.js';
import { MADVISE_REFUSED_EVENT_KIND, parseSmapsRefused } from '../format/madvise_refused.js';
import { formatMappings, MAPPINGS_EVENT_KIND, parseProcMaps, type Ranges } from '../format/mappings.js';
import { RESIDENT_EVENT_KIND, RESIDENT_SHARED_EVENT_KIND } from '../format/resident.js';
import type { RecordDeps } from './deps.js';
import { detect, type Detection, type NativeAvailability } from './detect.js';
import { NoGuardian, type Guardian } from './guardian.js';
import { asksForAutoTuning } from './intervals_goal_sysfs.js';
import { createKernelSource } from './kernel_source.js';
import { findOngoingKdamond } from './ongoing.js';
import { defaultPaddrRegion } from './paddr.js';
import { RecordingMode } from './recording_mode.js';
import { resolveRequest, type RecordRequest, type ResolvedRequest } from './request.js';
import { SchemesMode } from './schemes_mode.js';
import { describeExit, targetWords, type End, type SessionMode, type SessionView, type SourcePlan } from './session_mode.js';
import type { RecordingSource } from './source.js';
import { StatusLine } from './status_line.js';
import type { RecordResult, RecordSummary } from './summary.js';
import type { KdamondTarget } from './sysfs.js';
import { checkCommand, checkPids, cmdlineOf, processGone, startCommand, watchPids, type RunningTarget } from './target.js';
import { TraceOutput } from './trace_output.js';
import { pageHoldingMappings, readResidentPages, ResidentBudget } from './resident_pages.js';
import { removeStaleInstances } from './tracefs.js';

/** Runs a session for a resolved request: recording it, or applying its schemes. */
export async function runSession(req0: ResolvedRequest, deps: RecordDeps): Promise<RecordResult> {
  let req = req0;
  if (req.target.kind === 'ongoing') {
    // The running kdamond's own configuration describes the recording.
    const kdamond = findOngoingKdamond(deps.kfs, req.roots.sysfs);
    req = { ...req, target: { kind: 'ongoing', kdamond }, ops: kdamond.ops, intervals: kdamond.intervals, nrRegions: kdamond.nrRegions };
  }
  const mode = req.schemes === undefined ? new RecordingMode() : new SchemesMode(req.schemes);
  return new MonitoringSession(req, deps, mode).run();
}

/** "a: why", "b: why" -> "a, b: why": the same reason once. */
export function groupSkipped(skipped: string[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const s of skipped) {
    const i = s.indexOf(': ');
    const [name, why] = i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 2)];
    byReason.set(why, [...(byReason.get(why) ?? []), name]);
  }
  return [...byReason].map(([why, names]) => `${names.join(', ')}: ${why}`);
}

/** The shortest time between two readings of a target's smaps for the refused ranges. */
const MADVISE_REFUSED_MIN_PERIOD_MS = 1000;

class MonitoringSession implements SessionView {
  readonly warnings: string[] = [];
  readonly latestByTarget = new Map<number, Snapshot>();
  readonly output: TraceOutput | null;
  nrSnapshotsSeen = 0;
  /** Per target index, the mappings last written to the trace (format/mappings.ts). */
  private readonly mappingsWritten = new Map<number, string>();
  /** Per target index, the program images last written (format/program_images.ts). */
  private readonly imagesWritten = new Map<number, string>();
  /** Per target index, the resident pages last written (format/resident.ts) and when the next reading may be. */
  private readonly residentWritten = new Map<number, { resident: string; shared: string }>();
  private readonly residentBudgets = new Map<number, ResidentBudget>();
  /**
   * Per target index, the last maps text read and what was made of it: a process's maps
   * rarely change between aggregations, and parsing them every time was 5-7 % of the
   * recorder's profiled CPU in the VM (docs/ACCURACY.md, "Run 11: where the recorder's CPU
   * goes").
   */
  private readonly mapsSeen = new Map<number, { mapsText: string; pageHolding: Ranges }>();
  /**
   * Per target index, for the ranges madvise refuses (format/madvise_refused.ts): the maps
   * text they were read for, when smaps was last read, and the ranges last written.
   */
  private readonly refusedState = new Map<number, { mapsText: string; readMs: number; written: string | null }>();
  /** Sum and count of recorded snapshot durations, for the summary's mean aggregation interval. */
  private aggrNsSum = 0;
  private aggrCount = 0;
  private interrupted: InterruptSignal | null = null;
  private wakeInterrupt: (() => void) | null = null;
  private wakeWriteError: (() => void) | null = null;
  private target: RunningTarget | null = null;
  private guardian: Guardian = new NoGuardian();
  private baseTimeNs = 0n;

  constructor(
    readonly req: ResolvedRequest,
    readonly deps: RecordDeps,
    private readonly mode: SessionMode,
  ) {
    this.output = req.out === null ? null : new TraceOutput(req.out, req.outputType, req.outputPermission, deps.wrapSink, (m) => deps.stderr.write(`damo: ${m}\n`));
    if (this.output !== null) this.output.onFailure = () => this.wakeWriteError?.();
  }

  private note(m: string): void {
    if (!this.req.quiet) this.deps.stderr.write(`damo: ${m}\n`);
  }

  private warn(m: string): void {
    this.warnings.push(m);
    if (!this.req.quiet) this.deps.stderr.write(`damo: warning: ${m}\n`);
  }

  elapsedNs(): number {
    return Number(this.deps.nowNs() - this.baseTimeNs);
  }

  async run(): Promise<RecordResult> {
    const { req, deps } = this;
    // Targets must exist before anything is touched.
    if (req.target.kind === 'pids') checkPids(req.target.pids, deps.pidAlive);
    if (req.target.kind === 'command' && !req.target.shell) checkCommand(req.target, deps.env);
    const nrTargets = req.target.kind === 'pids' ? req.target.pids.length : req.target.kind === 'ongoing' ? (req.target.kdamond?.targets.length ?? 1) : 1;
    const paddrRegions = req.ops === 'paddr' && req.target.kind !== 'ongoing' ? (req.regions ?? [defaultPaddrRegion(deps.readIomem)]) : null;

    // Read-only detection, then the choice of source.
    const detection = detect({
      kfs: deps.kfs,
      roots: req.roots,
      euid: deps.euid,
      kernelRelease: deps.kernelRelease,
      kallsymsHas: deps.kallsymsHas,
      pidAlive: deps.pidAlive,
    });
    const wantNative = req.requested === 'auto' || req.requested === 'native';
    const firstPid = req.target.kind === 'pids' ? req.target.pids[0] : undefined;
    const native: NativeAvailability = wantNative ? await deps.probeNative(req.primitive, req.ops, firstPid) : { usable: false, reason: 'not needed' };
    const plan = await this.mode.planSource(this, detection, native, nrTargets);
    for (const s of groupSkipped(plan.skipped)) this.note(`skipped ${s}`);

    // From here on an interrupt must not kill us before we undo what we change; one that
    // arrives while starting is honoured as soon as the source has started.
    const unregister = deps.onInterrupt((signal) => {
      this.interrupted ??= signal;
      this.wakeInterrupt?.();
    });
    try {
      return await this.runWith(plan, detection, paddrRegions);
    } finally {
      unregister();
      this.target?.dispose();
      this.guardian.done();
    }
  }

  private async runWith(plan: SourcePlan, detection: Detection, paddrRegions: Array<[number, number]> | null): Promise<RecordResult> {
    const { req, deps, mode, output } = this;
    if ((plan.kind === 'tracefs' || plan.kind === 'debugfs') && detection.tracefs.staleInstances.length > 0) {
      for (const n of removeStaleInstances(deps.kfs, req.roots.tracefs, detection.tracefs.staleInstances)) this.note(n);
    }
    const headerTargets = await this.startTarget();
    const target = this.target;
    const pids = target?.pids ?? [];

    if (plan.kind !== 'native') this.guardian = deps.makeGuardian((m) => this.warn(m));
    this.baseTimeNs = deps.nowNs();
    const wallStartUnixNs = BigInt(Date.now()) * 1_000_000n;
    const source = await this.startSource(plan, detection, pids, paddrRegions);

    const header: TraceHeader = {
      formatVersion: 0,
      toolVersion: toolVersion(),
      source: source.kind,
      ops: req.ops,
      intervals: req.intervals,
      nrRegions: req.nrRegions,
      targets: headerTargets,
      baseTimeNs: this.baseTimeNs,
      clock: 'monotonic',
      host: { kernelRelease: deps.kernelRelease, pageSizeBytes: pageSizeBytes(), hostname: hostname(), nrCpus: cpus().length },
      wallStartUnixNs,
      argv: req.argv,
    };
    // A running kdamond's intervals goal: what report access deduces tuned intervals from.
    // Ours: the goal it asked DAMON for, when it tunes anything.
    const goal = req.target.kind === 'ongoing' ? req.target.kdamond?.intervalsGoal : asksForAutoTuning(req.intervalsGoal) ? req.intervalsGoal : undefined;
    if (goal !== undefined) header.intervalsGoal = goal;
    const what = targetWords(req, pids);
    if (output !== null) {
      try {
        await output.open(header, [{ timeNs: 0, kind: 'start', message: `${mode.activity} ${what} with ${source.label}` }, ...(await mode.startEvents())]);
      } catch (err) {
        // The command goes first: stopping the source can take a while.
        target?.terminate('SIGTERM');
        for (const w of await source.stop()) this.warn(w);
        throw err;
      }
    }
    const until = req.timeoutSec !== undefined ? ` for up to ${req.timeoutSec} s` : '';
    this.note(mode.startNote(this, what, source.label, until));

    await mode.prepare();
    // A command we started writes to the same terminal whenever it likes, and a status line
    // redrawn in place would run into its output; the line is for targets that stay quiet.
    const sharesTerminal = req.target.kind === 'command' && deps.targetStdio === 'inherit';
    const status = new StatusLine(deps.stderr, () => mode.statusText(this), deps.statusIntervalMs ?? 250, deps.stderrIsTTY && !req.quiet && !sharesTerminal);
    const end = await this.waitForEnd(source);
    status.clear();
    // A command we started does not outlive a session that was cut short; it is ended at
    // once, not after the source has drained and restored kernel state (which takes seconds).
    if (target !== null && end.reason !== 'target-exit') target.terminate(end.reason === 'signal:SIGINT' ? 'SIGINT' : 'SIGTERM');

    // Finish: stop the source (it drains what is buffered and restores), then the file.
    let restoreWarnings: string[];
    try {
      restoreWarnings = await source.stop();
    } catch (err) {
      restoreWarnings = [`stopping the source failed: ${errorMessage(err)}`];
    }
    this.guardian.done();
    for (const w of restoreWarnings) this.warn(w);
    const endNs = this.elapsedNs();
    // The native engine's last actions completed during stop(): their final counters.
    const finalStats = source.finalSchemeStats?.(endNs) ?? null;
    if (finalStats !== null) mode.onSchemeStats(this, finalStats);
    if (end.reason === 'target-exit') output?.writeEvent({ timeNs: endNs, kind: 'target-exit', message: `the target ${describeExit(end.exit)}` });
    else if (end.reason.startsWith('signal:')) output?.writeEvent({ timeNs: endNs, kind: 'signal', message: `${mode.stopWords} by ${end.reason.slice(7)}` });
    const bytes = output === null ? 0 : await output.close(end.reason, (m) => this.warn(m));

    const summary: RecordSummary = {
      out: req.out,
      outputType: req.outputType,
      source: source.kind,
      sourceLabel: source.label,
      ops: req.ops,
      targets: headerTargets,
      nrSnapshots: output?.nrSnapshots ?? this.nrSnapshotsSeen,
      nrRegions: output?.nrRegions ?? 0,
      bytes,
      elapsedNs: endNs,
      endReason: end.reason,
      targetExit: end.exit ?? null,
      warnings: this.warnings,
      skippedSources: plan.skipped,
      askedAggrUs: req.intervals.aggrUs,
      meanAggrIntervalNs: this.aggrCount === 0 ? null : this.aggrNsSum / this.aggrCount,
    };
    await mode.finish(this, summary, source, end, what);
    await mode.report(this, summary, end);
    if (end.error !== undefined) {
      throw isDamoError(end.error) ? end.error : new DamoError('E_INTERNAL', errorMessage(end.error));
    }
    return { exitCode: end.exitCode, summary };
  }

  /** Starts the command, or watches the given pids; the header's targets. */
  private async startTarget(): Promise<TraceTarget[]> {
    const { req, deps } = this;
    if (req.target.kind === 'command') {
      this.target = await startCommand(req.target, deps.targetStdio, deps.env);
      const pid = this.target.pids[0] as number;
      return [{ id: BigInt(pid), pid, cmdline: req.target.display }];
    }
    if (req.target.kind === 'pids') {
      this.target = watchPids(req.target.pids, deps.pidAlive);
      return req.target.pids.map((pid) => ({ id: BigInt(pid), pid, cmdline: cmdlineOf(pid, (p) => readFileSync(p, 'utf8')) }));
    }
    if (req.target.kind === 'ongoing' && req.target.kdamond !== undefined) {
      const k = req.target.kdamond;
      if (k.othersRunning.length > 0) this.note(`recording kdamond ${k.index} only; kdamond ${k.othersRunning.join(', ')} also run${k.othersRunning.length === 1 ? 's' : ''}`);
      if (k.ops !== 'paddr') return k.targets.map((t) => ({ id: BigInt(t.pid ?? 0), ...(t.pid !== null ? { pid: t.pid, cmdline: cmdlineOf(t.pid, (p) => readFileSync(p, 'utf8')) } : {}) }));
    }
    return [{ id: 0n, cmdline: 'paddr' }];
  }

  private async startSource(plan: SourcePlan, detection: Detection, pids: number[], paddrRegions: Array<[number, number]> | null): Promise<RecordingSource> {
    const { deps, output, target } = this;
    try {
      const source = await this.makeSource(plan, detection, pids, paddrRegions);
      await source.start({
        onSnapshot: (s) => {
          this.nrSnapshotsSeen++;
          if (s.endNs > s.startNs) {
            this.aggrNsSum += s.endNs - s.startNs;
            this.aggrCount++;
          }
          this.latestByTarget.set(s.targetIndex, s);
          output?.writeSnapshot(s);
          this.recordMappings(s, pids);
        },
        onSchemeStats: (records) => this.mode.onSchemeStats(this, records),
        onWarning: (m) => {
          this.warn(m);
          output?.writeEvent({ timeNs: this.elapsedNs(), kind: 'warning', message: m });
        },
      });
      return source;
    } catch (err) {
      // A target that exited during setup makes the kernel refuse its pid (EINVAL): say that.
      if (target !== null && target.pids.some((p) => processGone(p, deps.pidAlive))) {
        const exit = await Promise.race([target.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
        throw new DamoError('E_TARGET', `the target ${describeExit(exit)} before monitoring could start`, {
          cause: err,
          hint: 'record a longer-running command, or a running process by pid',
        });
      }
      target?.terminate('SIGTERM');
      throw err;
    }
  }

  /**
   * Writes the target's mappings (/proc/PID/maps) when they changed since the last ones
   * written, so readers can tell mapped bytes from the gaps DAMON's regions span; and, as
   * often as the reading budget allows, its resident pages (/proc/PID/pagemap), so that
   * simulate can tell memory from address space that was never faulted in.
   */
  private recordMappings(s: Snapshot, pids: number[]): void {
    const output = this.output;
    if (output === null || !output.isOpen || this.req.ops === 'paddr') return;
    const pid = pids[s.targetIndex];
    if (pid === undefined) return;
    let mapsText: string;
    try {
      mapsText = readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      return;
    }
    let seen = this.mapsSeen.get(s.targetIndex);
    if (seen === undefined || seen.mapsText !== mapsText) {
      // Unchanged maps give the same mappings and program images, already written.
      const ranges = parseProcMaps(mapsText);
      if (ranges.length === 0) return;
      const message = formatMappings(ranges);
      if (this.mappingsWritten.get(s.targetIndex) !== message) {
        this.mappingsWritten.set(s.targetIndex, message);
        output.writeEvent({ timeNs: s.endNs, kind: MAPPINGS_EVENT_KIND, message, targetIndex: s.targetIndex });
      }
      const images = formatMappings(parseProcMapsProgramImages(mapsText));
      if (this.imagesWritten.get(s.targetIndex) !== images) {
        this.imagesWritten.set(s.targetIndex, images);
        output.writeEvent({ timeNs: s.endNs, kind: PROGRAM_IMAGES_EVENT_KIND, message: images, targetIndex: s.targetIndex });
      }
      seen = { mapsText, pageHolding: pageHoldingMappings(mapsText) };
      this.mapsSeen.set(s.targetIndex, seen);
    }
    this.recordMadviseRefused(s, pid, mapsText);
    this.recordResident(s, pid, seen.pageHolding);
  }

  /**
   * Writes the ranges madvise refuses for pageout and cold (VmFlags of /proc/PID/smaps) at
   * the first snapshot and, after the mappings changed, again at most once a second: a
   * smaps reading walks every mapped page. Flags that change without any line of maps
   * changing (an mlock of whole mappings) are seen only at the next change of the mappings.
   */
  private recordMadviseRefused(s: Snapshot, pid: number, mapsText: string): void {
    const output = this.output;
    if (output === null) return;
    const state = this.refusedState.get(s.targetIndex);
    if (state !== undefined && state.mapsText === mapsText) return;
    const nowMs = performance.now();
    if (state !== undefined && nowMs - state.readMs < MADVISE_REFUSED_MIN_PERIOD_MS) return;
    let smapsText: string;
    try {
      smapsText = readFileSync(`/proc/${pid}/smaps`, 'utf8');
    } catch {
      return;
    }
    const message = formatMappings(parseSmapsRefused(smapsText));
    const written = state?.written ?? null;
    this.refusedState.set(s.targetIndex, { mapsText, readMs: nowMs, written: message });
    if (written === message) return;
    output.writeEvent({ timeNs: s.endNs, kind: MADVISE_REFUSED_EVENT_KIND, message, targetIndex: s.targetIndex });
  }

  private recordResident(s: Snapshot, pid: number, pageHolding: Ranges): void {
    const output = this.output;
    if (output === null) return;
    let budget = this.residentBudgets.get(s.targetIndex);
    if (budget === undefined) this.residentBudgets.set(s.targetIndex, (budget = new ResidentBudget()));
    const t0 = performance.now();
    if (!budget.due(t0)) return;
    const shared: Ranges = [];
    const resident = readResidentPages(pid, pageHolding, pageSizeBytes(), shared);
    budget.spent(t0, performance.now());
    if (resident === null) return;
    const message = formatMappings(resident);
    const sharedMessage = formatMappings(shared);
    const written = this.residentWritten.get(s.targetIndex);
    if (written?.resident === message && written.shared === sharedMessage) return;
    this.residentWritten.set(s.targetIndex, { resident: message, shared: sharedMessage });
    // A reader takes the latest reading of each kind at a time: both are written at the same
    // time whenever either changed, so they always describe the same reading.
    output.writeEvent({ timeNs: s.endNs, kind: RESIDENT_EVENT_KIND, message, targetIndex: s.targetIndex });
    output.writeEvent({ timeNs: s.endNs, kind: RESIDENT_SHARED_EVENT_KIND, message: sharedMessage, targetIndex: s.targetIndex });
  }

  private async makeSource(plan: SourcePlan, detection: Detection, pids: number[], paddrRegions: Array<[number, number]> | null): Promise<RecordingSource> {
    const { req, deps } = this;
    const sch = plan.schemes;
    if (plan.kind === 'native') {
      return deps.createNativeSource({
        ops: req.ops,
        pids,
        ranges: req.ops === 'paddr' ? paddrRegions : req.regions,
        intervals: req.intervals,
        nrRegions: req.nrRegions,
        primitive: req.primitive,
        baseTimeNs: this.baseTimeNs,
        ...(sch !== undefined ? { schemes: sch.schemes, statsIntervalMs: sch.statsIntervalMs } : {}),
      });
    }
    const targets: KdamondTarget[] =
      req.target.kind === 'ongoing'
        ? (req.target.kdamond?.targets ?? []).map((t) => (t.pid !== null && req.ops !== 'paddr' ? { pid: t.pid, regions: t.regions } : { regions: t.regions }))
        : req.ops === 'paddr' ? [{ regions: paddrRegions ?? [] }] : pids.map((pid) => (req.regions !== null ? { pid, regions: req.regions } : { pid }));
    const ongoing = req.target.kind === 'ongoing' ? req.target.kdamond : undefined;
    return createKernelSource({
      kind: plan.kind,
      ...(ongoing !== undefined ? { ongoing } : {}),
      kfs: deps.kfs,
      roots: req.roots,
      guardian: this.guardian,
      detection,
      ops: req.ops,
      intervals: req.intervals,
      ...(req.intervalsGoal !== undefined ? { intervalsGoal: req.intervalsGoal } : {}),
      nrRegions: req.nrRegions,
      targets,
      baseTimeNs: this.baseTimeNs,
      nowNs: deps.nowNs,
      ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
      ...(deps.aliveCheckMs !== undefined ? { aliveCheckMs: deps.aliveCheckMs } : {}),
      ...(req.snapshotIntervalUs !== undefined ? { snapshotIntervalUs: req.snapshotIntervalUs } : {}),
      ...(sch !== undefined ? { schemes: sch.schemes, statsIntervalMs: sch.statsIntervalMs, snapshots: sch.snapshots } : {}),
    });
  }

  private waitForEnd(source: RecordingSource): Promise<End> {
    const ends: Array<Promise<End>> = [
      new Promise<End>((res) => {
        const check = (): void => {
          const e = this.output?.failure ?? null;
          if (e !== null) res({ reason: `error: ${errorMessage(e)}`, exitCode: 1, error: e });
        };
        this.wakeWriteError = check;
        check();
      }),
      new Promise<End>((res) => {
        const check = (): void => {
          if (this.interrupted !== null) res({ reason: `signal:${this.interrupted}`, exitCode: SIGNAL_EXIT_CODES[this.interrupted] });
        };
        this.wakeInterrupt = check;
        check();
      }),
      source.ended.then(
        async (reason): Promise<End> => {
          // A source that saw the target go first: take the exit status from our own watcher.
          if (reason === 'target-exit' && this.target !== null) {
            const exit = await Promise.race([this.target.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 500))]);
            return exit === undefined ? { reason, exitCode: 0 } : { reason, exitCode: 0, exit };
          }
          return { reason, exitCode: 0 };
        },
        (error: unknown) => ({ reason: `error: ${errorMessage(error)}`, exitCode: 1, error }),
      ),
    ];
    if (this.target !== null) ends.push(this.target.exited.then((exit) => ({ reason: 'target-exit', exitCode: 0, exit })));
    let timer: NodeJS.Timeout | null = null;
    if (this.req.timeoutSec !== undefined) {
      const ms = this.req.timeoutSec * 1000;
      ends.push(new Promise<End>((res) => (timer = setTimeout(() => res({ reason: 'timeout', exitCode: 0 }), ms))));
    }
    return Promise.race(ends).finally(() => {
      if (timer !== null) clearTimeout(timer);
      this.wakeInterrupt = null;
    });
  }
}

/**
 * Resolves and runs a request (what tests and other programs call; the CLI resolves the
 * request itself first, so that usage errors come before anything is loaded).
 */
export async function record(req: RecordRequest, deps: RecordDeps): Promise<RecordResult> {
  return runSession(resolveRequest(req), deps);
}
