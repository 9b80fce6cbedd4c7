// SPDX-License-Identifier: GPL-2.0-only
/**
 * Read-only detection of what the machine offers for recording, and the choice of a
 * source. Nothing here writes: it reads file existence, `state`/`pid`/`avail_operations`
 * of existing kdamonds, tracefs event directories, the kernel release and privileges
 * (kernel.md §1.5 and §9: damo's own detection stages a dummy kdamond, which would touch a
 * kdamond we did not create).
 */
import { DamoError, errnoCode } from '../core/errors.js';
import type { Ops } from '../core/model.js';
import { INTERVALS_GOAL_SOURCE_HINT, intervalsGoalBlocker } from './intervals_goal_sysfs.js';
import { readTrim as readTrimStrict, type KernelFs } from './kfs.js';
import { TRACE_INSTANCE_PREFIX, type KernelRoots } from './roots.js';
import { SCHEMES_BACKENDS, SOURCE_CHOICES, type SchemesBackend, type SourceChoice } from './source_names.js';


export interface KdamondInfo {
  index: number;
  state: string;
  pid: number | null;
  /** operations of its context, when it has one. */
  ops: string | null;
}

export interface SysfsDetection {
  root: string;
  /** kdamonds/nr_kdamonds exists. */
  present: boolean;
  nrKdamonds: number;
  kdamonds: KdamondInfo[];
  /** Operation sets the kernel has, or null when nothing readable tells. */
  availOps: string[] | null;
  availOpsFrom: 'avail_operations' | 'kallsyms' | 'none';
}

export interface TracefsDetection {
  root: string;
  /** instances/ exists (tracefs is mounted there). */
  present: boolean;
  aggregatedEvent: boolean;
  intervalsTuneEvent: boolean;
  /** Our instances whose recorder pid no longer exists (left by a killed recorder). */
  staleInstances: string[];
}

export interface DebugfsDetection {
  root: string;
  present: boolean;
  /** 'monitor_on' (5.15-6.8) or 'monitor_on_DEPRECATED' (6.9-6.13). */
  monitorOnFile: string | null;
  running: boolean;
}

export interface Detection {
  euid: number;
  kernelRelease: string;
  sysfs: SysfsDetection;
  tracefs: TracefsDetection;
  debugfs: DebugfsDetection;
}

export interface DetectDeps {
  kfs: KernelFs;
  roots: KernelRoots;
  euid: number;
  kernelRelease: string;
  /** Whether any /proc/kallsyms symbol starts with the prefix; null when unreadable. */
  kallsymsHas?: (prefixes: string[]) => Map<string, boolean> | null;
  pidAlive: (pid: number) => boolean;
}

/**
 * Detection reads as whoever runs us: as a normal user most DAMON files are 0600 root, so
 * an unreadable file means "unknown", not a failure (the permission problem is reported
 * when a source that needs root is chosen).
 */
function readTrim(kfs: KernelFs, path: string): string | undefined {
  try {
    return readTrimStrict(kfs, path);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EACCES' || code === 'EPERM') return undefined;
    throw err;
  }
}

function intOr(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) ? n : fallback;
}

export function detectSysfs(deps: DetectDeps): SysfsDetection {
  const { kfs } = deps;
  const root = deps.roots.sysfs;
  const nrText = readTrim(kfs, `${root}/kdamonds/nr_kdamonds`);
  const det: SysfsDetection = {
    root,
    present: nrText !== undefined,
    nrKdamonds: intOr(nrText, 0),
    kdamonds: [],
    availOps: null,
    availOpsFrom: 'none',
  };
  if (!det.present) return det;
  for (let k = 0; k < det.nrKdamonds; k++) {
    const dir = `${root}/kdamonds/${k}`;
    const pidText = readTrim(kfs, `${dir}/pid`);
    const pid = pidText === undefined ? null : intOr(pidText, -1);
    const info: KdamondInfo = {
      index: k,
      state: readTrim(kfs, `${dir}/state`) ?? 'unknown',
      pid: pid !== null && pid > 0 ? pid : null,
      ops: readTrim(kfs, `${dir}/contexts/0/operations`) ?? null,
    };
    det.kdamonds.push(info);
    if (det.availOps === null) {
      const avail = readTrim(kfs, `${dir}/contexts/0/avail_operations`);
      if (avail !== undefined) {
        det.availOps = avail.split(/\s+/).filter((s) => s.length > 0);
        det.availOpsFrom = 'avail_operations';
      }
    }
  }
  if (det.availOps === null && deps.kallsymsHas !== undefined) {
    // No context to read avail_operations from, and making one would be a write. The
    // operation sets register their callbacks under these prefixes (mm/damon/vaddr.c,
    // paddr.c); fvaddr comes with vaddr (5.19+).
    const found = deps.kallsymsHas(['damon_va_', 'damon_pa_']);
    if (found !== null) {
      const ops: string[] = [];
      if (found.get('damon_va_') === true) ops.push('vaddr', 'fvaddr');
      if (found.get('damon_pa_') === true) ops.push('paddr');
      det.availOps = ops;
      det.availOpsFrom = 'kallsyms';
    }
  }
  return det;
}

