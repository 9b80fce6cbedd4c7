/**
 * Offline DAMOS: what would these schemes have done to the recorded workload?
 *
 * The simulator replays a trace one aggregation interval ("step") at a time and runs the
 * kernel's scheme-application code on each step's regions, under the kernel's names
 * (mm/damon/core.c, Linux ~6.17: kdamond_apply_schemes, damos_adjust_quota,
 * damon_do_apply_schemes, damos_skip_charged_region, damos_apply_scheme,
 * damos_core_filter_out; mm/damon/ops-common.c damon_hot_score/damon_cold_score).
 *
 * Why a trace snapshot is what the kernel's schemes see: in kdamond_fn, at the end of each
 * aggregation interval the kernel merges regions (updating ages), applies schemes, and only
 * then emits the damon_aggregated tracepoint and resets the counters. So the recorded
 * regions, nr_accesses and ages of a snapshot are exactly the input of that apply pass.
 *
 * What the trace cannot tell, and how it is handled (each is reported as a note):
 * - Actions change the future in the real kernel: an applied non-stat action resets the
 *   region's age to 0. The simulator keeps, per address range, when its age was last reset
 *   and uses min(recorded age, aggregations since the reset), size-weighted like
 *   damon_merge_two_regions, for later steps.
 * - Traces without ages (old damo files): ages are rebuilt with the kernel's merge rule
 *   (kdamond_merge_regions / damon_merge_regions_of) against the previous snapshot.
 * - Ops-layer filters (anon, memcg, young, ...), watermarks and quota goals other than
 *   user_input need the live system; they are treated as passing/active/absent.
 * - The action's cost: a `quota_ms` time quota uses the kernel's initial throughput guess
 *   (PAGE_SIZE * 1024 bytes per ms, damos_set_effective_quota) throughout.
 * - Applies scheduled between aggregation boundaries (apply_interval not a multiple of
 *   the aggregation interval) see that aggregation's final regions.
 *
 * Effects are estimated from the trace itself: bytes an action paged out (or deactivated,
 * or advised huge pages for) stay so until the trace shows the range accessed again, which
 * counts as refault (re-activation) bytes. Like damo's working-set size, a region with any
 * access counts as accessed in full.
 */
import type { Snapshot, TraceSource } from '../core/model.js';
import { DamoError } from '../core/errors.js';
import { kernelPattern, type SchemeIntervals } from './kernel.js';
import {
  OPS_ACTIONS,
  describeScheme,
  hasQuota,
  isCoreFilter,
  type DamosAction,
  type DamosFilter,
  type Scheme,
} from './model.js';
import { RangeMap } from './rangemap.js';
import { formatSchemeLine } from './text.js';
import { TimeSeries } from './timeseries.js';

export type SimOps = 'vaddr' | 'fvaddr' | 'paddr';

export interface SimulationOptions {
  intervals: SchemeIntervals;
  ops: SimOps;
  /** DAMON_MIN_REGION / ctx->min_region_sz: the page size. */
  minRegionSz?: number;
  /** Bytes per millisecond an action is assumed to process, for time quotas. */
  actionBytesPerMs?: number;
  /** Time points kept in the timeline (older points are merged pairwise beyond this). */
  maxTimelinePoints?: number;
  /** Called for every region an action is applied to (tests, and per-region listings). */
  onApply?: (event: ApplyEvent) => void;
}

export interface ApplyEvent {
  scheme: number;
  targetIndex: number;
  start: number;
  end: number;
  szApplied: number;
  /** End of the aggregation interval, trace time. */
  timeNs: number;
}

/** What an action does to memory, for the effect estimate. */
export type EffectKind = 'paged-out' | 'deactivated' | 'huge-advised' | 'none';

export function effectOf(action: DamosAction): EffectKind {
  switch (action) {
    case 'pageout':
      return 'paged-out';
    case 'cold':
    case 'lru_deprio':
      return 'deactivated';
    case 'hugepage':
    case 'collapse':
      return 'huge-advised';
    default:
      return 'none';
  }
}

export interface SchemeStats {
  nrTried: number;
  szTried: number;
  nrApplied: number;
  szApplied: number;
  qtExceeds: number;
  nrSnapshots: number;
}

export interface SchemeEffects {
  kind: EffectKind;
  /** Bytes in the effect's state (paged out / deactivated / huge-advised) at the end. */
  finalBytes: number;
  peakBytes: number;
  /** Time-weighted mean of the bytes in that state over the trace. */
  meanBytes: number;
  /** Bytes found accessed again after the action (refaults for pageout). */
  reaccessedBytes: number;
  /**
   * Bytes that entered the state (applying the action again to bytes already in it does
   * not count): the base of the refault ratio.
   */
  enteredBytes: number;
}

