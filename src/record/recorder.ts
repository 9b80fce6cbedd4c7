/**
 * `damo record`: picks a source, starts the target, streams snapshots into the trace file
 * while recording, and ends on target exit, --timeout, Ctrl-C, SIGTERM or an error, always
 * finishing the file (trailer) and undoing every kernel change first.
 *
 * Crash safety: the writer puts each frame out in one write() as it arrives, so a SIGKILL
 * leaves a file readable up to the last complete frame; the crash guardian (guardian.ts)
 * undoes our kernel changes if this process dies without doing it.
 *
 * `damo schemes -c FILE <target>` runs through the same recording (same targets, safety,
 * endings and restore), with `schemes` set: the backend (kernel sysfs, debugfs, or the
 * native engine with process_madvise) applies them, their statistics are collected (and
 * written as SchemeStats frames when `out` is given), and the end prints a per-scheme
 * table instead of the recording summary. Without `out` nothing is written and, for the
 * kernel, nothing is sampled for a trace.
 */
import { accessSync, constants, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { hostname, cpus, release } from 'node:os';
import { dirname, resolve } from 'node:path';

import { DamoError, errorMessage, isDamoError } from '../core/errors.js';
import { humanBytes, humanElapsed } from '../core/human.js';
import { SIGNAL_EXIT_CODES, type InterruptSignal, type OnInterrupt } from '../core/interrupts.js';
import type { Intervals, NrRegionsRange, Ops, SchemeStatsRecord, Snapshot, SourceKind, TraceHeader, TraceTarget, DamonOps } from '../core/model.js';
import { pageSizeBytes } from '../core/page_size.js';
import { toolVersion } from '../core/version.js';
import type { Scheme } from '../schemes/model.js';
import type { OnlineSchemesSummary } from '../schemes/online_report.js';
import { chooseSchemesBackend, chooseSource, detect, type Detection, type NativeAvailability } from './detect.js';
import type { SchemesBackend, SourceChoice } from './source_names.js';
import { NoGuardian, ShellGuardian, type Guardian } from './guardian.js';
import { createKernelSource } from './kernel_source.js';
import { RealKernelFs, type KernelFs } from './kfs.js';
import type { OutputFormat } from '../format/output_formats.js';
import type { RecordPrimitive } from '../native/primitives.js';
import { createNativeSource, probeNative } from './native_source.js';
import { defaultPaddrRegion } from './paddr.js';
import type { KernelRoots } from './roots.js';
import type { RecordingSource } from './source.js';
import type { KdamondTarget } from './sysfs.js';
import { checkCommand, checkPids, cmdlineOf, pidAlive, processGone, startCommand, watchPids, type ExitInfo, type RunningTarget, type TargetSpec } from './target.js';
import { removeStaleInstances } from './tracefs.js';


/** `damo schemes`: what to apply, and where. */
export interface SchemesRequest {
  schemes: Scheme[];
  /** The schemes file, or `<command line>`, for messages. */
  name: string;
  backend: 'auto' | SchemesBackend;
  /** How often statistics are read back (kernel) or recorded (ms). */
  statsIntervalMs: number;
}

export interface RecordRequest {
  /** The trace to write; null writes none (only `damo schemes` allows that). */
  out: string | null;
  outputType: OutputFormat;
  /** File mode of the output (octal 600 by default). */
  outputPermission: number;
  target: TargetSpec;
  /** Explicit --ops, or undefined to deduce (paddr for paddr, else vaddr). */
  ops: Ops | undefined;
  regions: Array<[number, number]> | null;
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  source: 'auto' | SourceChoice;
  primitive: RecordPrimitive | undefined;
  timeoutSec: number | undefined;
  snapshotIntervalUs: number | undefined;
  quiet: boolean;
  json: boolean;
  roots: KernelRoots;
  argv: string[];
  /** Apply these schemes (`damo schemes`). */
  schemes?: SchemesRequest;
}

/** Everything the recorder touches outside itself, replaceable in tests. */
export interface RecordDeps {
  kfs: KernelFs;
  euid: number;
  kernelRelease: string;
  env: NodeJS.ProcessEnv;
  stderr: NodeJS.WritableStream;
  stdout: NodeJS.WritableStream;
  stderrIsTTY: boolean;
  /** Registers an interrupt handler; returns the unregister function. */
  onInterrupt: OnInterrupt;
  makeGuardian: (onError: (m: string) => void) => Guardian;
  /** stdio of a command target. */
  targetStdio: 'inherit' | 'ignore';
  nowNs: () => bigint;
  pidAlive: (pid: number) => boolean;
  readIomem: () => string;
  kallsymsHas: (prefixes: string[]) => Map<string, boolean> | null;
  probeNative: typeof probeNative;
  createNativeSource: typeof createNativeSource;
  /** Wraps the writer (tests log every written snapshot). */
  wrapSink?: (sink: TraceSinkLike) => TraceSinkLike;
  statusIntervalMs?: number;
  pollMs?: number;
  aliveCheckMs?: number;
}

export interface TraceSinkLike {
  writeSnapshot(s: Snapshot): void;
  writeSchemeStats?(s: SchemeStatsRecord): void;
  writeEvent(e: { timeNs: number; kind: string; message: string; targetIndex?: number }): void;
  close(endReason: string): void;
  abandon(): void;
  readonly nrSnapshots: number;
  readonly nrRegions: number;
  readonly bytesWritten: number;
}

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

export function kallsymsHas(prefixes: string[]): Map<string, boolean> | null {
  let text: string;
  try {
    text = readFileSync('/proc/kallsyms', 'utf8');
  } catch {
    return null;
  }
  const found = new Map<string, boolean>();
  for (const p of prefixes) found.set(p, text.includes(` ${p}`));
  return found;
}

export function defaultDeps(io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; stderrIsTTY: boolean; env: NodeJS.ProcessEnv }, onInterrupt: RecordDeps['onInterrupt']): RecordDeps {
  return {
    kfs: new RealKernelFs(),
    euid: typeof process.geteuid === 'function' ? process.geteuid() : -1,
    kernelRelease: release(),
    env: io.env,
    stdout: io.stdout,
    stderr: io.stderr,
    stderrIsTTY: io.stderrIsTTY,
    onInterrupt,
    makeGuardian: (onError) => new ShellGuardian(onError),
    targetStdio: 'inherit',
    nowNs: () => process.hrtime.bigint(),
    pidAlive,
    readIomem: () => readFileSync('/proc/iomem', 'utf8'),
    kallsymsHas,
    probeNative,
    createNativeSource,
  };
}