export function detectTracefs(deps: DetectDeps): TracefsDetection {
  const { kfs } = deps;
  const root = deps.roots.tracefs;
  const present = kfs.isDir(`${root}/instances`);
  const det: TracefsDetection = {
    root,
    present,
    aggregatedEvent: present && kfs.isDir(`${root}/events/damon/damon_aggregated`),
    intervalsTuneEvent: present && kfs.isDir(`${root}/events/damon/damon_monitor_intervals_tune`),
    staleInstances: [],
  };
  if (present) {
    for (const name of kfs.list(`${root}/instances`)) {
      if (!name.startsWith(TRACE_INSTANCE_PREFIX)) continue;
      const pid = Number.parseInt(name.slice(TRACE_INSTANCE_PREFIX.length), 10);
      if (Number.isSafeInteger(pid) && pid > 0 && !deps.pidAlive(pid)) det.staleInstances.push(name);
    }
  }
  return det;
}

/**
 * The name of the debugfs file that turns monitoring on and off: `monitor_on`, renamed
 * `monitor_on_DEPRECATED` in the 6.9 cycle; null when `root` is no DAMON debugfs directory.
 */
export function debugfsMonitorOnFile(kfs: KernelFs, root: string): string | null {
  if (!kfs.exists(`${root}/attrs`) || !kfs.exists(`${root}/target_ids`)) return null;
  if (kfs.exists(`${root}/monitor_on_DEPRECATED`)) return 'monitor_on_DEPRECATED';
  if (kfs.exists(`${root}/monitor_on`)) return 'monitor_on';
  return null;
}

export function detectDebugfs(deps: DetectDeps): DebugfsDetection {
  const { kfs } = deps;
  const root = deps.roots.debugfs;
  const present = kfs.exists(`${root}/attrs`) && kfs.exists(`${root}/target_ids`);
  const monitorOnFile = debugfsMonitorOnFile(kfs, root);
  const running = monitorOnFile !== null && readTrim(kfs, `${root}/${monitorOnFile}`) === 'on';
  return { root, present: present && monitorOnFile !== null, monitorOnFile, running };
}

export function detect(deps: DetectDeps): Detection {
  return {
    euid: deps.euid,
    kernelRelease: deps.kernelRelease,
    sysfs: detectSysfs(deps),
    tracefs: detectTracefs(deps),
    debugfs: detectDebugfs(deps),
  };
}

/** [major, minor] of a release string like '6.18.44-fc'; [0, 0] when unparsable. */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
}

export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const [a, b] = kernelVersion(release);
  return a > major || (a === major && b >= minor);
}

/** What the native engine can do here; filled by the native wrapper's capability probe. */
export interface NativeAvailability {
  /** The addon loaded and the engine can monitor the requested ops. */
  usable: boolean;
  /** Why not, when it is not usable. */
  reason?: string;
  /** The primitive auto would use. */
  primitive?: string;
}

export interface SourceRequest {
  source: 'auto' | SourceChoice;
  ops: Ops;
  nrTargets: number;
  /** An intervals goal asks DAMON to auto-tune: only a sysfs kdamond of ours can (request.ts). */
  autotune?: boolean;
}

export interface ChosenSource {
  kind: SourceChoice;
  /** One line per source auto skipped, saying why. */
  skipped: string[];
}

function runningKdamonds(det: SysfsDetection): KdamondInfo[] {
  return det.kdamonds.filter((k) => k.state === 'on');
}