export interface SchemeResult {
  index: number;
  line: string;
  description: string;
  action: DamosAction;
  /** The access pattern in kernel units at the simulated intervals. */
  kernel: { minSzBytes: number; maxSzBytes: number; minNrAccesses: number; maxNrAccesses: number; minAge: number; maxAge: number };
  stats: SchemeStats;
  effects: SchemeEffects;
  notes: string[];
}

export interface SimulationResult {
  intervals: SchemeIntervals;
  ops: SimOps;
  nrSteps: number;
  nrSnapshots: number;
  startNs: number;
  endNs: number;
  ageSource: 'trace' | 'reconstructed' | 'mixed' | 'none';
  schemes: SchemeResult[];
  timeline: {
    timesNs: number[];
    monitoredBytes: number[];
    /** Per scheme: bytes tried, applied and re-accessed in each point's interval; bytes in the effect's state at its end. */
    schemes: Array<{ szTried: number[]; szApplied: number[]; reaccessedBytes: number[]; effectBytes: number[] }>;
  };
  notes: string[];
}

// ---------------------------------------------------------------------------------------
// Kernel state.

/** struct damon_region, for one step. */
interface Region {
  start: number;
  end: number;
  nrAccesses: number;
  age: number;
  next: Region | null;
}

interface KPattern {
  minSz: number;
  maxSz: number;
  minNr: number;
  maxNr: number;
  minAge: number;
  maxAge: number;
}

/** struct damos_quota's run-time fields. */
interface QuotaState {
  esz: number;
  escBp: number;
  totalChargedSz: number;
  chargedSz: number;
  chargedFromMs: number | null;
  chargeTargetFrom: number | null;
  chargeAddrFrom: number;
  minScore: number;
}

interface SchemeState {
  scheme: Scheme;
  index: number;
  kp: KPattern;
  applySis: number;
  nextApplySis: number;
  quotaOn: boolean;
  resetIntervalMs: number;
  quota: QuotaState;
  stats: SchemeStats;
  coreFilters: DamosFilter[];
  coreFiltersDefaultReject: boolean;
  /** Whether the operations set implements the action (apply_scheme returns bytes). */
  applies: boolean;
  effect: EffectKind;
  notes: string[];
  // per-step accumulators
  stepTried: number;
  stepApplied: number;
  stepReaccessed: number;
  effectBytes: number;
  peakEffectBytes: number;
  effectByteNs: number;
  reaccessedTotal: number;
  enteredTotal: number;
}

const DAMOS_MAX_SCORE = 99;
const DAMON_MAX_SUBSCORE = 100;
const DAMON_MAX_AGE_IN_LOG = 32;

function alignDown(x: number, a: number): number {
  return x - (x % a);
}

/**
 * damon_feed_loop_next_input(): the next input for a target score of 10000, proportional
 * to how far the last score was from it.
 */
export function damonFeedLoopNextInput(lastInput: number, score: number): number {
  const goal = 10000;
  const minInput = 10000;
  if (score === goal) return lastInput;
  if (score >= goal * 2) return minInput;
  const overAchieving = score > goal;
  const diff = overAchieving ? score - goal : goal - score;
  const compensation = Math.floor((lastInput * diff) / goal);
  if (overAchieving) return Math.max(lastInput - compensation, minInput);
  return lastInput + compensation;
}

/** One state shared by all schemes, plus the effect maps. */
export class SchemesSimulator {
  private readonly states: SchemeState[];
  private readonly iv: SchemeIntervals;
  private readonly ops: SimOps;
  private readonly minRegionSz: number;
  private readonly aggrSamples: number;
  private readonly actionBytesPerMs: number;
  private readonly onApply: ((event: ApplyEvent) => void) | undefined;
  /** Edges of every core addr filter, where the kernel's region list ends up split. */
  private readonly filterEdges: number[];
  private passedSis = 0;
  private steps = 0;
  private snapshots = 0;
  private firstStartNs: number | null = null;
  private lastEndNs = 0;
  /** Per target: when (ns, trace time) each address's age was last reset by an action. */
  private readonly resetMaps = new Map<number, RangeMap>();
  /** Per target and effect kind: which scheme put each address in that state. */
  private readonly effectMaps = new Map<string, RangeMap>();
  private readonly timeline: TimeSeries;
  private readonly notes = new Set<string>();
  private readonly ageSources = new Set<'trace' | 'reconstructed'>();
  // Age reconstruction: the previous snapshot of each target, with the ages we gave it.
  private readonly prevOf = new Map<number, { starts: Float64Array; ends: Float64Array; nr: Float64Array; ages: Float64Array }>();