/** Fails early (before touching the kernel) when the output cannot be written. */
export function checkOutputWritable(out: string): void {
  const path = resolve(out);
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new DamoError('E_IO', `cannot write the recording to ${out}: it is a directory`, { hint: 'give a file name with -o' });
  }
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new DamoError('E_IO', `cannot write the recording to ${out}: the directory ${dir} ${existsSync(dir) ? 'is not writable' : 'does not exist'} (${errorMessage(err)})`, {
      hint: 'choose a writable location with -o',
    });
  }
}

function deduceOps(req: RecordRequest): Ops {
  if (req.target.kind === 'paddr') {
    if (req.ops !== undefined && req.ops !== 'paddr') throw new DamoError('E_USAGE', `--ops ${req.ops} cannot monitor the 'paddr' target`);
    return 'paddr';
  }
  const ops = req.ops ?? (req.regions !== null ? 'fvaddr' : 'vaddr');
  if (ops === 'paddr') throw new DamoError('E_USAGE', "--ops paddr monitors physical memory: give 'paddr' as the target instead of a command or pid");
  if (ops === 'fvaddr' && req.regions === null) throw new DamoError('E_USAGE', '--ops fvaddr needs the address ranges to monitor: add -r/--regions <start>-<end> ...');
  if (ops === 'vaddr' && req.regions !== null) throw new DamoError('E_USAGE', '-r/--regions fixes the monitored ranges, which needs --ops fvaddr (vaddr finds the ranges itself)');
  return ops;
}

