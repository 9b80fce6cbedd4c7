// SPDX-License-Identifier: GPL-2.0-only
/**
 * Our own kdamond, made and removed through the DAMON sysfs interface (kernel.md §1).
 *
 * Invariants:
 * - We only ever create kdamond 0 when kdamonds/nr_kdamonds reads 0: writing nr_kdamonds
 *   recreates every kdamond directory (erasing configurations) and returns EBUSY while any
 *   kdamond runs, so a kdamond that is not ours is never touched.
 * - `nr_*` files are written only when the count changes (a rewrite recreates children).
 * - Every write is one write(); `state` commands retry EBUSY (the store uses trylock).
 * - `restore()` stops our kdamond (only if its pid is still the one we started) and writes
 *   nr_kdamonds back to 0, whatever state the setup got to.
 * - Schemes (`damo schemes`): the user's schemes are schemes 0..N-1, written exactly as
 *   `sysfsFiles()` lists them (src/schemes/kernel.ts); the snapshot source's `stat` schemes
 *   follow them, so their tried regions show the ages after the user's actions, like the
 *   damon_aggregated tracepoint does. Their statistics come from `update_schemes_stats`.
 */
import { UINT_MAX, ULONG_MAX } from '../core/damon_constants.js';
import { DamoError, errnoCode, errorMessage } from '../core/errors.js';
import type { Intervals, IntervalsGoal, NrRegionsRange, Ops } from '../core/model.js';
import { sysfsFiles } from '../schemes/kernel.js';
import { describeScheme, type Scheme } from '../schemes/model.js';
import type { Guardian } from './guardian.js';
import { intervalsGoalFiles, intervalsGoalToWrite } from './intervals_goal_sysfs.js';
import { readTrim, sleepMs, writeRetryBusy, type KernelFs } from './kfs.js';


export interface KdamondTarget {
  /** Process to monitor (vaddr, fvaddr). */
  pid?: number;
  /** Fixed ranges [start, end) for fvaddr and paddr, sorted, non-overlapping. */
  regions?: Array<[number, number]>;
}

export interface KdamondPlan {
  ops: Ops;
  intervals: Intervals;
  /**
   * The intervals auto-tuning goal, written when the kernel has intervals_goal (6.15+);
   * one that asks for tuning is refused on older kernels. Undefined: left as the kernel has it.
   */
  intervalsGoal?: IntervalsGoal;
  nrRegions: NrRegionsRange;
  targets: KdamondTarget[];
  /**
   * Install `stat` schemes whose tried regions are the snapshot (sysfs snapshot source):
   * one scheme matching every region, or one per target with a target filter when there
   * are several targets (tried_regions does not say which target a region belongs to).
   */
  statSchemes: boolean;
  /** The user's schemes (`damo schemes`), installed before the stat schemes. */
  schemes?: readonly Scheme[];
}

/** A scheme's `stats/*` files after update_schemes_stats. */
export interface KernelSchemeStats {
  nrTried: number;
  szTried: number;
  nrApplied: number;
  szApplied: number;
  qtExceeds: number;
  /** stats/sz_ops_filter_passed (6.14+); 0 when the kernel lacks it. */
  szOpsFilterPassed: number;
}