  constructor(schemes: readonly Scheme[], opts: SimulationOptions) {
    if (!(opts.intervals.sampleUs > 0) || !(opts.intervals.aggrUs >= opts.intervals.sampleUs)) {
      throw new DamoError('E_USAGE', `invalid intervals: sample ${opts.intervals.sampleUs} us, aggregation ${opts.intervals.aggrUs} us`);
    }
    this.iv = opts.intervals;
    this.ops = opts.ops;
    this.minRegionSz = opts.minRegionSz ?? 4096;
    // damon_max_nr_accesses(): aggr/sample in whole samples (the kernel's aggr_samples).
    this.aggrSamples = Math.max(1, Math.floor(this.iv.aggrUs / this.iv.sampleUs));
    this.actionBytesPerMs = opts.actionBytesPerMs ?? this.minRegionSz * 1024;
    this.onApply = opts.onApply;
    this.states = schemes.map((s, i) => this.initState(s, i));
    const edges = new Set<number>();
    for (const sc of schemes) {
      for (const f of sc.filters) {
        if (f.type !== 'addr') continue;
        edges.add(alignDown(f.addrStart ?? 0, this.minRegionSz));
        edges.add(alignDown(f.addrEnd ?? 0, this.minRegionSz));
      }
    }
    this.filterEdges = [...edges].sort((a, b) => a - b);
    // columns: monitored, then per scheme tried, applied, reaccessed, effect bytes
    const kinds: Array<'sum' | 'last'> = ['last'];
    for (let i = 0; i < schemes.length; i++) kinds.push('sum', 'sum', 'sum', 'last');
    this.timeline = new TimeSeries(kinds, opts.maxTimelinePoints ?? 2048);
  }

  private initState(s: Scheme, index: number): SchemeState {
    const k = kernelPattern(s.pattern, this.iv, 'uint-max');
    const kp: KPattern = {
      minSz: Number(k.minSzBytes),
      maxSz: Number(k.maxSzBytes),
      minNr: Number(k.minNrAccesses),
      maxNr: Number(k.maxNrAccesses),
      minAge: Number(k.minAge),
      maxAge: Number(k.maxAge),
    };
    const notes: string[] = [];
    const applies = (OPS_ACTIONS[this.ops] as readonly DamosAction[]).includes(s.action) && s.action !== 'stat';
    if (!(OPS_ACTIONS[this.ops] as readonly DamosAction[]).includes(s.action)) {
      notes.push(`${this.ops} does not implement '${s.action}': the kernel would try regions but apply nothing`);
    }
    const opsFilters = s.filters.filter((f) => !isCoreFilter(f.type));
    const coreFilters = s.filters.filter((f) => isCoreFilter(f.type));
    if (opsFilters.length > 0) {
      notes.push(`ops-layer filters (${opsFilters.map((f) => f.type).join(', ')}) need page state the trace lacks; treated as passing everything`);
    }
    if (s.watermarks.metric !== 'none') {
      notes.push(`watermarks (${s.watermarks.metric}) need the live free-memory rate; the scheme is treated as always active`);
    }
    const liveGoals = s.quotas.goals.filter((g) => g.metric !== 'user_input');
    if (liveGoals.length > 0) {
      notes.push(`quota goals on ${liveGoals.map((g) => g.metric).join(', ')} need the live system; ignored`);
    }
    if (s.quotas.timeMs !== 0) {
      notes.push(`the ${s.quotas.timeMs} ms time quota assumes the action processes ${Math.round(this.actionBytesPerMs / 1024)} KiB per ms (the kernel's first guess)`);
    }
    const applyUs = s.applyIntervalUs !== 0 ? s.applyIntervalUs : this.iv.aggrUs;
    // damos_set_next_apply_sis(): the interval in whole samples; 0 means every sample.
    const applySis = Math.max(1, Math.floor(applyUs / this.iv.sampleUs));
    if (applySis % this.aggrSamples !== 0) {
      notes.push('applies between aggregation boundaries use that aggregation\'s final regions');
    }
    // damos_set_filters_default_reject(): with ops filters the core layer allows by
    // default; otherwise the default is the opposite of the last core filter's allow.
    const last = coreFilters[coreFilters.length - 1];
    const coreFiltersDefaultReject = opsFilters.length > 0 ? false : last !== undefined ? last.allow : false;
    return {
      scheme: s,
      index,
      kp,
      applySis,
      nextApplySis: applySis,
      quotaOn: s.quotas.timeMs !== 0 || s.quotas.szBytes !== 0 || s.quotas.goals.some((g) => g.metric === 'user_input'),
      resetIntervalMs: s.quotas.resetIntervalMs === 'max' ? Infinity : s.quotas.resetIntervalMs,
      quota: { esz: 0, escBp: 0, totalChargedSz: 0, chargedSz: 0, chargedFromMs: null, chargeTargetFrom: null, chargeAddrFrom: 0, minScore: 0 },
      stats: { nrTried: 0, szTried: 0, nrApplied: 0, szApplied: 0, qtExceeds: 0, nrSnapshots: 0 },
      coreFilters,
      coreFiltersDefaultReject,
      applies,
      effect: effectOf(s.action),
      notes,
      stepTried: 0,
      stepApplied: 0,
      stepReaccessed: 0,
      effectBytes: 0,
      peakEffectBytes: 0,
      effectByteNs: 0,
      reaccessedTotal: 0,
      enteredTotal: 0,
    };
  }