/** Why our own sysfs kdamond cannot be created, or null when it can. */
function sysfsBlocker(det: Detection, ops: Ops): { code: 'E_UNSUPPORTED' | 'E_BUSY' | 'E_PERM'; why: string; hint?: string } | null {
  const s = det.sysfs;
  if (!s.present) {
    return {
      code: 'E_UNSUPPORTED',
      why: `the DAMON sysfs interface is absent (${s.root}/kdamonds does not exist; it needs Linux 5.18+ with CONFIG_DAMON_SYSFS)`,
    };
  }
  if (det.euid !== 0) {
    return { code: 'E_PERM', why: `controlling kernel DAMON needs root (the files under ${s.root} are writable by root only)`, hint: 'run as root (sudo), or use --source native' };
  }
  if (s.availOps !== null && !s.availOps.includes(ops)) {
    return {
      code: 'E_UNSUPPORTED',
      why: `this kernel's DAMON cannot monitor '${ops}' (available operations: ${s.availOps.join(' ') || 'none'}; it was built without ${ops === 'paddr' ? 'CONFIG_DAMON_PADDR' : 'CONFIG_DAMON_VADDR'})`,
      hint: ops === 'paddr' ? 'physical address monitoring needs a kernel with CONFIG_DAMON_PADDR' : 'use --source native to monitor a process with the user-space engine',
    };
  }
  const running = runningKdamonds(s);
  if (running.length > 0) {
    const who = running.map((k) => `kdamond ${k.index}${k.pid !== null ? ` (pid ${k.pid})` : ''}`).join(', ');
    return {
      code: 'E_BUSY',
      why: `${who} is running and is not ours; the kernel cannot add another kdamond while one runs (writing nr_kdamonds returns EBUSY), and we never modify a kdamond we did not create`,
      hint: ops === 'paddr' ? 'stop that kdamond first, or record it with its own tool' : 'use --source native to record with the user-space engine instead',
    };
  }
  if (s.nrKdamonds > 0) {
    return {
      code: 'E_BUSY',
      why: `${s.nrKdamonds} kdamond(s) are configured under ${s.root}/kdamonds (not running); adding ours means rewriting nr_kdamonds, which would erase their configuration`,
      hint: `if they are unused, remove them with 'echo 0 > ${s.root}/kdamonds/nr_kdamonds'; or use --source native`,
    };
  }
  if (det.debugfs.running) {
    return { code: 'E_BUSY', why: 'the DAMON debugfs interface is monitoring (monitor_on is on), and DAMON runs one interface at a time', hint: 'use --source native' };
  }
  return null;
}

function tracefsBlocker(det: Detection): string | null {
  const t = det.tracefs;
  if (!t.present) {
    return `tracefs is not mounted at ${t.root} (mount it with 'mount -t tracefs nodev ${t.root}' for complete, cheaper recording)`;
  }
  if (!t.aggregatedEvent) return `the damon:damon_aggregated tracepoint is missing under ${t.root}/events (kernel built without tracepoints?)`;
  return null;
}

interface Blocker {
  code: 'E_UNSUPPORTED' | 'E_BUSY' | 'E_PERM';
  why: string;
  hint?: string;
}

function blockerFor(kind: SourceChoice, det: Detection, req: SourceRequest, native: NativeAvailability): Blocker | null {
  const goal = req.autotune === true ? intervalsGoalBlocker(kind) : null;
  if (goal !== null) return { code: 'E_UNSUPPORTED', why: goal, hint: INTERVALS_GOAL_SOURCE_HINT };
  switch (kind) {
    case 'tracefs': {
      const s = sysfsBlocker(det, req.ops);
      if (s !== null) return s;
      const t = tracefsBlocker(det);
      return t === null ? null : { code: 'E_UNSUPPORTED', why: t, hint: 'or use --source sysfs (periodic snapshots)' };
    }
    case 'sysfs': {
      const s = sysfsBlocker(det, req.ops);
      if (s !== null) return s;
      if (!kernelAtLeast(det.kernelRelease, 6, 2)) {
        return { code: 'E_UNSUPPORTED', why: `sysfs snapshots need DAMOS tried_regions (Linux 6.2+); this kernel is ${det.kernelRelease}`, hint: 'use --source tracefs' };
      }
      if (req.nrTargets > 1 && !kernelAtLeast(det.kernelRelease, 6, 6)) {
        return { code: 'E_UNSUPPORTED', why: `sysfs snapshots of several targets need DAMOS target filters (Linux 6.6+); this kernel is ${det.kernelRelease}`, hint: 'record one target, or use --source tracefs' };
      }
      return null;
    }
    case 'debugfs': {
      const d = det.debugfs;
      if (!d.present) {
        return { code: 'E_UNSUPPORTED', why: `the DAMON debugfs interface is absent (${d.root}; it exists on Linux 5.15-6.13 with CONFIG_DAMON_DBGFS)` };
      }
      if (det.euid !== 0) return { code: 'E_PERM', why: 'the DAMON debugfs interface needs root', hint: 'run as root (sudo), or use --source native' };
      if (req.ops === 'fvaddr') return { code: 'E_UNSUPPORTED', why: "the debugfs interface has no 'fvaddr' operations", hint: 'use --ops vaddr, or --source sysfs' };
      // monitor_on reads 'on' while any kdamond runs, sysfs ones included: name the cause.
      if (runningKdamonds(det.sysfs).length > 0) {
        return { code: 'E_BUSY', why: 'a sysfs kdamond is running, and DAMON refuses debugfs monitoring while one does', hint: 'use --source native' };
      }
      if (d.running) {
        return { code: 'E_BUSY', why: `DAMON debugfs monitoring is already on (${d.root}/${d.monitorOnFile ?? 'monitor_on'}) and is not ours`, hint: 'use --source native' };
      }
      const t = tracefsBlocker(det);
      return t === null ? null : { code: 'E_UNSUPPORTED', why: `debugfs recording reads the tracepoint, but ${t}` };
    }
    case 'native':
      if (!native.usable) return { code: 'E_UNSUPPORTED', why: native.reason ?? 'the native engine is unusable here' };
      return null;
  }
}

