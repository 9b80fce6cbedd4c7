// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kernel's DAMOS decision step, shared by offline simulation (simulate.ts) and online
 * application by the native engine (online_native.ts): given one aggregation interval's
 * regions, which schemes act on which address ranges, with the kernel's quotas, priorities,
 * core filters, watermarks, apply intervals and statistics.
 *
 * Ported under the kernel's names from mm/damon/core.c (Linux ~6.17): kdamond_apply_schemes,
 * damos_adjust_quota, damos_set_effective_quota, damon_do_apply_schemes,
 * damos_skip_charged_region, damos_apply_scheme, damos_core_filter_out, damos_filter_match,
 * damos_wmark_wait_us, damon_feed_loop_next_input; and mm/damon/ops-common.c
 * damon_hot_score/damon_cold_score.
 *
 * What an action does is not decided here: `applyScheme` is the operations set's
 * apply_scheme. The simulator answers at once (the whole region, or nothing for actions
 * the operations set lacks); online application queues the range for process_madvise and
 * credits the bytes it really applied later with credit(), so nr_applied/sz_applied are
 * what the system did. The decisions never depend on that answer (the kernel charges the
 * quota with the tried size and resets the age whether or not the action succeeded), only
 * the statistics and the time quota's measured throughput do.
 */
import { DamoError } from '../core/errors.js';
import { pageSizeBytes } from '../core/page_size.js';
import { kernelPattern, type SchemeIntervals } from './kernel.js';
import { isCoreFilter, type DamosFilter, type Scheme, type WmarkMetric } from './model.js';


/** struct damon_region, for one aggregation interval; the list is singly linked like the kernel's. */
export interface DamosRegion {
  start: number;
  end: number;
  nrAccesses: number;
  age: number;
  next: DamosRegion | null;
}

/** One target's region list. `index` is the target's index in the context. */
export interface DamosTarget {
  index: number;
  head: DamosRegion | null;
}

/** The kernel's struct damos_stat, plus nr_snapshots (7.0). */
export interface SchemeStats {
  nrTried: number;
  szTried: number;
  nrApplied: number;
  szApplied: number;
  qtExceeds: number;
  nrSnapshots: number;
}

export interface ApplyRequest {
  scheme: number;
  targetIndex: number;
  start: number;
  end: number;
  /** Time of the apply point (trace time, or ns since monitoring started), ns. */
  nowNs: number;
}

export interface DamosCoreOptions {
  intervals: SchemeIntervals;
  /** DAMON_MIN_REGION / ctx->min_region_sz: the page size. */
  minRegionSz?: number;
  /**
   * ops.apply_scheme(): bytes applied now. Online application returns 0 and reports the
   * real result later through credit().
   */
  applyScheme: (req: ApplyRequest) => number;
  /** A non-stat action reset this region's age to 0 (damos_apply_scheme). */
  onAgeReset?: (targetIndex: number, start: number, end: number, nowNs: number) => void;
  /**
   * Time quotas: without a measured throughput the kernel assumes PAGE_SIZE * 1024 bytes
   * per ms; the simulator keeps that guess (or this value) for the whole run.
   */
  actionBytesPerMs?: number;
  /** Derive the time quota's throughput from the time credited by credit(), as the kernel does. */
  measuredThroughput?: boolean;
  /** The watermark metric's current value (per-mille), or null when unknown: the scheme stays active. */
  wmarkMetric?: (metric: WmarkMetric) => number | null;
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
  totalChargedNs: number;
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
  /** struct damos_watermarks.activated */
  activated: boolean;
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

/** damon_split_region_at(): r keeps [start, start+szR); the new region follows it. */
export function damonSplitRegionAt(r: DamosRegion, szR: number): void {
  const n: DamosRegion = { start: r.start + szR, end: r.end, nrAccesses: r.nrAccesses, age: r.age, next: r.next };
  r.end = n.start;
  r.next = n;
}

/** Builds a target's region list from parallel arrays (a snapshot). */
export function regionList(starts: ArrayLike<number>, ends: ArrayLike<number>, nrAccesses: ArrayLike<number>, ages: ArrayLike<number>): DamosRegion | null {
  let head: DamosRegion | null = null;
  let tail: DamosRegion | null = null;
  for (let i = 0; i < starts.length; i++) {
    const r: DamosRegion = { start: starts[i] ?? 0, end: ends[i] ?? 0, nrAccesses: nrAccesses[i] ?? 0, age: ages[i] ?? 0, next: null };
    if (tail === null) head = r;
    else tail.next = r;
    tail = r;
  }
  return head;
}

/** The schemes of one DAMON context and their run-time state. */
export class DamosCore {
  private readonly states: SchemeState[];
  private readonly iv: SchemeIntervals;
  private readonly minRegionSz: number;
  private readonly aggrSamples: number;
  private readonly actionBytesPerMs: number;
  private readonly measuredThroughput: boolean;
  private readonly applyFn: (req: ApplyRequest) => number;
  private readonly onAgeReset: ((targetIndex: number, start: number, end: number, nowNs: number) => void) | undefined;
  private readonly wmarkMetric: ((metric: WmarkMetric) => number | null) | undefined;
  /** Edges of every core addr filter, where the kernel's region list ends up split. */
  private readonly filterEdges: number[];
  /** ctx->passed_sample_intervals */
  private passedSis = 0;
  private nowNs = 0;