  // -------------------------------------------------------------------------------------
  // Scores (mm/damon/ops-common.c)

  /** damon_hot_score(): 0..99 from the access frequency and the log2 of the age. */
  private hotScore(r: Region, s: SchemeState): number {
    const freqWeight = s.scheme.quotas.weights.nrAccessesPermil;
    const ageWeight = s.scheme.quotas.weights.agePermil;
    const freqSubscore = Math.floor((r.nrAccesses * DAMON_MAX_SUBSCORE) / this.aggrSamples);
    let ageInSec = Math.floor((r.age * this.iv.aggrUs) / 1000000);
    let ageInLog = 0;
    for (; ageInLog < DAMON_MAX_AGE_IN_LOG && ageInSec > 0; ageInLog++) ageInSec = Math.floor(ageInSec / 2);
    // If frequency is 0, higher age means it's colder.
    if (freqSubscore === 0) ageInLog *= -1;
    ageInLog += DAMON_MAX_AGE_IN_LOG;
    const ageSubscore = Math.floor(Math.floor((ageInLog * DAMON_MAX_SUBSCORE) / DAMON_MAX_AGE_IN_LOG) / 2);
    let hotness = freqWeight * freqSubscore + ageWeight * ageSubscore;
    if (freqWeight + ageWeight !== 0) hotness = Math.trunc(hotness / (freqWeight + ageWeight));
    hotness = Math.trunc((hotness * DAMOS_MAX_SCORE) / DAMON_MAX_SUBSCORE);
    return Math.min(DAMOS_MAX_SCORE, Math.max(0, hotness));
  }

  /** ops.get_scheme_score: cold score for demotion-like actions, hot for promotion. */
  private schemeScore(r: Region, s: SchemeState): number {
    switch (s.scheme.action) {
      case 'pageout':
      case 'migrate_cold':
      case 'lru_deprio':
        return DAMOS_MAX_SCORE - this.hotScore(r, s);
      case 'migrate_hot':
      case 'lru_prio':
        return this.hotScore(r, s);
      default:
        return DAMOS_MAX_SCORE;
    }
  }

  // -------------------------------------------------------------------------------------
  // mm/damon/core.c

  /** __damos_valid_target(): the access pattern, all bounds inclusive. */
  private validPattern(r: Region, s: SchemeState): boolean {
    const sz = r.end - r.start;
    const kp = s.kp;
    return kp.minSz <= sz && sz <= kp.maxSz && kp.minNr <= r.nrAccesses && r.nrAccesses <= kp.maxNr && kp.minAge <= r.age && r.age <= kp.maxAge;
  }

  private validTarget(r: Region, s: SchemeState): boolean {
    const ret = this.validPattern(r, s);
    if (!ret || s.quota.esz === 0) return ret;
    return this.schemeScore(r, s) >= s.quota.minScore;
  }

  /** damos_set_effective_quota() */
  private setEffectiveQuota(s: SchemeState): void {
    const q = s.scheme.quotas;
    const goals = q.goals.filter((g) => g.metric === 'user_input');
    if (q.timeMs === 0 && goals.length === 0) {
      s.quota.esz = q.szBytes;
      return;
    }
    let esz = Infinity;
    if (goals.length > 0) {
      // damos_quota_score(): the highest score, i.e. the least aggressive goal.
      let score = 0;
      for (const g of goals) score = Math.max(score, g.targetValue === 0 ? 0 : Math.floor((g.currentValue * 10000) / g.targetValue));
      s.quota.escBp = damonFeedLoopNextInput(Math.max(s.quota.escBp, 10000), score);
      esz = Math.floor(s.quota.escBp / 10000);
    }
    if (q.timeMs !== 0) esz = Math.min(this.actionBytesPerMs * q.timeMs, esz);
    if (q.szBytes !== 0 && q.szBytes < esz) esz = q.szBytes;
    s.quota.esz = esz;
  }

  /** damos_adjust_quota(): charge windows and the priority histogram's min_score. */
  private adjustQuota(s: SchemeState, targets: Array<Region | null>, nowMs: number): void {
    if (!s.quotaOn) return;
    const quota = s.quota;
    // First charge window
    if (quota.totalChargedSz === 0 && quota.chargedFromMs === null) {
      quota.chargedFromMs = nowMs;
      this.setEffectiveQuota(s);
    }
    // New charge window starts
    if (nowMs >= (quota.chargedFromMs ?? 0) + s.resetIntervalMs) {
      if (quota.esz !== 0 && quota.chargedSz >= quota.esz) s.stats.qtExceeds += 1;
      quota.totalChargedSz += quota.chargedSz;
      quota.chargedFromMs = nowMs;
      quota.chargedSz = 0;
      this.setEffectiveQuota(s);
    }
    // Fill up the score histogram
    const histogram = new Float64Array(DAMOS_MAX_SCORE + 1);
    let maxScore = 0;
    for (const head of targets) {
      for (let r = head; r !== null; r = r.next) {
        if (!this.validPattern(r, s)) continue;
        const score = this.schemeScore(r, s);
        histogram[score] = (histogram[score] ?? 0) + (r.end - r.start);
        if (score > maxScore) maxScore = score;
      }
    }
    // Set the min score limit
    let cumulated = 0;
    let score = maxScore;
    for (;; score--) {
      cumulated += histogram[score] ?? 0;
      if (cumulated >= quota.esz || score === 0) break;
    }
    quota.minScore = score;
  }