const LABEL: Record<SourceChoice, string> = {
  tracefs: 'tracefs stream',
  sysfs: 'sysfs snapshots',
  debugfs: 'debugfs',
  native: 'native engine',
};

/**
 * Picks the source. Auto order: tracefs stream, sysfs snapshots, debugfs, native. An
 * explicit choice that cannot work fails with the reason and what to do instead.
 */
export function chooseSource(req: SourceRequest, det: Detection, native: NativeAvailability): ChosenSource {
  if (req.source !== 'auto') {
    const b = blockerFor(req.source, det, req, native);
    if (b !== null) {
      throw new DamoError(b.code, `cannot record with --source ${req.source}: ${b.why}`, b.hint === undefined ? {} : { hint: b.hint });
    }
    return { kind: req.source, skipped: [] };
  }
  const skipped: string[] = [];
  const blockers: Blocker[] = [];
  for (const kind of SOURCE_CHOICES) {
    const b = blockerFor(kind, det, req, native);
    if (b === null) return { kind, skipped };
    blockers.push(b);
    skipped.push(`${LABEL[kind]}: ${b.why}`);
  }
  // Nothing works: report the most useful reason (a busy or permission problem on the
  // kernel side says more than "native cannot do paddr").
  const main = blockers.find((b) => b.code !== 'E_UNSUPPORTED') ?? blockers[0];
  throw new DamoError(main?.code ?? 'E_UNSUPPORTED', `no usable source to record '${req.ops}':\n  ${skipped.join('\n  ')}`, main?.hint === undefined ? {} : { hint: main.hint });
}

/**
 * `damo record ongoing` reads a running kdamond's events through our own tracefs instance;
 * the other sources would need a kdamond of their own (or the debugfs one), so only
 * tracefs (or auto) can do it.
 */
export function chooseOngoingSource(requested: 'auto' | SourceChoice, det: Detection): ChosenSource {
  if (requested !== 'auto' && requested !== 'tracefs') {
    throw new DamoError('E_USAGE', `'ongoing' is recorded from the running kdamond's tracepoint events, not with --source ${requested}`, { hint: 'drop --source, or use --source tracefs' });
  }
  const t = tracefsBlocker(det);
  if (t !== null) throw new DamoError('E_UNSUPPORTED', `cannot record the ongoing kdamond: ${t}`);
  return { kind: 'tracefs', skipped: [] };
}

// ---------------------------------------------------------------------------------------
// `damo schemes`: where the schemes run.


export interface SchemesBackendRequest {
  backend: 'auto' | SchemesBackend;
  ops: Ops;
  nrTargets: number;
  /** A trace is recorded too (-o): the backend must also deliver snapshots. */
  withSnapshots: boolean;
  /** Why each backend cannot apply these particular schemes (null: it can). */
  schemesProblem: Record<SchemesBackend, string | null>;
}

export interface ChosenSchemesBackend {
  backend: SchemesBackend;
  /** The source that runs it: sysfs records through tracefs when it can. */
  kind: SourceChoice;
  /** false: only the schemes run, nothing is sampled for a trace. */
  snapshots: boolean;
  skipped: string[];
}