  constructor(schemes: readonly Scheme[], opts: DamosCoreOptions) {
    if (!(opts.intervals.sampleUs > 0) || !(opts.intervals.aggrUs >= opts.intervals.sampleUs)) {
      throw new DamoError('E_USAGE', `invalid intervals: sample ${opts.intervals.sampleUs} us, aggregation ${opts.intervals.aggrUs} us`);
    }
    this.iv = opts.intervals;
    this.minRegionSz = opts.minRegionSz ?? pageSizeBytes();
    // damon_max_nr_accesses(): aggr/sample in whole samples (the kernel's aggr_samples).
    this.aggrSamples = Math.max(1, Math.floor(this.iv.aggrUs / this.iv.sampleUs));
    this.actionBytesPerMs = opts.actionBytesPerMs ?? this.minRegionSz * 1024;
    this.measuredThroughput = opts.measuredThroughput === true;
    this.applyFn = opts.applyScheme;
    this.onAgeReset = opts.onAgeReset;
    this.wmarkMetric = opts.wmarkMetric;
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
  }

  private initState(s: Scheme, index: number): SchemeState {
    const k = kernelPattern(s.pattern, this.iv, 'uint-max');
    const opsFilters = s.filters.filter((f) => !isCoreFilter(f.type));
    const coreFilters = s.filters.filter((f) => isCoreFilter(f.type));
    const applyUs = s.applyIntervalUs !== 0 ? s.applyIntervalUs : this.iv.aggrUs;
    // damos_set_next_apply_sis(): the interval in whole samples; 0 means every sample.
    const applySis = Math.max(1, Math.floor(applyUs / this.iv.sampleUs));
    // damos_set_filters_default_reject(): with ops filters the core layer allows by
    // default; otherwise the default is the opposite of the last core filter's allow.
    const last = coreFilters[coreFilters.length - 1];
    const coreFiltersDefaultReject = opsFilters.length > 0 ? false : last !== undefined ? last.allow : false;
    return {
      scheme: s,
      index,
      kp: {
        minSz: Number(k.minSzBytes),
        maxSz: Number(k.maxSzBytes),
        minNr: Number(k.minNrAccesses),
        maxNr: Number(k.maxNrAccesses),
        minAge: Number(k.minAge),
        maxAge: Number(k.maxAge),
      },
      applySis,
      nextApplySis: applySis,
      quotaOn: s.quotas.timeMs !== 0 || s.quotas.szBytes !== 0 || s.quotas.goals.some((g) => g.metric === 'user_input'),
      resetIntervalMs: s.quotas.resetIntervalMs === 'max' ? Infinity : s.quotas.resetIntervalMs,
      quota: { esz: 0, escBp: 0, totalChargedSz: 0, totalChargedNs: 0, chargedSz: 0, chargedFromMs: null, chargeTargetFrom: null, chargeAddrFrom: 0, minScore: 0 },
      stats: { nrTried: 0, szTried: 0, nrApplied: 0, szApplied: 0, qtExceeds: 0, nrSnapshots: 0 },
      coreFilters,
      coreFiltersDefaultReject,
      activated: true,
    };
  }

  get nrSchemes(): number {
    return this.states.length;
  }

  /** The scheme's statistics so far (a live object: copy it to keep a value). */
  stats(scheme: number): SchemeStats {
    const s = this.states[scheme];
    if (s === undefined) throw new RangeError(`no scheme ${scheme}`);
    return s.stats;
  }