  /** damon_split_region_at(): r keeps [start, start+szR); the new region follows it. */
  private splitRegionAt(r: Region, szR: number): void {
    const n: Region = { start: r.start + szR, end: r.end, nrAccesses: r.nrAccesses, age: r.age, next: r.next };
    r.end = n.start;
    r.next = n;
  }

  /** damos_skip_charged_region(); returns [skip, region to go on with]. */
  private skipChargedRegion(t: number, r: Region, s: SchemeState): [boolean, Region] {
    const quota = s.quota;
    if (quota.chargeTargetFrom === null) return [false, r];
    if (t !== quota.chargeTargetFrom) return [true, r];
    if (r.next === null) {
      quota.chargeTargetFrom = null;
      quota.chargeAddrFrom = 0;
      return [true, r];
    }
    if (quota.chargeAddrFrom !== 0 && r.end <= quota.chargeAddrFrom) return [true, r];
    if (quota.chargeAddrFrom !== 0 && r.start < quota.chargeAddrFrom) {
      let szToSkip = alignDown(quota.chargeAddrFrom - r.start, this.minRegionSz);
      if (szToSkip === 0) {
        if (r.end - r.start <= this.minRegionSz) return [true, r];
        szToSkip = this.minRegionSz;
      }
      this.splitRegionAt(r, szToSkip);
      r = r.next;
    }
    quota.chargeTargetFrom = null;
    quota.chargeAddrFrom = 0;
    return [false, r];
  }

  /** damos_filter_match() for the core filters (addr, target). */
  private filterMatch(t: number, r: Region, f: DamosFilter): boolean {
    let matched: boolean;
    if (f.type === 'target') {
      matched = t === f.targetIdx;
    } else if (f.type === 'addr') {
      const start = alignDown(f.addrStart ?? 0, this.minRegionSz);
      const end = alignDown(f.addrEnd ?? 0, this.minRegionSz);
      if (start <= r.start && r.end <= end) {
        matched = true; // inside the range
      } else if (r.end <= start || end <= r.start) {
        matched = false; // outside of the range
      } else if (r.start < start) {
        // starts before the range and overlaps
        this.splitRegionAt(r, start - r.start);
        matched = false;
      } else {
        // starts inside the range
        this.splitRegionAt(r, end - r.start);
        matched = true;
      }
    } else {
      return false;
    }
    return matched === f.matching;
  }

  /** damos_core_filter_out() */
  private coreFilterOut(t: number, r: Region, s: SchemeState): boolean {
    for (const f of s.coreFilters) {
      if (this.filterMatch(t, r, f)) return !f.allow;
    }
    return s.coreFiltersDefaultReject;
  }

  /** damos_apply_scheme() */
  private applyScheme(t: number, r: Region, s: SchemeState, stepEndNs: number): void {
    const quota = s.quota;
    let sz = r.end - r.start;
    let szApplied = 0;
    let skip = false;
    if (quota.esz !== 0 && quota.chargedSz + sz > quota.esz) {
      sz = alignDown(quota.esz - quota.chargedSz, this.minRegionSz);
      if (sz === 0) skip = true;
      else this.splitRegionAt(r, sz);
    }
    if (!skip) {
      if (this.coreFilterOut(t, r, s)) return;
      sz = r.end - r.start;
      // ops.apply_scheme: madvise-style actions report the whole (page-aligned) length.
      if (s.applies) {
        szApplied = sz;
        this.recordEffect(t, r, s);
      }
      this.onApply?.({ scheme: s.index, targetIndex: t, start: r.start, end: r.end, szApplied, timeNs: stepEndNs });
      quota.chargedSz += sz;
      if (quota.esz !== 0 && quota.chargedSz >= quota.esz) {
        quota.chargeTargetFrom = t;
        quota.chargeAddrFrom = r.end + 1;
      }
      if (s.scheme.action !== 'stat') {
        r.age = 0;
        this.resetMapOf(t).set(r.start, r.end, stepEndNs);
      }
    }
    // damos_update_stat()
    s.stats.nrTried += 1;
    s.stats.szTried += sz;
    if (szApplied !== 0) s.stats.nrApplied += 1;
    s.stats.szApplied += szApplied;
    s.stepTried += sz;
    s.stepApplied += szApplied;
  }