/** Optional scheme files, most specific first: which feature and release each needs. */
const SCHEME_FILE_FEATURES: ReadonlyArray<[RegExp, string]> = [
  [/\/apply_interval_us$/, 'apply intervals (Linux 6.7+)'],
  [/\/quotas\/goals\/\d+\/nid$/, 'per-node quota goals (Linux 6.16+)'],
  [/\/quotas\/goals\/\d+\/path$/, 'memcg quota goals (Linux 6.19+)'],
  [/\/quotas\/goals\//, 'quota goals (Linux 6.8+)'],
  [/\/quotas\/weights\//, 'quota priority weights (Linux 5.18+)'],
  [/\/filters\/\d+\/(addr_start|addr_end)$/, 'addr filters (Linux 6.6+)'],
  [/\/filters\/\d+\/damon_target_idx$/, 'target filters (Linux 6.6+)'],
  [/\/filters\/\d+\/allow$/, 'allow filters (Linux 6.14+)'],
  [/\/filters\/\d+\/(min|max)$/, 'hugepage_size filters (Linux 6.15+)'],
  [/\/filters\//, 'filters (Linux 6.3+)'],
  [/\/target_nid$/, 'migration actions (Linux 6.11+)'],
  [/\/dests\//, 'weighted migration destinations (Linux 6.17+)'],
];

function schemeFeature(path: string): string {
  return SCHEME_FILE_FEATURES.find(([re]) => re.test(path))?.[1] ?? 'a newer DAMOS feature';
}

export interface TriedRegions {
  starts: number[];
  ends: number[];
  nrAccesses: number[];
  ages: number[];
}

function num(n: number): string {
  return String(n);
}

/**
 * The files under a context's monitoring_attrs for its intervals, intervals goal (null: none
 * to write, see intervals_goal_sysfs.ts) and region counts, in the order damo writes them.
 */
export function monitoringAttrsFiles(ctxDir: string, intervals: Intervals, nrRegions: NrRegionsRange, goal: IntervalsGoal | null = null): Array<[path: string, value: number]> {
  const attrs = `${ctxDir}/monitoring_attrs`;
  return [
    [`${attrs}/intervals/sample_us`, intervals.sampleUs],
    [`${attrs}/intervals/aggr_us`, intervals.aggrUs],
    [`${attrs}/intervals/update_us`, intervals.opsUpdateUs],
    ...(goal === null ? [] : intervalsGoalFiles(ctxDir, goal)),
    [`${attrs}/nr_regions/min`, nrRegions.min],
    [`${attrs}/nr_regions/max`, nrRegions.max],
  ];
}

export class OurKdamond {
  readonly kdamondDir: string;
  readonly ctxDir: string;
  /** Pid of the kdamond thread after start(); null before. */
  kdamondPid: number | null = null;
  private created = false;
  private restored = false;

  constructor(
    private readonly kfs: KernelFs,
    readonly root: string,
    readonly plan: KdamondPlan,
    private readonly guardian: Guardian,
  ) {
    this.kdamondDir = `${root}/kdamonds/0`;
    this.ctxDir = `${this.kdamondDir}/contexts/0`;
  }

  private w(path: string, value: string): void {
    this.kfs.write(path, value);
  }

  /** Creates and configures kdamond 0. On failure everything is undone and a DamoError thrown. */
  setup(): void {
    const nrPath = `${this.root}/kdamonds/nr_kdamonds`;
    const nr = readTrim(this.kfs, nrPath);
    if (nr !== '0') {
      throw new DamoError('E_BUSY', `cannot add a kdamond: ${nrPath} reads ${nr ?? '(missing)'}, and rewriting it would erase kdamonds that are not ours`, {
        hint: 'use --source native',
      });
    }
    // Registered before the write: the guardian's check makes it harmless if we die first.
    this.guardian.add({ kind: 'write-if-equals', checkPath: nrPath, equals: '1', path: nrPath, value: '0' });
    try {
      this.w(nrPath, '1');
      this.created = true;
      this.configure();
    } catch (err) {
      this.restore();
      throw toDamoError(err, 'configuring our kdamond');
    }
  }

  private configure(): void {
    const { plan } = this;
    this.w(`${this.kdamondDir}/contexts/nr_contexts`, '1');
    const avail = readTrim(this.kfs, `${this.ctxDir}/avail_operations`);
    if (avail !== undefined && !avail.split(/\s+/).includes(plan.ops)) {
      throw new DamoError('E_UNSUPPORTED', `this kernel's DAMON cannot monitor '${plan.ops}' (avail_operations: ${avail || 'none'})`, {
        hint: plan.ops === 'paddr' ? 'it needs CONFIG_DAMON_PADDR' : 'use --source native to monitor a process with the user-space engine',
      });
    }
    const goal = intervalsGoalToWrite(this.kfs, this.ctxDir, plan.intervalsGoal, null, 'kdamond 0');
    this.w(`${this.ctxDir}/operations`, plan.ops);
    for (const [path, value] of monitoringAttrsFiles(this.ctxDir, plan.intervals, plan.nrRegions, goal)) this.w(path, num(value));
    this.w(`${this.ctxDir}/targets/nr_targets`, num(plan.targets.length));
    plan.targets.forEach((t, i) => {
      const dir = `${this.ctxDir}/targets/${i}`;
      if (plan.ops !== 'paddr' && t.pid !== undefined) this.w(`${dir}/pid_target`, num(t.pid));
      const regions = t.regions ?? [];
      if (regions.length > 0) {
        this.w(`${dir}/regions/nr_regions`, num(regions.length));
        regions.forEach(([start, end], j) => {
          this.w(`${dir}/regions/${j}/start`, num(start));
          this.w(`${dir}/regions/${j}/end`, num(end));
        });
      }
    });
    this.configureSchemes();
  }

  /** Number of user schemes; the stat schemes come after them. */
  private get nrUserSchemes(): number {
    return this.plan.schemes?.length ?? 0;
  }

  private get nrStatSchemes(): number {
    if (!this.plan.statSchemes) return 0;
    return this.plan.targets.length > 1 ? this.plan.targets.length : 1;
  }

  private configureSchemes(): void {
    const total = this.nrUserSchemes + this.nrStatSchemes;
    if (total === 0) return;
    this.w(`${this.ctxDir}/schemes/nr_schemes`, num(total));
    this.writeUserSchemes();
    this.writeStatSchemes();
  }

  /** The user's schemes, file by file as sysfsFiles() lists them. */
  private writeUserSchemes(): void {
    const user = this.plan.schemes ?? [];
    if (user.length === 0) return;
    const { sampleUs, aggrUs } = this.plan.intervals;
    for (const f of sysfsFiles(user, { sampleUs, aggrUs })) {
      if (f.path === 'schemes/nr_schemes') continue;
      const path = `${this.ctxDir}/${f.path}`;
      const index = Number(/^schemes\/(\d+)\//.exec(f.path)?.[1] ?? 0);
      const scheme = user[index];
      const who = scheme === undefined ? `scheme ${index}` : describeScheme(scheme, index);
      if (!this.kfs.exists(path)) {
        // Before 6.14 filters only reject, which is what allow=N means: nothing to write.
        if (/\/filters\/\d+\/allow$/.test(f.path) && f.value === 'N') continue;
        throw new DamoError('E_UNSUPPORTED', `${who} uses ${schemeFeature(f.path)}, which this kernel lacks (${path} does not exist)`, {
          hint: 'drop that part of the scheme, or use a newer kernel',
        });
      }
      try {
        this.w(path, f.value);
      } catch (err) {
        if (errnoCode(err) === 'EINVAL') {
          const what = f.path.endsWith('/action') ? `the action '${f.value}'` : f.path.endsWith('/type') ? `the filter type '${f.value}'` : f.path.endsWith('/target_metric') ? `the quota goal metric '${f.value}'` : `'${f.value}' for ${f.path.replace(/^schemes\/\d+\//, '')}`;
          throw new DamoError('E_UNSUPPORTED', `${who}: this kernel does not accept ${what} (EINVAL writing ${path})`, {
            cause: err,
            hint: f.path.endsWith('/action') ? `check the kernel's release: collapse is not in any release yet (mm.git), migrate_* needs 6.11+, lru_prio/lru_deprio 6.0+` : 'check what this kernel release supports',
          });
        }
        throw err;
      }
    }
  }

  private writeStatSchemes(): void {
    const { plan } = this;
    const perTarget = plan.targets.length > 1;
    const schemes = `${this.ctxDir}/schemes`;
    for (let t = 0; t < this.nrStatSchemes; t++) {
      const s = this.nrUserSchemes + t;
      const dir = `${schemes}/${s}`;
      this.w(`${dir}/action`, 'stat');
      // The ranges are closed intervals and default to 0..0; open them fully.
      this.w(`${dir}/access_pattern/sz/min`, '0');
      this.w(`${dir}/access_pattern/sz/max`, ULONG_MAX.toString());
      this.w(`${dir}/access_pattern/nr_accesses/min`, '0');
      this.w(`${dir}/access_pattern/nr_accesses/max`, String(UINT_MAX));
      this.w(`${dir}/access_pattern/age/min`, '0');
      this.w(`${dir}/access_pattern/age/max`, String(UINT_MAX));
      // A walk completes after every scheme's apply pass; applying each sampling interval
      // keeps the snapshot latency at one sample (damo does the same).
      if (this.kfs.exists(`${dir}/apply_interval_us`)) this.w(`${dir}/apply_interval_us`, num(plan.intervals.sampleUs));
      if (perTarget) {
        this.w(`${dir}/filters/nr_filters`, '1');
        const f = `${dir}/filters/0`;
        if (!this.kfs.exists(`${f}/damon_target_idx`)) {
          throw new DamoError('E_UNSUPPORTED', 'sysfs snapshots of several targets need DAMOS target filters (Linux 6.6+)', {
            hint: 'record one target, or use --source tracefs',
          });
        }
        this.w(`${f}/type`, 'target');
        this.w(`${f}/damon_target_idx`, num(t));
        // Reject regions of every other target ("matching N" works before and after the
        // 6.14 allow/reject rework, where allow defaults to N).
        this.w(`${f}/matching`, 'N');
      }
    }
  }

  /** Turns our kdamond on and returns its pid. */
  start(): number {
    // Registered before 'on' so no moment is left uncovered. kdamond 0 exists only because
    // we created it (nr_kdamonds was 0), and nobody can recreate it while ours runs.
    this.guardian.add({ kind: 'write-if-equals', checkPath: `${this.kdamondDir}/state`, equals: 'on', path: `${this.kdamondDir}/state`, value: 'off' });
    try {
      writeRetryBusy(this.kfs, `${this.kdamondDir}/state`, 'on');
    } catch (err) {
      const code = errnoCode(err);
      this.restore();
      if (code === 'EINVAL') {
        throw new DamoError('E_UNSUPPORTED', `the kernel rejected our DAMON configuration when turning kdamond 0 on (EINVAL)`, {
          cause: err,
          hint: 'check the intervals (sample <= aggr), --monitoring_nr_regions_range (min >= 3, min <= max), that the target pids exist, and --regions',
        });
      }
      throw toDamoError(err, 'turning kdamond 0 on');
    }
    const pidText = readTrim(this.kfs, `${this.kdamondDir}/pid`);
    const pid = pidText === undefined ? NaN : Number.parseInt(pidText, 10);
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      this.restore();
      throw new DamoError('E_TARGET', `kdamond 0 stopped right after it started (pid reads ${pidText ?? 'nothing'}); its targets may have exited`);
    }
    this.kdamondPid = pid;
    return pid;
  }

  /** Whether our kdamond still runs (it stops by itself when every target has exited). */
  isRunning(): boolean {
    if (this.kdamondPid === null) return false;
    if (readTrim(this.kfs, `${this.kdamondDir}/state`) !== 'on') return false;
    return readTrim(this.kfs, `${this.kdamondDir}/pid`) === String(this.kdamondPid);
  }

  /** Asks the kernel for the current tried regions of every stat scheme. */
  updateTriedRegions(): TriedRegions[] {
    writeRetryBusy(this.kfs, `${this.kdamondDir}/state`, 'update_schemes_tried_regions');
    const out: TriedRegions[] = [];
    for (let t = 0; t < this.nrStatSchemes; t++) {
      const dir = `${this.ctxDir}/schemes/${this.nrUserSchemes + t}/tried_regions`;
      const idx = this.kfs
        .list(dir)
        .filter((n) => /^\d+$/.test(n))
        .map(Number)
        .sort((a, b) => a - b);
      const r: TriedRegions = { starts: [], ends: [], nrAccesses: [], ages: [] };
      for (const i of idx) {
        const rd = `${dir}/${i}`;
        r.starts.push(Number(readTrim(this.kfs, `${rd}/start`)));
        r.ends.push(Number(readTrim(this.kfs, `${rd}/end`)));
        r.nrAccesses.push(Number(readTrim(this.kfs, `${rd}/nr_accesses`)));
        r.ages.push(Number(readTrim(this.kfs, `${rd}/age`) ?? -1));
      }
      out.push(r);
    }
    return out;
  }

  /** The statistics of the user's schemes, fresh from the kernel (update_schemes_stats). */
  updateSchemeStats(): KernelSchemeStats[] {
    writeRetryBusy(this.kfs, `${this.kdamondDir}/state`, 'update_schemes_stats');
    const out: KernelSchemeStats[] = [];
    for (let i = 0; i < this.nrUserSchemes; i++) {
      const dir = `${this.ctxDir}/schemes/${i}/stats`;
      const n = (name: string): number => Number(readTrim(this.kfs, `${dir}/${name}`) ?? 0);
      out.push({ nrTried: n('nr_tried'), szTried: n('sz_tried'), nrApplied: n('nr_applied'), szApplied: n('sz_applied'), qtExceeds: n('qt_exceeds'), szOpsFilterPassed: n('sz_ops_filter_passed') });
    }
    return out;
  }

  /** Stops our kdamond if it still runs. Never touches a kdamond whose pid is not ours. */
  stop(): void {
    if (!this.created || this.kdamondPid === null) return;
    if (!this.isRunning()) return;
    try {
      writeRetryBusy(this.kfs, `${this.kdamondDir}/state`, 'off');
    } catch (err) {
      // It may have stopped by itself between the check and the write.
      if (readTrim(this.kfs, `${this.kdamondDir}/state`) !== 'off') throw err;
    }
  }

  /**
   * Undoes everything: stops the kdamond and removes its directory by writing
   * nr_kdamonds back to 0. Idempotent. Returns warnings for what could not be undone.
   */
  restore(): string[] {
    if (this.restored || !this.created) return [];
    const warnings: string[] = [];
    try {
      this.stop();
    } catch (err) {
      warnings.push(`could not stop kdamond 0: ${errorMessage(err)}`);
    }
    // EBUSY here means another kdamond started meanwhile; retry for about 2 s.
    const nrPath = `${this.root}/kdamonds/nr_kdamonds`;
    for (let i = 0; ; i++) {
      try {
        if (readTrim(this.kfs, nrPath) !== '0') this.kfs.write(nrPath, '0');
        break;
      } catch (err) {
        if (errnoCode(err) === 'EBUSY' && i < 20) {
          sleepMs(100);
          continue;
        }
        warnings.push(`could not remove our kdamond 0 (writing 0 to ${nrPath}: ${errorMessage(err)}); it is stopped, remove it with 'echo 0 > ${nrPath}'`);
        break;
      }
    }
    this.restored = true;
    return warnings;
  }
}

/** Turns an errno failure of a kernel write into a DamoError that names the step. */
export function toDamoError(err: unknown, what: string): DamoError {
  if (err instanceof DamoError) return err;
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM') {
    return new DamoError('E_PERM', `${what}: permission denied (${errorMessage(err)})`, { cause: err, hint: 'kernel DAMON control needs root; or use --source native' });
  }
  if (code === 'EBUSY') {
    return new DamoError('E_BUSY', `${what}: the kernel says busy (${errorMessage(err)}); another DAMON user may have started meanwhile`, { cause: err, hint: 'use --source native' });
  }
  if (code === 'ENOENT') {
    return new DamoError('E_UNSUPPORTED', `${what}: a DAMON control file is missing (${errorMessage(err)}); this kernel's DAMON lacks a feature we need`, { cause: err });
  }
  return new DamoError('E_IO', `${what}: ${errorMessage(err)}`, { cause: err });
}