  /** The access pattern in kernel units (samples, aggregation intervals). */
  kernelPattern(scheme: number): { minSzBytes: number; maxSzBytes: number; minNrAccesses: number; maxNrAccesses: number; minAge: number; maxAge: number } {
    const s = this.states[scheme];
    if (s === undefined) throw new RangeError(`no scheme ${scheme}`);
    const k = s.kp;
    return { minSzBytes: k.minSz, maxSzBytes: k.maxSz, minNrAccesses: k.minNr, maxNrAccesses: k.maxNr, minAge: k.minAge, maxAge: k.maxAge };
  }

  /** Whether the scheme's apply interval falls between aggregation boundaries. */
  appliesBetweenAggregations(scheme: number): boolean {
    const s = this.states[scheme];
    return s !== undefined && s.applySis % this.aggrSamples !== 0;
  }

  /** Whether the watermarks currently let the scheme run. */
  isActive(scheme: number): boolean {
    return this.states[scheme]?.activated ?? false;
  }

  /**
   * The operations set's late answer for one apply request: bytes applied (0 when the
   * action failed), and how long applying took (for the time quota's throughput).
   */
  credit(scheme: number, szApplied: number, elapsedNs = 0): void {
    const s = this.states[scheme];
    if (s === undefined) return;
    // damos_update_stat(): nr_applied counts regions the action applied to at all.
    if (szApplied > 0) s.stats.nrApplied += 1;
    s.stats.szApplied += szApplied;
    s.quota.totalChargedNs += elapsedNs;
  }

  // -------------------------------------------------------------------------------------
  // Scores (mm/damon/ops-common.c)