function schemesBlocker(
  backend: SchemesBackend,
  det: Detection,
  req: SchemesBackendRequest,
  native: NativeAvailability,
): Blocker | { kind: SourceChoice } {
  const problem = req.schemesProblem[backend];
  switch (backend) {
    case 'sysfs': {
      const s = sysfsBlocker(det, req.ops);
      if (s !== null) return s;
      if (problem !== null) return { code: 'E_UNSUPPORTED', why: problem };
      if (!req.withSnapshots) return { kind: 'sysfs' };
      if (tracefsBlocker(det) === null) return { kind: 'tracefs' };
      const b = blockerFor('sysfs', det, { source: 'sysfs', ops: req.ops, nrTargets: req.nrTargets }, native);
      return b ?? { kind: 'sysfs' };
    }
    case 'debugfs': {
      const d = det.debugfs;
      if (!d.present) return { code: 'E_UNSUPPORTED', why: `the DAMON debugfs interface is absent (${d.root}; it exists on Linux 5.15-6.13 with CONFIG_DAMON_DBGFS)` };
      if (req.withSnapshots) {
        const b = blockerFor('debugfs', det, { source: 'debugfs', ops: req.ops, nrTargets: req.nrTargets }, native);
        if (b !== null) return b;
      } else {
        if (det.euid !== 0) return { code: 'E_PERM', why: 'the DAMON debugfs interface needs root', hint: 'run as root (sudo), or use --backend native' };
        if (req.ops === 'fvaddr') return { code: 'E_UNSUPPORTED', why: "the debugfs interface has no 'fvaddr' operations", hint: 'use --ops vaddr, or --backend sysfs' };
        if (runningKdamonds(det.sysfs).length > 0) return { code: 'E_BUSY', why: 'a sysfs kdamond is running, and DAMON refuses debugfs monitoring while one does', hint: 'use --backend native' };
        if (d.running) return { code: 'E_BUSY', why: `DAMON debugfs monitoring is already on (${d.root}/${d.monitorOnFile ?? 'monitor_on'}) and is not ours`, hint: 'use --backend native' };
      }
      if (problem !== null) return { code: 'E_UNSUPPORTED', why: problem };
      return { kind: 'debugfs' };
    }
    case 'native': {
      if (!native.usable) return { code: 'E_UNSUPPORTED', why: native.reason ?? 'the native engine is unusable here' };
      if (problem !== null) return { code: 'E_UNSUPPORTED', why: problem };
      return { kind: 'native' };
    }
  }
}

/**
 * Picks where schemes run. Auto order: kernel sysfs, kernel debugfs, native engine (the
 * kernel applies every action and costs less). An explicit choice that cannot work fails
 * with the reason.
 */
export function chooseSchemesBackend(req: SchemesBackendRequest, det: Detection, native: NativeAvailability): ChosenSchemesBackend {
  // The record blockers' advice names --source; here the choice is --backend.
  const attempt = (b: SchemesBackend): Blocker | { kind: SourceChoice } => {
    const r = schemesBlocker(b, det, req, native);
    if (!('why' in r)) return r;
    const fix = (t: string): string => t.replace(/--source (native|sysfs|debugfs)/g, '--backend $1').replace(/to record with the user-space engine/g, 'to apply them with the user-space engine');
    return { code: r.code, why: fix(r.why), ...(r.hint === undefined ? {} : { hint: fix(r.hint) }) };
  };
  if (req.backend !== 'auto') {
    const r = attempt(req.backend);
    if ('why' in r) throw new DamoError(r.code, `cannot apply the schemes with --backend ${req.backend}: ${r.why}`, r.hint === undefined ? {} : { hint: r.hint });
    return { backend: req.backend, kind: r.kind, snapshots: req.withSnapshots, skipped: [] };
  }
  const skipped: string[] = [];
  const blockers: Blocker[] = [];
  for (const b of SCHEMES_BACKENDS) {
    const r = attempt(b);
    if (!('why' in r)) return { backend: b, kind: r.kind, snapshots: req.withSnapshots, skipped };
    blockers.push(r);
    skipped.push(`${b === 'native' ? 'native engine' : `kernel ${b}`}: ${r.why}`);
  }
  const main = blockers.find((b) => b.code !== 'E_UNSUPPORTED') ?? blockers[0];
  throw new DamoError(main?.code ?? 'E_UNSUPPORTED', `no backend can apply these schemes to '${req.ops}':\n  ${skipped.join('\n  ')}`, main?.hint === undefined ? {} : { hint: main.hint });
}