  /** damon_do_apply_schemes() */
  private doApplySchemes(t: number, r: Region): void {
    for (const s of this.states) {
      if (this.passedSis < s.nextApplySis) continue;
      const quota = s.quota;
      if (quota.esz !== 0 && quota.chargedSz >= quota.esz) continue;
      const [skip, rr] = this.skipChargedRegion(t, r, s);
      r = rr;
      if (skip) continue;
      if (this.validTarget(r, s)) this.applyScheme(t, r, s, this.stepEndNs);
      if (r.next === null) s.stats.nrSnapshots += 1;
    }
  }

  private stepEndNs = 0;

  /** kdamond_apply_schemes() for one apply point. */
  private kdamondApplySchemes(targets: Array<{ index: number; head: Region | null }>, nowMs: number): void {
    let hasSchemesToApply = false;
    for (const s of this.states) {
      if (this.passedSis < s.nextApplySis) continue;
      hasSchemesToApply = true;
      this.adjustQuota(s, targets.map((x) => x.head), nowMs);
    }
    if (!hasSchemesToApply) return;
    for (const t of targets) {
      for (let r = t.head; r !== null; ) {
        const next = r.next;
        this.doApplySchemes(t.index, r);
        r = next;
      }
    }
    for (const s of this.states) {
      if (this.passedSis < s.nextApplySis) continue;
      s.nextApplySis = this.passedSis + s.applySis;
    }
  }

  // -------------------------------------------------------------------------------------
  // Effects

  private resetMapOf(t: number): RangeMap {
    let m = this.resetMaps.get(t);
    if (m === undefined) {
      m = new RangeMap();
      this.resetMaps.set(t, m);
    }
    return m;
  }

  private effectMapOf(t: number, kind: EffectKind): RangeMap {
    const key = `${t}:${kind}`;
    let m = this.effectMaps.get(key);
    if (m === undefined) {
      m = new RangeMap();
      this.effectMaps.set(key, m);
    }
    return m;
  }

  private recordEffect(t: number, r: Region, s: SchemeState): void {
    const action = s.scheme.action;
    const drop = (kind: EffectKind): void => {
      this.effectMapOf(t, kind).remove(r.start, r.end, (a, b, owner) => this.adjustEffectBytes(owner, a - b));
    };
    if (s.effect !== 'none') {
      let already = 0;
      this.effectMapOf(t, s.effect).set(r.start, r.end, s.index, (a, b, owner) => {
        already += b - a;
        this.adjustEffectBytes(owner, a - b);
      });
      this.adjustEffectBytes(s.index, r.end - r.start);
      s.enteredTotal += r.end - r.start - already;
    }
    // Actions that undo another's state: prefetching brings paged-out memory back,
    // promotion re-activates, nohugepage withdraws the huge page advice.
    if (action === 'willneed') drop('paged-out');
    if (action === 'lru_prio') drop('deactivated');
    if (action === 'nohugepage') drop('huge-advised');
  }

  private adjustEffectBytes(owner: number, delta: number): void {
    const s = this.states[owner];
    if (s === undefined) return;
    s.effectBytes += delta;
    if (s.effectBytes > s.peakEffectBytes) s.peakEffectBytes = s.effectBytes;
  }