  /** damon_hot_score(): 0..99 from the access frequency and the log2 of the age. */
  private hotScore(r: DamosRegion, s: SchemeState): number {
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
  private schemeScore(r: DamosRegion, s: SchemeState): number {
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
  private validPattern(r: DamosRegion, s: SchemeState): boolean {
    const sz = r.end - r.start;
    const kp = s.kp;
    return kp.minSz <= sz && sz <= kp.maxSz && kp.minNr <= r.nrAccesses && r.nrAccesses <= kp.maxNr && kp.minAge <= r.age && r.age <= kp.maxAge;
  }

  private validTarget(r: DamosRegion, s: SchemeState): boolean {
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
    if (q.timeMs !== 0) {
      let throughput = this.actionBytesPerMs;
      if (this.measuredThroughput) {
        throughput = s.quota.totalChargedNs > 0 ? Math.floor((s.quota.totalChargedSz * 1000000) / s.quota.totalChargedNs) : this.minRegionSz * 1024;
      }
      esz = Math.min(throughput * q.timeMs, esz);
    }
    if (q.szBytes !== 0 && q.szBytes < esz) esz = q.szBytes;
    s.quota.esz = esz;
  }

  /** damos_adjust_quota(): charge windows and the priority histogram's min_score. */
  private adjustQuota(s: SchemeState, targets: readonly DamosTarget[], nowMs: number): void {
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
    for (const t of targets) {
      for (let r = t.head; r !== null; r = r.next) {
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

  /** damos_skip_charged_region(); returns [skip, region to go on with]. */
  private skipChargedRegion(t: number, r: DamosRegion, s: SchemeState): [boolean, DamosRegion] {
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
      damonSplitRegionAt(r, szToSkip);
      r = r.next;
    }
    quota.chargeTargetFrom = null;
    quota.chargeAddrFrom = 0;
    return [false, r];
  }

  /** damos_filter_match() for the core filters (addr, target). */
  private filterMatch(t: number, r: DamosRegion, f: DamosFilter): boolean {
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
        damonSplitRegionAt(r, start - r.start);
        matched = false;
      } else {
        // starts inside the range
        damonSplitRegionAt(r, end - r.start);
        matched = true;
      }
    } else {
      return false;
    }
    return matched === f.matching;
  }

  /** damos_core_filter_out() */
  private coreFilterOut(t: number, r: DamosRegion, s: SchemeState): boolean {
    for (const f of s.coreFilters) {
      if (this.filterMatch(t, r, f)) return !f.allow;
    }
    return s.coreFiltersDefaultReject;
  }

  /** damos_apply_scheme() */
  private applyScheme(t: number, r: DamosRegion, s: SchemeState): void {
    const quota = s.quota;
    let sz = r.end - r.start;
    let szApplied = 0;
    let skip = false;
    if (quota.esz !== 0 && quota.chargedSz + sz > quota.esz) {
      sz = alignDown(quota.esz - quota.chargedSz, this.minRegionSz);
      if (sz === 0) skip = true;
      else damonSplitRegionAt(r, sz);
    }
    if (!skip) {
      if (this.coreFilterOut(t, r, s)) return;
      sz = r.end - r.start;
      szApplied = this.applyFn({ scheme: s.index, targetIndex: t, start: r.start, end: r.end, nowNs: this.nowNs });
      quota.chargedSz += sz;
      if (quota.esz !== 0 && quota.chargedSz >= quota.esz) {
        quota.chargeTargetFrom = t;
        quota.chargeAddrFrom = r.end + 1;
      }
      if (s.scheme.action !== 'stat') {
        r.age = 0;
        this.onAgeReset?.(t, r.start, r.end, this.nowNs);
      }
    }
    // damos_update_stat()
    s.stats.nrTried += 1;
    s.stats.szTried += sz;
    if (szApplied !== 0) s.stats.nrApplied += 1;
    s.stats.szApplied += szApplied;
  }

  /** damon_do_apply_schemes() */
  private doApplySchemes(t: number, r: DamosRegion): void {
    for (const s of this.states) {
      if (this.passedSis < s.nextApplySis) continue;
      if (!s.activated) continue;
      const quota = s.quota;
      if (quota.esz !== 0 && quota.chargedSz >= quota.esz) continue;
      const [skip, rr] = this.skipChargedRegion(t, r, s);
      r = rr;
      if (skip) continue;
      if (this.validTarget(r, s)) this.applyScheme(t, r, s);
      if (r.next === null) s.stats.nrSnapshots += 1;
    }
  }

  /** kdamond_apply_schemes() for one apply point; false when no scheme was due and active. */
  private kdamondApplySchemes(targets: readonly DamosTarget[], nowMs: number): boolean {
    let hasSchemesToApply = false;
    for (const s of this.states) {
      if (this.passedSis < s.nextApplySis) continue;
      if (!s.activated) continue;
      hasSchemesToApply = true;
      this.adjustQuota(s, targets, nowMs);
    }
    if (!hasSchemesToApply) return false;
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
    return true;
  }

  /**
   * damos_wmark_wait_us()'s state change: deactivate above the high or below the low
   * watermark, activate below the middle one. Evaluated once per aggregation interval
   * (the kernel checks every sample, and sleeps while every scheme is inactive).
   */
  private updateWatermarks(): void {
    if (this.wmarkMetric === undefined) return;
    for (const s of this.states) {
      const w = s.scheme.watermarks;
      if (w.metric === 'none') continue;
      const metric = this.wmarkMetric(w.metric);
      if (metric === null) continue;
      if (metric > w.highPermil || w.lowPermil > metric) s.activated = false;
      else if (w.highPermil >= metric && metric >= w.midPermil && !s.activated) continue;
      else s.activated = true;
    }
  }

  /** damos_filter_match() splits regions at addr filter edges and the pieces live on; split here. */
  private splitAtFilterEdges(t: DamosTarget): void {
    if (this.filterEdges.length === 0) return;
    for (let r = t.head; r !== null; r = r.next) {
      for (const edge of this.filterEdges) {
        if (edge <= r.start) continue;
        if (edge >= r.end) break;
        damonSplitRegionAt(r, edge - r.start);
        break; // the rest of the edges are handled on r.next
      }
    }
  }

  /**
   * One aggregation interval: every apply point due in samples (passed, passed +
   * aggr/sample], on the interval's final regions. `prevEndNs`/`endNs` bound the interval
   * (apply points in between get interpolated times, for quota charge windows).
   */
  applyAggregation(targets: readonly DamosTarget[], prevEndNs: number, endNs: number): void {
    for (const t of targets) this.splitAtFilterEdges(t);
    this.updateWatermarks();
    const stepFirstSis = this.passedSis + 1;
    const stepLastSis = this.passedSis + this.aggrSamples;
    for (;;) {
      let due = Infinity;
      for (const s of this.states) if (s.activated) due = Math.min(due, s.nextApplySis);
      if (due > stepLastSis) break;
      this.passedSis = Math.max(due, stepFirstSis);
      const frac = (this.passedSis - stepFirstSis + 1) / this.aggrSamples;
      const nowNs = prevEndNs + (endNs - prevEndNs) * frac;
      this.nowNs = endNs;
      if (!this.kdamondApplySchemes(targets, nowNs / 1e6)) break;
      if (this.passedSis >= stepLastSis) break;
    }
    this.passedSis = stepLastSis;
  }
}