function validateAttrs(req: RecordRequest): void {
  const { sampleUs, aggrUs, opsUpdateUs } = req.intervals;
  if (sampleUs <= 0 || aggrUs <= 0 || opsUpdateUs <= 0) throw new DamoError('E_USAGE', 'monitoring intervals must be greater than zero');
  if (sampleUs > aggrUs) throw new DamoError('E_USAGE', `the sampling interval (${sampleUs} us) must not exceed the aggregation interval (${aggrUs} us)`);
  if (req.nrRegions.min < 3) throw new DamoError('E_USAGE', `the minimum number of regions must be at least 3 (DAMON's rule), not ${req.nrRegions.min}`);
  if (req.nrRegions.min > req.nrRegions.max) throw new DamoError('E_USAGE', `the minimum number of regions (${req.nrRegions.min}) exceeds the maximum (${req.nrRegions.max})`);
}

class StatusLine {
  private timer: NodeJS.Timeout | null = null;
  private shown = false;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly render: () => string,
    intervalMs: number,
    enabled: boolean,
  ) {
    if (enabled) {
      this.timer = setInterval(() => this.draw(), intervalMs);
      this.timer.unref();
    }
  }
  private draw(): void {
    this.stream.write(`\r\x1b[2K${this.render()}`);
    this.shown = true;
  }
  clear(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
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


interface End {
  reason: string;
  exitCode: number;
  error?: unknown;
  exit?: ExitInfo | null;
}

function describeExit(e: ExitInfo | null | undefined): string {
  if (e === null || e === undefined) return 'exited';
  return e.signal !== null ? `was killed by ${e.signal}` : `exited with status ${e.code ?? '?'}`;
}

function targetWords(t: TargetSpec, pids: number[]): string {
  if (t.kind === 'command') return `'${t.display}'`;
  if (t.kind === 'pids') return `pid ${pids.join(', ')}`;
  return 'physical memory';
}

export async function record(req: RecordRequest, deps: RecordDeps): Promise<RecordResult> {
  const rec = new Recording(req, deps);
  return rec.run();
}

/** One recording, from checks to summary. */
class Recording {
  private readonly warnings: string[] = [];
  private interrupted: InterruptSignal | null = null;
  private wakeInterrupt: (() => void) | null = null;
  private target: RunningTarget | null = null;
  private guardian: Guardian = new NoGuardian();
  private writer: TraceSinkLike | null = null;
  private readonly early: Snapshot[] = [];
  private readonly latestByTarget = new Map<number, Snapshot>();
  private baseTimeNs = 0n;
  private writeError: unknown = null;
  private wakeWriteError: (() => void) | null = null;
  /** `damo schemes`: the latest statistics, and those that came before the writer. */
  private schemeStats: SchemeStatsRecord[] | null = null;
  private readonly earlyStats: SchemeStatsRecord[] = [];
  private backend: SchemesBackend | null = null;
  private nrSnapshotsSeen = 0;

  constructor(
    private readonly req: RecordRequest,
    private readonly deps: RecordDeps,
  ) {}

  private note(m: string): void {
    if (!this.req.quiet) this.deps.stderr.write(`damo: ${m}\n`);
  }

  private warn(m: string): void {
    this.warnings.push(m);
    if (!this.req.quiet) this.deps.stderr.write(`damo: warning: ${m}\n`);
  }

  private relNow(): number {
    return Number(this.deps.nowNs() - this.baseTimeNs);
  }

  async run(): Promise<RecordResult> {
    const { req, deps } = this;
    validateAttrs(req);
    const ops = deduceOps(req);
    if (req.primitive !== undefined && req.source !== 'auto' && req.source !== 'native') {
      throw new DamoError('E_USAGE', `--primitive ${req.primitive} applies to the native engine, not to --source ${req.source}`, { hint: 'use --source native, or drop --primitive' });
    }
    if (req.out !== null) checkOutputWritable(req.out);
    else if (req.schemes === undefined) throw new DamoError('E_USAGE', 'a recording needs an output file');
    if (req.schemes !== undefined && req.out !== null && req.outputType !== 'protobuf') {
      throw new DamoError('E_USAGE', 'applying schemes records into damo-ts traces only (their statistics have no place in damo formats)', { hint: "convert the trace afterwards with 'damo convert'" });
    }
    // Targets must exist before anything is touched.
    if (req.target.kind === 'pids') checkPids(req.target.pids, deps.pidAlive);
    if (req.target.kind === 'command' && !req.target.shell) checkCommand(req.target, deps.env);
    const nrTargets = req.target.kind === 'pids' ? req.target.pids.length : 1;
    const paddrRegions = ops === 'paddr' ? (req.regions ?? [defaultPaddrRegion(deps.readIomem)]) : null;

    // Read-only detection, then the choice of source.
    const detection = detect({
      kfs: deps.kfs,
      roots: req.roots,
      euid: deps.euid,
      kernelRelease: deps.kernelRelease,
      kallsymsHas: deps.kallsymsHas,
      pidAlive: deps.pidAlive,
    });
    // --primitive names a native-engine primitive, so it implies the native source.
    const sch = req.schemes;
    const asked = sch !== undefined ? sch.backend : req.source;
    if (sch !== undefined && req.primitive !== undefined && asked !== 'auto' && asked !== 'native') {
      throw new DamoError('E_USAGE', `--primitive ${req.primitive} applies to the native engine, not to --backend ${asked}`, { hint: 'use --backend native, or drop --primitive' });
    }
    const requested = req.primitive !== undefined && asked === 'auto' ? 'native' : asked;
    const wantNative = requested === 'auto' || requested === 'native';
    const firstPid = req.target.kind === 'pids' ? req.target.pids[0] : undefined;
    const native: NativeAvailability = wantNative ? await deps.probeNative(req.primitive, ops as DamonOps, firstPid) : { usable: false, reason: 'not needed' };
    let choice: { kind: SourceChoice; skipped: string[]; snapshots: boolean };
    if (sch !== undefined) {
      const { schemesProblems } = await import('../schemes/backends.js');
      const c = chooseSchemesBackend(
        {
          backend: requested as 'auto' | SchemesBackend,
          ops,
          nrTargets,
          withSnapshots: req.out !== null,
          schemesProblem: schemesProblems(sch.schemes, ops as DamonOps, { sampleUs: req.intervals.sampleUs, aggrUs: req.intervals.aggrUs }),
        },
        detection,
        native,
      );
      this.backend = c.backend;
      choice = c;
    } else {
      choice = { ...chooseSource({ source: requested as 'auto' | SourceChoice, ops, nrTargets }, detection, native), snapshots: true };
    }
    for (const s of groupSkipped(choice.skipped)) this.note(`skipped ${s}`);

    // From here on an interrupt must not kill us before we undo what we change; one that
    // arrives while starting is honoured as soon as the source has started.
    const unregister = deps.onInterrupt((signal) => {
      this.interrupted ??= signal;
      this.wakeInterrupt?.();
    });
    try {
      return await this.runWith(choice.kind, choice.skipped, ops, detection, paddrRegions, choice.snapshots);
    } finally {
      unregister();
      this.target?.dispose();
      this.guardian.done();
    }
  }

  private async runWith(kind: SourceChoice, skipped: string[], ops: Ops, detection: Detection, paddrRegions: Array<[number, number]> | null, snapshots: boolean): Promise<RecordResult> {
    const { req, deps } = this;
    if ((kind === 'tracefs' || kind === 'debugfs') && detection.tracefs.staleInstances.length > 0) {
      for (const n of removeStaleInstances(deps.kfs, req.roots.tracefs, detection.tracefs.staleInstances)) this.note(n);
    }

    // Start the command, or watch the given pids.
    const headerTargets: TraceTarget[] = [];
    if (req.target.kind === 'command') {
      this.target = await startCommand(req.target, deps.targetStdio, deps.env);
      const pid = this.target.pids[0] as number;
      headerTargets.push({ id: BigInt(pid), pid, cmdline: req.target.display });
    } else if (req.target.kind === 'pids') {
      this.target = watchPids(req.target.pids, deps.pidAlive);
      for (const pid of req.target.pids) headerTargets.push({ id: BigInt(pid), pid, cmdline: cmdlineOf(pid, (p) => readFileSync(p, 'utf8')) });
    } else {
      headerTargets.push({ id: 0n, cmdline: 'paddr' });
    }
    const target = this.target;
    const pids = target?.pids ?? [];

    if (kind !== 'native') this.guardian = deps.makeGuardian((m) => this.warn(m));
    this.baseTimeNs = deps.nowNs();
    const wallStartUnixNs = BigInt(Date.now()) * 1_000_000n;
    let source: RecordingSource;
    try {
      source = await this.makeSource(kind, ops, detection, pids, paddrRegions, snapshots);
      await source.start({
        onSnapshot: (s) => {
          this.nrSnapshotsSeen++;
          this.latestByTarget.set(s.targetIndex, s);
          if (req.out === null) return;
          if (this.writer === null) this.early.push(s);
          else this.write(() => this.writer?.writeSnapshot(s));
        },
        onSchemeStats: (records) => this.onSchemeStats(records),
        onWarning: (m) => {
          this.warn(m);
          this.write(() => this.writer?.writeEvent({ timeNs: this.relNow(), kind: 'warning', message: m }));
        },
      });
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

    const header: TraceHeader = {
      formatVersion: 0,
      toolVersion: toolVersion(),
      source: source.kind,
      ops,
      intervals: req.intervals,
      nrRegions: req.nrRegions,
      targets: headerTargets,
      baseTimeNs: this.baseTimeNs,
      clock: 'monotonic',
      host: { kernelRelease: deps.kernelRelease, pageSizeBytes: pageSizeBytes(), hostname: hostname(), nrCpus: cpus().length },
      wallStartUnixNs,
      argv: req.argv,
    };
    const out = req.out;
    if (out !== null) {
      try {
        if (existsSync(out)) renameSync(out, `${out}.old`);
        const { TraceWriter } = await import('../format/trace_writer.js');
        const w = TraceWriter.create(this.streamPath, header, { mode: req.outputPermission });
        this.writer = deps.wrapSink !== undefined ? deps.wrapSink(w) : w;
      } catch (err) {
        for (const w of await source.stop()) this.warn(w);
        target?.terminate('SIGTERM');
        throw isDamoError(err) ? err : new DamoError('E_IO', `cannot create ${out}: ${errorMessage(err)}`, { hint: 'choose a writable location with -o' });
      }
    }
    const writer = this.writer;
    const sch = req.schemes;
    if (writer !== null) {
      writer.writeEvent({ timeNs: 0, kind: 'start', message: `${sch !== undefined ? 'applying schemes to' : 'recording'} ${targetWords(req.target, pids)} with ${source.label}` });
      if (sch !== undefined) {
        // The definitions the SchemeStats frames' scheme indexes refer to.
        const { formatSchemeLine } = await import('../schemes/text.js');
        writer.writeEvent({ timeNs: 0, kind: 'schemes', message: sch.schemes.map((x) => formatSchemeLine(x)).join('\n') });
      }
      for (const s of this.early.splice(0)) writer.writeSnapshot(s);
      for (const r of this.earlyStats.splice(0)) writer.writeSchemeStats?.(r);
    }
    const until = req.timeoutSec !== undefined ? ` for up to ${req.timeoutSec} s` : '';
    if (sch !== undefined) {
      const n = sch.schemes.length;
      this.note(`applying ${n} scheme${n === 1 ? '' : 's'} from ${sch.name} to ${targetWords(req.target, pids)} with ${source.label}${out !== null ? `, recording into ${out}` : ''}${until}; Ctrl-C stops`);
    } else {
      this.note(`recording ${targetWords(req.target, pids)} with ${source.label} into ${out ?? ''}${until}; Ctrl-C stops`);
    }

    if (sch !== undefined) {
      const { latestStats, onlineStatusText } = await import('../schemes/online_report.js');
      this.schemesStatus = (ns) => onlineStatusText(ns, latestStats(sch.schemes, this.schemeStats));
    }
    const status = new StatusLine(deps.stderr, () => this.statusText(), deps.statusIntervalMs ?? 250, deps.stderrIsTTY && !req.quiet);
    const end = await this.waitForEnd(source);
    status.clear();

    // Finish: stop the source (it drains what is buffered and restores), then the file.
    let restoreWarnings: string[];
    try {
      restoreWarnings = await source.stop();
    } catch (err) {
      restoreWarnings = [`stopping the source failed: ${errorMessage(err)}`];
    }
    this.guardian.done();
    for (const w of restoreWarnings) this.warn(w);
    const endNs = this.relNow();
    // The native engine's last actions completed during stop(): their final counters.
    const finalStats = source.finalSchemeStats?.(endNs) ?? null;
    if (finalStats !== null) this.onSchemeStats(finalStats);
    if (writer !== null) {
      if (end.reason === 'target-exit') this.write(() => writer.writeEvent({ timeNs: endNs, kind: 'target-exit', message: `the target ${describeExit(end.exit)}` }));
      else if (end.reason.startsWith('signal:')) this.write(() => writer.writeEvent({ timeNs: endNs, kind: 'signal', message: `${sch !== undefined ? 'stopped' : 'recording stopped'} by ${end.reason.slice(7)}` }));
    }
    // A command we started does not outlive a recording that was cut short.
    if (target !== null && end.reason !== 'target-exit') target.terminate(end.reason === 'signal:SIGINT' ? 'SIGINT' : 'SIGTERM');
    let bytes = 0;
    if (writer !== null) {
      if (this.writeError === null) this.write(() => writer.close(end.reason));
      if (this.writeError !== null) {
        writer.abandon();
        const e = this.writeError;
        throw new DamoError('E_IO', `writing the recording failed: ${errorMessage(e)}`, {
          cause: e,
          hint: `${this.streamPath} holds every snapshot up to the failure; kernel state was restored`,
        });
      }
      bytes = writer.bytesWritten;
      if (req.outputType !== 'protobuf') bytes = await this.convertOutput();
    }

    const summary: RecordSummary = {
      out: req.out,
      outputType: req.outputType,
      source: source.kind,
      sourceLabel: source.label,
      ops,
      targets: headerTargets,
      nrSnapshots: writer?.nrSnapshots ?? this.nrSnapshotsSeen,
      nrRegions: writer?.nrRegions ?? 0,
      bytes,
      elapsedNs: endNs,
      endReason: end.reason,
      targetExit: end.exit ?? null,
      warnings: this.warnings,
      skippedSources: skipped,
    };
    if (sch !== undefined) summary.schemes = await this.schemesSummary(sch, source, end, endNs, targetWords(req.target, pids));
    await this.report(summary, end);
    if (end.error !== undefined) {
      throw isDamoError(end.error) ? end.error : new DamoError('E_INTERNAL', errorMessage(end.error));
    }
    return { exitCode: end.exitCode, summary };
  }

  /**
   * Where snapshots stream to while recording: the output itself for protobuf; for damo's
   * formats, which cannot be appended frame by frame, a protobuf file next to it that is
   * converted at the end (and kept if we are killed: `damo convert` turns it into the
   * requested format).
   */
  private get streamPath(): string {
    const out = this.req.out ?? '';
    return this.req.outputType === 'protobuf' ? out : `${out}.recording`;
  }

  private onSchemeStats(records: SchemeStatsRecord[]): void {
    if (records.length === 0) return;
    this.schemeStats = records;
    if (this.req.out === null) return;
    if (this.writer === null) this.earlyStats.push(...records);
    else for (const r of records) this.write(() => this.writer?.writeSchemeStats?.(r));
  }

  private async schemesSummary(sch: SchemesRequest, source: RecordingSource, end: End, endNs: number, target: string): Promise<OnlineSchemesSummary> {
    const { latestStats } = await import('../schemes/online_report.js');
    const results = latestStats(sch.schemes, this.schemeStats);
    const native = source.schemesReport?.() ?? null;
    native?.forEach((n, i) => {
      const r = results[i];
      if (r === undefined) return;
      r.failures = n.failures;
      r.nrSyscalls = n.nrSyscalls;
      r.actionNs = n.actionNs;
    });
    return {
      name: sch.name,
      backend: this.backend ?? 'sysfs',
      backendLabel: source.label,
      target,
      intervals: { sampleUs: this.req.intervals.sampleUs, aggrUs: this.req.intervals.aggrUs },
      elapsedNs: endNs,
      stoppedBecause: this.endWords(end),
      out: this.req.out,
      schemes: results,
    };
  }

  private async convertOutput(): Promise<number> {
    const { req } = this;
    const out = req.out ?? '';
    const { convertTrace } = await import('../format/convert.js');
    try {
      const r = await convertTrace(this.streamPath, out, { format: req.outputType, mode: req.outputPermission });
      for (const w of r.warnings) this.warn(w);
    } catch (err) {
      throw new DamoError('E_IO', `converting the recording to ${req.outputType} failed: ${errorMessage(err)}`, {
        cause: err,
        hint: `the recording is kept in ${this.streamPath}; retry with 'damo convert -i ${this.streamPath} -o ${out} --format ${req.outputType}'`,
      });
    }
    rmSync(this.streamPath, { force: true });
    return statSync(out).size;
  }

  private async makeSource(kind: SourceChoice, ops: Ops, detection: Detection, pids: number[], paddrRegions: Array<[number, number]> | null, snapshots: boolean): Promise<RecordingSource> {
    const { req, deps } = this;
    const sch = req.schemes;
    if (kind === 'native') {
      return deps.createNativeSource({
        ops: ops as DamonOps,
        pids,
        ranges: ops === 'paddr' ? paddrRegions : req.regions,
        intervals: req.intervals,
        nrRegions: req.nrRegions,
        primitive: req.primitive,
        baseTimeNs: this.baseTimeNs,
        ...(sch !== undefined ? { schemes: sch.schemes, statsIntervalMs: sch.statsIntervalMs } : {}),
      });
    }
    const targets: KdamondTarget[] =
      ops === 'paddr' ? [{ regions: paddrRegions ?? [] }] : pids.map((pid) => (req.regions !== null ? { pid, regions: req.regions } : { pid }));
    return createKernelSource({
      kind,
      kfs: deps.kfs,
      roots: req.roots,
      guardian: this.guardian,
      detection,
      ops,
      intervals: req.intervals,
      nrRegions: req.nrRegions,
      targets,
      baseTimeNs: this.baseTimeNs,
      nowNs: deps.nowNs,
      ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
      ...(deps.aliveCheckMs !== undefined ? { aliveCheckMs: deps.aliveCheckMs } : {}),
      ...(req.snapshotIntervalUs !== undefined ? { snapshotIntervalUs: req.snapshotIntervalUs } : {}),
      ...(sch !== undefined ? { schemes: sch.schemes, statsIntervalMs: sch.statsIntervalMs, snapshots } : {}),
    });
  }

  /**
   * Runs a write to the trace. Writes happen in source callbacks (timers, the addon's
   * thread-safe function), where a throw would crash the process without restoring the
   * kernel; a failed write (disk full, ...) ends the recording instead.
   */
  private write(fn: () => void): void {
    if (this.writeError !== null) return;
    try {
      fn();
    } catch (err) {
      this.writeError = err;
      this.wakeWriteError?.();
    }
  }

  private waitForEnd(source: RecordingSource): Promise<End> {
    const ends: Array<Promise<End>> = [
      new Promise<End>((res) => {
        const check = (): void => {
          if (this.writeError !== null) res({ reason: `error: ${errorMessage(this.writeError)}`, exitCode: 1, error: this.writeError });
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

  private statusText(): string {
    if (this.req.schemes !== undefined) return this.schemesStatusText();
    let wss = 0;
    let regions = 0;
    for (const s of this.latestByTarget.values()) {
      regions += s.starts.length;
      for (let i = 0; i < s.starts.length; i++) if ((s.nrAccesses[i] as number) > 0) wss += (s.ends[i] as number) - (s.starts[i] as number);
    }
    const w = this.writer;
    return `damo: recording ${humanElapsed(this.relNow())}  snapshots ${w?.nrSnapshots ?? 0}  regions ${regions}  working set ${humanBytes(wss)}  file ${humanBytes(w?.bytesWritten ?? 0)}`;
  }

  private schemesStatus: ((elapsedNs: number) => string) | null = null;

  private schemesStatusText(): string {
    const f = this.schemesStatus;
    return f === null ? `damo: schemes ${humanElapsed(this.relNow())}` : f(this.relNow());
  }

  private endWords(end: End): string {
    return end.reason === 'target-exit'
      ? `the target ${describeExit(end.exit)}`
      : end.reason === 'timeout'
        ? `the ${this.req.timeoutSec ?? 0} s timeout passed`
        : end.reason === 'kdamond-stopped'
          ? 'the kernel stopped monitoring (its targets exited)'
          : end.reason.startsWith('signal:')
            ? `of ${end.reason.slice(7)}`
            : end.reason;
  }

  private async reportSchemes(summary: RecordSummary): Promise<void> {
    const { req, deps } = this;
    const s = summary.schemes;
    if (s === undefined) return;
    const { formatOnlineText, onlineJson } = await import('../schemes/online_report.js');
    deps.stdout.write(req.json ? `${JSON.stringify(onlineJson(s), null, 2)}\n` : formatOnlineText(s, false));
    if (!req.quiet && this.warnings.length > 0) deps.stderr.write(`damo: ${this.warnings.length} warning(s) above\n`);
  }

  private async report(summary: RecordSummary, end: End): Promise<void> {
    const { req, deps } = this;
    if (req.schemes !== undefined) {
      await this.reportSchemes(summary);
      return;
    }
    if (req.json) {
      const json = { ...summary, targets: summary.targets.map((t) => ({ ...t, id: t.id === null ? null : t.id.toString() })) };
      deps.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    }
    if (req.quiet) return;
    const why = this.endWords(end);
    const n = summary.targets.length;
    deps.stderr.write(
      `damo: recorded ${summary.nrSnapshots} snapshots (${summary.nrRegions} regions) of ${n} target${n === 1 ? '' : 's'} in ${humanElapsed(summary.elapsedNs)} with ${summary.sourceLabel}\n` +
        `damo: wrote ${req.out ?? ''} (${humanBytes(summary.bytes)}); stopped because ${why}${this.warnings.length > 0 ? `; ${this.warnings.length} warning(s) above` : ''}\n`,
    );
  }
}