  /** Ranges the step shows accessed leave the paged-out / deactivated state. */
  private noteReaccesses(t: number, snap: Snapshot): void {
    for (const kind of ['paged-out', 'deactivated'] as const) {
      const m = this.effectMaps.get(`${t}:${kind}`);
      if (m === undefined || m.sizeBytes === 0) continue;
      for (let i = 0; i < snap.starts.length; i++) {
        if ((snap.nrAccesses[i] ?? 0) <= 0) continue;
        const start = snap.starts[i] ?? 0;
        const end = snap.ends[i] ?? 0;
        if (!m.overlaps(start, end)) continue;
        m.remove(start, end, (a, b, owner) => {
          const st = this.states[owner];
          if (st === undefined) return;
          st.stepReaccessed += b - a;
          st.reaccessedTotal += b - a;
          this.adjustEffectBytes(owner, a - b);
        });
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Ages

  /**
   * Ages for a snapshot without them: the kernel's merge rule against the previous
   * snapshot (damon_merge_regions_of: reset when nr_accesses moved by more than
   * max_nr_accesses/10 or crossed zero, else +1), with size-weighted previous values.
   */
  private reconstructAges(snap: Snapshot, thres: number): Float64Array {
    const n = snap.starts.length;
    const ages = new Float64Array(n);
    const prev = this.prevOf.get(snap.targetIndex);
    let j = 0;
    for (let i = 0; i < n; i++) {
      const start = snap.starts[i] ?? 0;
      const end = snap.ends[i] ?? 0;
      const nr = snap.nrAccesses[i] ?? 0;
      if (prev === undefined) {
        ages[i] = 0;
        continue;
      }
      while (j < prev.starts.length && (prev.ends[j] ?? 0) <= start) j++;
      let sz = 0;
      let nrSum = 0;
      let ageSum = 0;
      for (let k = j; k < prev.starts.length && (prev.starts[k] ?? 0) < end; k++) {
        const ov = Math.min(end, prev.ends[k] ?? 0) - Math.max(start, prev.starts[k] ?? 0);
        if (ov <= 0) continue;
        sz += ov;
        nrSum += ov * (prev.nr[k] ?? 0);
        ageSum += ov * (prev.ages[k] ?? 0);
      }
      if (sz === 0) {
        ages[i] = 0;
        continue;
      }
      const lastNr = Math.floor(nrSum / sz);
      const lastAge = Math.floor(ageSum / sz);
      if (Math.abs(nr - lastNr) > thres || (nr === 0) !== (lastNr === 0)) ages[i] = 0;
      else ages[i] = lastAge + 1;
    }
    this.prevOf.set(snap.targetIndex, { starts: snap.starts, ends: snap.ends, nr: snap.nrAccesses, ages });
    return ages;
  }

  /** The age the kernel would have seen: the recorded one, capped by our own resets. */
  private simulatedAge(t: number, start: number, end: number, recorded: number, endNs: number): number {
    const m = this.resetMaps.get(t);
    if (m === undefined || !m.overlaps(start, end)) return recorded;
    const aggrNs = this.iv.aggrUs * 1000;
    let weighted = 0;
    let covered = 0;
    m.forEachOverlap(start, end, (a, b, resetNs) => {
      const since = Math.max(0, Math.round((endNs - resetNs) / aggrNs));
      weighted += (b - a) * Math.min(recorded, since);
      covered += b - a;
    });
    weighted += (end - start - covered) * recorded;
    return Math.floor(weighted / (end - start));
  }

  // -------------------------------------------------------------------------------------
  // Driving

  /**
   * One aggregation interval: the snapshots of every target that end at the same time,
   * in target order.
   */
  step(snaps: readonly Snapshot[]): void {
    if (snaps.length === 0) return;
    this.steps += 1;
    this.snapshots += snaps.length;
    const startNs = Math.min(...snaps.map((s) => s.startNs));
    const endNs = Math.max(...snaps.map((s) => s.endNs));
    if (this.firstStartNs === null) this.firstStartNs = startNs;
    const prevEndNs = this.steps === 1 ? startNs : this.lastEndNs;
    this.stepEndNs = endNs;
    for (const s of this.states) {
      s.stepTried = 0;
      s.stepApplied = 0;
      s.stepReaccessed = 0;
    }
    // max_nr_accesses of this aggregation, for the merge threshold of age reconstruction
    let maxNr = 0;
    for (const sn of snaps) for (let i = 0; i < sn.nrAccesses.length; i++) maxNr = Math.max(maxNr, sn.nrAccesses[i] ?? 0);
    const thres = Math.floor(maxNr / 10);

    let monitored = 0;
    const targets: Array<{ index: number; head: Region | null }> = [];
    for (const sn of snaps) {
      this.noteReaccesses(sn.targetIndex, sn);
      let ages = sn.ages;
      let known = sn.ages.length > 0;
      for (let i = 0; i < sn.ages.length && known; i++) if ((sn.ages[i] ?? -1) < 0) known = false;
      if (known) {
        this.ageSources.add('trace');
      } else if (sn.starts.length > 0) {
        ages = this.reconstructAges(sn, thres);
        this.ageSources.add('reconstructed');
      }
      let head: Region | null = null;
      let tail: Region | null = null;
      for (let i = 0; i < sn.starts.length; i++) {
        const start = sn.starts[i] ?? 0;
        const end = sn.ends[i] ?? 0;
        monitored += end - start;
        const r: Region = {
          start,
          end,
          nrAccesses: sn.nrAccesses[i] ?? 0,
          age: this.simulatedAge(sn.targetIndex, start, end, ages[i] ?? 0, endNs),
          next: null,
        };
        if (tail === null) head = r;
        else tail.next = r;
        tail = r;
        // damos_filter_match() splits regions at addr filter edges and the pieces live on
        // in the kernel's region list; the trace's regions never had them, so split here.
        for (const edge of this.filterEdges) {
          if (edge <= tail.start) continue;
          if (edge >= tail.end) break;
          this.splitRegionAt(tail, edge - tail.start);
          tail = tail.next as Region;
        }
      }
      targets.push({ index: sn.targetIndex, head });
    }

    // Apply points inside this aggregation: samples (passed, passed + aggrSamples].
    const stepFirstSis = this.passedSis + 1;
    const stepLastSis = this.passedSis + this.aggrSamples;
    for (;;) {
      let due = Infinity;
      for (const s of this.states) due = Math.min(due, s.nextApplySis);
      if (due > stepLastSis) break;
      this.passedSis = Math.max(due, stepFirstSis);
      const frac = (this.passedSis - stepFirstSis + 1) / this.aggrSamples;
      const nowNs = prevEndNs + (endNs - prevEndNs) * frac;
      this.kdamondApplySchemes(targets, nowNs / 1e6);
    }
    this.passedSis = stepLastSis;

    const dtNs = Math.max(0, endNs - prevEndNs);
    const row: number[] = [monitored];
    for (const s of this.states) {
      s.effectByteNs += s.effectBytes * dtNs;
      row.push(s.stepTried, s.stepApplied, s.stepReaccessed, s.effectBytes);
    }
    this.timeline.push(endNs, row);
    this.lastEndNs = endNs;
  }

  result(): SimulationResult {
    this.timeline.finish();
    const startNs = this.firstStartNs ?? 0;
    const durationNs = Math.max(0, this.lastEndNs - startNs);
    const ts = this.timeline;
    const col = (c: number): number[] => ts.columns[c] ?? [];
    const notes = [...this.notes];
    return {
      intervals: this.iv,
      ops: this.ops,
      nrSteps: this.steps,
      nrSnapshots: this.snapshots,
      startNs,
      endNs: this.lastEndNs,
      ageSource: this.ageSources.size === 0 ? 'none' : this.ageSources.size === 2 ? 'mixed' : this.ageSources.has('trace') ? 'trace' : 'reconstructed',
      schemes: this.states.map((s) => ({
        index: s.index,
        line: formatSchemeLine(s.scheme),
        description: describeScheme(s.scheme, s.index),
        action: s.scheme.action,
        kernel: {
          minSzBytes: s.kp.minSz,
          maxSzBytes: s.kp.maxSz,
          minNrAccesses: s.kp.minNr,
          maxNrAccesses: s.kp.maxNr,
          minAge: s.kp.minAge,
          maxAge: s.kp.maxAge,
        },
        stats: { ...s.stats },
        effects: {
          kind: s.effect,
          finalBytes: s.effectBytes,
          peakBytes: s.peakEffectBytes,
          meanBytes: durationNs > 0 ? s.effectByteNs / durationNs : s.effectBytes,
          reaccessedBytes: s.reaccessedTotal,
          enteredBytes: s.enteredTotal,
        },
        notes: [...s.notes, ...(hasQuota(s.scheme.quotas) && s.scheme.quotas.resetIntervalMs === 'max' ? ['the quota has no reset interval: it is one budget for the whole run (damo\'s default)'] : [])],
      })),
      timeline: {
        timesNs: [...ts.times],
        monitoredBytes: col(0),
        schemes: this.states.map((_, i) => ({
          szTried: col(1 + 4 * i),
          szApplied: col(2 + 4 * i),
          reaccessedBytes: col(3 + 4 * i),
          effectBytes: col(4 + 4 * i),
        })),
      },
      notes,
    };
  }
}

/** Snapshots grouped by aggregation interval across targets, in time order. */
export async function* aggregationSteps(trace: TraceSource, aggrUs: number): AsyncGenerator<Snapshot[]> {
  const targetIdxs = new Set<number>(trace.header.targets.map((_, i) => i));
  if (targetIdxs.size <= 1) {
    // One target (or unknown): every snapshot is a step, but a file that interleaves
    // several targets anyway still groups by time.
    let group: Snapshot[] = [];
    for await (const snap of trace.snapshots()) {
      const head = group[0];
      if (head !== undefined && (group.some((g) => g.targetIndex === snap.targetIndex) || Math.abs(snap.endNs - head.endNs) > (aggrUs * 1000) / 2)) {
        yield group;
        group = [];
      }
      group.push(snap);
    }
    if (group.length > 0) yield group;
    return;
  }
  // Several targets: damo's files list each target's snapshots separately, so merge one
  // pass per target by time.
  const iters = [...targetIdxs].map((t) => filtered(trace.snapshots(), t)[Symbol.asyncIterator]());
  const heads: Array<Snapshot | undefined> = await Promise.all(iters.map(async (it) => (await it.next()).value as Snapshot | undefined));
  const tolNs = (aggrUs * 1000) / 2;
  for (;;) {
    let minEnd = Infinity;
    for (const h of heads) if (h !== undefined) minEnd = Math.min(minEnd, h.endNs);
    if (minEnd === Infinity) return;
    const group: Snapshot[] = [];
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== undefined && h.endNs - minEnd <= tolNs) {
        group.push(h);
        heads[i] = (await iters[i]?.next())?.value as Snapshot | undefined;
      }
    }
    group.sort((a, b) => a.targetIndex - b.targetIndex);
    yield group;
  }
}

async function* filtered(src: AsyncIterable<Snapshot>, target: number): AsyncGenerator<Snapshot> {
  for await (const s of src) if (s.targetIndex === target) yield s;
}

/** Runs the schemes over a whole trace. */
export async function simulateTrace(trace: TraceSource, schemes: readonly Scheme[], opts: SimulationOptions): Promise<SimulationResult> {
  const sim = new SchemesSimulator(schemes, opts);
  for await (const step of aggregationSteps(trace, opts.intervals.aggrUs)) sim.step(step);
  return sim.result();
}
