// SPDX-License-Identifier: GPL-2.0-only
/**
 * Offline DAMOS: what would these schemes have done to the recorded workload?
 *
 * The simulator replays a trace one aggregation interval ("step") at a time and runs the
 * kernel's scheme-application code (DamosCore in damos.ts, the same code online
 * application uses) on each step's regions.
 *
 * Why a trace snapshot is what the kernel's schemes see: in kdamond_fn, at the end of each
 * aggregation interval the kernel merges regions (updating ages), applies schemes, and only
 * then emits the damon_aggregated tracepoint and resets the counters. So the recorded
 * regions, nr_accesses and ages of a snapshot are exactly the input of that apply pass.
 *
 * What the trace cannot tell, and how it is handled (each is reported as a note):
 * - Actions change the future in the real kernel: an applied non-stat action resets the
 *   region's age to 0. The simulator keeps, per address range, the aggregation its age was
 *   last reset in and uses min(recorded age, aggregations since the reset), size-weighted like
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
 * counts as refault (re-activation) bytes, as many as the region's nr_accesses imply beyond
 * its bytes that stayed in memory (noteReaccesses).
 */
import type { DamonOps, Snapshot, TraceSource } from '../core/model.js';
import { lowAccessBound } from '../core/low_access_bound.js';
import { pageSizeBytes } from '../core/page_size.js';
import { actionRefusedOnLruVmas } from '../format/madvise_refused.js';
import { bytesInRanges, clipToRanges, subtractRanges, type MappingHistory, type Ranges } from '../format/mappings.js';
import { DamosCore, regionList, type ApplyRequest, type DamosTarget, type SchemeStats } from './damos.js';
import type { SchemeIntervals } from './kernel.js';
import { DEFAULT_MIN_NR_REGIONS, regionLimitFacts, regionLimitNote } from './layout_note.js';
import { OPS_ACTIONS, describeScheme, hasQuota, isCoreFilter, type DamosAction, type Scheme } from './model.js';
import { RangeMap } from './rangemap.js';
import { InterpolatedResidency } from './resident_interp.js';
import { formatSchemeLine } from './text.js';
import { TimeSeries } from './timeseries.js';


export interface SimulationOptions {
  intervals: SchemeIntervals;
  ops: DamonOps;
  /** DAMON_MIN_REGION / ctx->min_region_sz: the page size. */
  minRegionSz?: number;
  /** Bytes per millisecond an action is assumed to process, for time quotas. */
  actionBytesPerMs?: number;
  /**
   * Bytes per second the kdamond pages out (reclaims) while applying pageout. kdamond applies
   * actions synchronously and samples nothing meanwhile, so a slow pageout delays the next
   * aggregations (busyUntil). Default: the kernel's own first guess of an action's
   * throughput, PAGE_SIZE * 1024 bytes per ms (damos_set_effective_quota).
   */
  pageoutBytesPerSec?: number;
  /** Time points kept in the timeline (older points are merged pairwise beyond this). */
  maxTimelinePoints?: number;
  /** Called for every region an action is applied to (tests, and per-region listings). */
  onApply?: (event: ApplyEvent) => void;
  /**
   * Per target index, what the process had mapped (format/mappings.ts): effect and monitored
   * bytes then count only mapped bytes, not the gaps between mappings that DAMON's regions
   * span. Absent: every byte of a region counts.
   */
  mappings?: ReadonlyMap<number, MappingHistory>;
  /**
   * Per target index, which pages were resident at the recorder's readings
   * (format/resident.ts): effect bytes then count only those, since an action on a page
   * that was never faulted in changes no memory. Absent: every mapped byte counts.
   */
  resident?: ReadonlyMap<number, MappingHistory>;
  /**
   * Per target index, the ranges madvise refuses for pageout and cold
   * (format/madvise_refused.ts): a region overlapping one applies 0 bytes and acts only on
   * its pages before it. Absent: no range is refused.
   */
  madviseRefused?: ReadonlyMap<number, MappingHistory>;
  /**
   * Per target index, the resident pages mapped by more than one page table at the
   * recorder's readings (format/resident.ts RESIDENT_SHARED_EVENT_KIND): pageout and cold
   * leave them alone, as `madvise_cold_or_pageout_pte_range()` (mm/madvise.c) skips a folio
   * when `folio_likely_mapped_shared()`. Absent: every resident page is acted on.
   */
  residentShared?: ReadonlyMap<number, MappingHistory>;
  /**
   * Per target index, the program images (format/program_images.ts: program and library
   * files mapped executable, every mapping of them): refaults there count the same pages in
   * every sampling interval (noteReaccesses) and are reported apart (reaccessedImageBytes).
   * Absent: not known, and refaults count as in data everywhere.
   */
  programImages?: ReadonlyMap<number, MappingHistory>;
  /**
   * The recorded ages already hold the age resets of these schemes' actions: the trace was
   * recorded by the native engine while it applied the same schemes online (`damo schemes
   * -o`), and its snapshots are the very regions and ages its applier decided on, taken
   * before the apply pass. The ages are then used as recorded; capping them again by the
   * simulated resets would reset each applied range twice (damos_apply_scheme resets
   * r->age once) and apply less than the run did.
   */
  agesIncludeResets?: boolean;
  /**
   * The recording's min_nr_regions (its header), for the note on the regions' size limit
   * (layout_note.ts); default DAMON's 10.
   */
  minNrRegions?: number;
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
   * The same count if each aggregation's accesses fell on the same pages in all its
   * sampling intervals (p of the pages, not 1 - (1 - p)^max_nr_accesses): the other end of
   * what a recording of regions allows (noteReaccesses).
   */
  reaccessedBytesSamePages: number;
  /**
   * Of reaccessedBytes, those in program images (program and library code and constants,
   * counted as the same pages in every sampling interval); null when the recording does
   * not say which mappings those are.
   */
  reaccessedImageBytes: number | null;
  /**
   * Of reaccessedBytes, those taken on sightings in regions seen accessed in at most
   * lowAccessBound(max_nr_accesses) samples of their aggregation (core/low_access_bound.ts):
   * a sample or two decide each of them (the note in SchemesSimulator.sparseRefaultNote).
   */
  reaccessedSparseBytes: number;
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
  /**
   * Region-applications madvise refused (pageout, cold): the region overlapped a recorded
   * VM_LOCKED/VM_PFNMAP/VM_HUGETLB mapping, so the kernel counts 0 applied for it.
   * Null when the recording does not say which mappings madvise refuses, or the action is
   * not one it refuses them for.
   */
  madviseRefused: { nrRegions: number; szBytes: number } | null;
  notes: string[];
}

export interface SimulationResult {
  intervals: SchemeIntervals;
  ops: DamonOps;
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
    schemes: Array<{ szTried: number[]; szApplied: number[]; reaccessedBytes: number[]; effectBytes: number[]; reaccessedBytesSamePages: number[] }>;
  };
  notes: string[];
}

// ---------------------------------------------------------------------------------------
// Simulator state (the kernel's own state lives in DamosCore).

interface SimSchemeState {
  scheme: Scheme;
  index: number;
  /** Whether the operations set implements the action (apply_scheme returns bytes). */
  applies: boolean;
  effect: EffectKind;
  notes: string[];
  // per-step accumulators
  stepTried: number;
  stepApplied: number;
  stepReaccessed: number;
  stepReaccessedSamePages: number;
  effectBytes: number;
  peakEffectBytes: number;
  effectByteNs: number;
  reaccessedTotal: number;
  reaccessedSamePagesTotal: number;
  reaccessedImageTotal: number;
  reaccessedSparseTotal: number;
  enteredTotal: number;
  /** Whether madvise refuses this action on the recorded refused ranges. */
  refusable: boolean;
  nrRefused: number;
  szRefused: number;
}

/** One state shared by all schemes, plus the effect maps. */
export class SchemesSimulator {
  private readonly core: DamosCore;
  private readonly states: SimSchemeState[];
  private readonly iv: SchemeIntervals;
  /** Samples per aggregation (aggr / sample, at least 1): the highest nr_accesses. */
  private readonly maxNrAccesses: number;
  private readonly ops: DamonOps;
  private readonly actionBytesPerMs: number;
  private readonly pageoutBytesPerSec: number;
  /** Trace time until which the kdamond is still applying actions: no aggregation ends before. */
  private busyUntilNs = -Infinity;
  /** Recorded aggregations the kernel would have spent applying actions instead of sampling. */
  private busySkipped = 0;
  private readonly minRegionSz: number;
  private readonly onApply: ((event: ApplyEvent) => void) | undefined;
  private readonly mappings: ReadonlyMap<number, MappingHistory> | undefined;
  private readonly resident: ReadonlyMap<number, MappingHistory> | undefined;
  /** Per target, the resident pages between readings (resident_interp.ts). */
  private readonly residentNow = new Map<number, InterpolatedResidency>();
  private firstEndNs: number | null = null;
  private readonly madviseRefused: ReadonlyMap<number, MappingHistory> | undefined;
  private readonly residentShared: ReadonlyMap<number, MappingHistory> | undefined;
  private readonly programImages: ReadonlyMap<number, MappingHistory> | undefined;
  private readonly agesIncludeResets: boolean;
  private readonly minNrRegions: number;
  /** End of the step being simulated: the mappings in force are those of that time. */
  private stepEndNs = 0;
  private steps = 0;
  private snapshots = 0;
  private firstStartNs: number | null = null;
  private lastEndNs = 0;
  /** Per target: the aggregation (step number) in which an action last reset each address's age. */
  private readonly resetMaps = new Map<number, RangeMap>();
  /** Per target and effect kind: which scheme put each address in that state. */
  private readonly effectMaps = new Map<string, RangeMap>();
  /**
   * The same, with refaults counted as if each aggregation touched the same pages in all its
   * sampling intervals (noteReaccesses): only the refault figure is taken from it.
   */
  private readonly samePagesMaps = new Map<string, RangeMap>();
  private readonly timeline: TimeSeries;
  private readonly notes = new Set<string>();
  private readonly ageSources = new Set<'trace' | 'reconstructed'>();
  // Age reconstruction: the previous snapshot of each target, with the ages we gave it.
  private readonly prevOf = new Map<number, { starts: Float64Array; ends: Float64Array; nr: Float64Array; ages: Float64Array }>();

  constructor(schemes: readonly Scheme[], opts: SimulationOptions) {
    this.iv = opts.intervals;
    this.maxNrAccesses = Math.max(1, Math.round(this.iv.aggrUs / this.iv.sampleUs));
    this.ops = opts.ops;
    const minRegionSz = opts.minRegionSz ?? pageSizeBytes();
    this.minRegionSz = minRegionSz;
    this.actionBytesPerMs = opts.actionBytesPerMs ?? minRegionSz * 1024;
    this.pageoutBytesPerSec = opts.pageoutBytesPerSec ?? minRegionSz * 1024 * 1000;
    this.onApply = opts.onApply;
    this.mappings = opts.mappings;
    this.resident = opts.resident;
    this.madviseRefused = opts.madviseRefused;
    this.residentShared = opts.residentShared;
    this.programImages = opts.programImages;
    this.agesIncludeResets = opts.agesIncludeResets === true;
    this.minNrRegions = opts.minNrRegions ?? DEFAULT_MIN_NR_REGIONS;
    if (this.agesIncludeResets) {
      this.notes.add(
        'the recording was made while the native engine applied these same schemes online, so its ages already hold the ' +
          "actions' age resets: they are used as recorded (the simulation replays that run's decisions)",
      );
    }
    this.core = new DamosCore(schemes, {
      intervals: opts.intervals,
      minRegionSz,
      actionBytesPerMs: this.actionBytesPerMs,
      applyScheme: (req) => this.applySchemeOp(req),
      // Ages count aggregations, not time: a recording's aggregations can be longer than
      // the nominal interval (a busy machine), and the kernel's age counts them anyway.
      onAgeReset: (t, start, end) => this.resetMapOf(t).set(start, end, this.steps),
    });
    this.states = schemes.map((s, i) => this.initState(s, i));
    // columns: monitored, then per scheme tried, applied, reaccessed, effect bytes, reaccessed (same pages)
    const kinds: Array<'sum' | 'last'> = ['last'];
    for (let i = 0; i < schemes.length; i++) kinds.push('sum', 'sum', 'sum', 'last', 'sum');
    this.timeline = new TimeSeries(kinds, opts.maxTimelinePoints ?? 2048);
  }

  private initState(s: Scheme, index: number): SimSchemeState {
    const notes: string[] = [];
    const applies = (OPS_ACTIONS[this.ops] as readonly DamosAction[]).includes(s.action) && s.action !== 'stat';
    if (!(OPS_ACTIONS[this.ops] as readonly DamosAction[]).includes(s.action)) {
      notes.push(`${this.ops} does not implement '${s.action}': the kernel would try regions but apply nothing`);
    }
    const opsFilters = s.filters.filter((f) => !isCoreFilter(f.type));
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
    if (this.core.appliesBetweenAggregations(index)) {
      notes.push('applies between aggregation boundaries use that aggregation\'s final regions');
    }
    return {
      scheme: s,
      index,
      applies,
      effect: effectOf(s.action),
      notes,
      stepTried: 0,
      stepApplied: 0,
      stepReaccessed: 0,
      stepReaccessedSamePages: 0,
      effectBytes: 0,
      peakEffectBytes: 0,
      effectByteNs: 0,
      reaccessedTotal: 0,
      reaccessedSamePagesTotal: 0,
      reaccessedImageTotal: 0,
      reaccessedSparseTotal: 0,
      enteredTotal: 0,
      refusable: this.ops !== 'paddr' && actionRefusedOnLruVmas(s.action),
      nrRefused: 0,
      szRefused: 0,
    };
  }

  /**
   * ops.apply_scheme. The vaddr ops (damos_madvise in mm/damon/vaddr.c) report the region's
   * whole page-aligned length when do_madvise() succeeds and 0 when it fails, and madvise
   * fails with ENOMEM when the range has an unmapped hole, after acting on the mapped
   * parts. So with recorded mappings, a region that is not mapped end to end counts 0 while
   * its mapped parts still take the effect. For pageout and cold, madvise fails with EINVAL
   * at the first VMA it refuses (VM_LOCKED, VM_PFNMAP, VM_HUGETLB: can_madv_lru_vma() in
   * mm/madvise.c) and stops there: the region counts 0 and only its pages before that VMA
   * take the effect.
   */
  private applySchemeOp(req: ApplyRequest): number {
    const s = this.states[req.scheme];
    if (s === undefined) return 0;
    let szApplied = 0;
    if (s.applies) {
      const len = req.end - req.start;
      const refusedAt = s.refusable ? this.firstRefusedAddr(req.targetIndex, req.start, req.end) : null;
      if (refusedAt !== null) {
        s.nrRefused += 1;
        s.szRefused += len;
        if (refusedAt > req.start) this.recordEffect(req.targetIndex, req.start, refusedAt, s);
      } else {
        szApplied = this.mappedEndToEnd(req.targetIndex, req.start, req.end) ? len : 0;
        this.recordEffect(req.targetIndex, req.start, req.end, s);
      }
    }
    this.onApply?.({ scheme: s.index, targetIndex: req.targetIndex, start: req.start, end: req.end, szApplied, timeNs: req.nowNs });
    return szApplied;
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

  private effectMapOf(t: number, kind: EffectKind, maps = this.effectMaps): RangeMap {
    const key = `${t}:${kind}`;
    let m = maps.get(key);
    if (m === undefined) {
      m = new RangeMap();
      maps.set(key, m);
    }
    return m;
  }

  /** Bytes of [a, b) of target t that count: the mapped ones when the recording says. */
  private bytesOf(t: number, a: number, b: number): number {
    const h = this.mappings?.get(t);
    return h === undefined ? b - a : bytesInRanges(h.at(this.stepEndNs), a, b);
  }

  /** Whether [a, b) of target t is mapped end to end (true when the recording does not say). */
  private mappedEndToEnd(t: number, a: number, b: number): boolean {
    if (this.ops === 'paddr') return true;
    const h = this.mappings?.get(t);
    return h === undefined || bytesInRanges(h.at(this.stepEndNs), a, b) === b - a;
  }

  /** Where madvise would first refuse [a, b) of target t (a recorded refused range), or null. */
  private firstRefusedAddr(t: number, a: number, b: number): number | null {
    const h = this.madviseRefused?.get(t);
    if (h === undefined) return null;
    const hit = clipToRanges(h.at(this.stepEndNs), a, b)[0];
    return hit === undefined ? null : hit[0];
  }

  /**
   * The parts of [start, end) an action changes memory in: the resident pages of the
   * latest reading when the recording has them, else the mapped ones (effect maps then hold
   * only those bytes, so every later removal counts right).
   */
  private actionPieces(t: number, start: number, end: number, s: SimSchemeState): Array<[number, number]> {
    const pieces: Array<[number, number]> = clipToRanges(this.residentAt(t) ?? [[start, end]], start, end);
    // Pageout and cold skip the folios other page tables map too (madvise_cold_or_pageout_pte_range).
    const shared = s.refusable && this.resident?.get(t) !== undefined ? this.residentShared?.get(t) : undefined;
    return shared === undefined ? pieces : subtractRanges(pieces, clipToRanges(shared.at(this.stepEndNs), start, end));
  }

  /**
   * The pages of target t an action can change now: the resident ones, interpolated between
   * the recorder's readings (rule 1, resident_interp.ts), else the mapped ones, else
   * undefined (whole regions).
   */
  private residentAt(t: number): Ranges | undefined {
    const r = this.resident?.get(t);
    if (r === undefined) return this.mappings?.get(t)?.at(this.stepEndNs);
    let ip = this.residentNow.get(t);
    if (ip === undefined) this.residentNow.set(t, (ip = new InterpolatedResidency(r, this.minRegionSz)));
    return ip.at(this.stepEndNs, this.firstEndNs ?? this.stepEndNs);
  }

  private recordEffect(t: number, start: number, end: number, s: SimSchemeState): void {
    const action = s.scheme.action;
    const drop = (kind: EffectKind): void => {
      this.effectMapOf(t, kind).remove(start, end, (a, b, owner) => this.adjustEffectBytes(owner, a - b));
      this.effectMapOf(t, kind, this.samePagesMaps).remove(start, end);
    };
    if (s.effect !== 'none') {
      for (const [ps, pe] of this.actionPieces(t, start, end, s)) {
        let already = 0;
        this.effectMapOf(t, s.effect).set(ps, pe, s.index, (a, b, owner) => {
          already += b - a;
          this.adjustEffectBytes(owner, a - b);
        });
        this.effectMapOf(t, s.effect, this.samePagesMaps).set(ps, pe, s.index);
        this.adjustEffectBytes(s.index, pe - ps);
        s.enteredTotal += pe - ps - already;
      }
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

  /**
   * Refaults: bytes in the paged-out / deactivated state that the step shows accessed leave
   * it. A region's nr_accesses counts the sampling intervals in which its one sampled page
   * (a new random address each interval: __damon_va_prepare_access_check) was found
   * accessed, so p = nr_accesses / max_nr_accesses estimates the part of its pages accessed
   * in one sampling interval. An aggregation has max_nr_accesses of them, and the pages a
   * workload touches change from one to the next (redis's random keys, xz's hash chains):
   * taking the intervals as independent draws, 1 - (1 - p)^max_nr_accesses of the pages
   * were touched at least once. Which ones, the trace cannot tell, so they are spread evenly
   * over the region and the paged-out share of them refaults. (Until 2026-12-06 this took p
   * alone, the same pages every interval, and put the accesses on the region's resident
   * pages first: 0.1-14 MiB predicted where the VM's kernel took 14-58 MiB of major faults
   * on redis and xz, docs/ACCURACY.md "Refaults: what the kernel counts".)
   *
   * A recording cannot tell those intervals apart from intervals that all touch the same
   * pages, for which p of the pages were touched. Program images (code, constants) are
   * where that is the rule: a program runs its loops from the same pages again and again.
   * There the count takes p (since 2026-12-07: sqlite's refaults, 80-96 % of them in
   * images under the count above, were 2-11x below it in every VM run and within 1 MiB of
   * the same-pages count; docs/ACCURACY.md "Run 10 of the simulation"). The same-pages
   * count everywhere, spread evenly the same way, is kept beside the first in maps of its
   * own (samePagesMaps) and reported with it, the low end of what a recording allows.
   */
  private noteReaccesses(t: number, snap: Snapshot): void {
    const maxNr = this.maxNrAccesses;
    const newPages = (p: number): number => 1 - (1 - p) ** maxNr;
    const samePages = (p: number): number => p;
    const images = this.programImages?.get(t)?.at(this.stepEndNs);
    const inImages = images === undefined ? undefined : { ranges: images, part: samePages };
    for (const kind of ['paged-out', 'deactivated'] as const) {
      // Judged: new pages in every interval, except in program images (code, constants),
      // where the same pages are used again and again.
      this.refaultIn(this.effectMaps.get(`${t}:${kind}`), snap, newPages, maxNr, inImages, (st, a, b, inImage, sparse) => {
        st.stepReaccessed += b - a;
        st.reaccessedTotal += b - a;
        if (inImage) st.reaccessedImageTotal += b - a;
        if (sparse) st.reaccessedSparseTotal += b - a;
        this.adjustEffectBytes(st.index, a - b);
      });
      this.refaultIn(this.samePagesMaps.get(`${t}:${kind}`), snap, samePages, maxNr, undefined, (st, a, b) => {
        st.stepReaccessedSamePages += b - a;
        st.reaccessedSamePagesTotal += b - a;
      });
    }
  }

  /**
   * Takes out of effect map m, per region of snap with accesses, touchedPart(p) of the bytes
   * it holds there (page-aligned, from the start of each piece), and tells onRefault whose
   * bytes [a, b) were and whether the region was seen accessed in few samples (sparse:
   * nr_accesses <= lowAccessBound(maxNr)). The bytes in `images.ranges` take
   * images.part(p) instead, counted apart.
   */
  private refaultIn(
    m: RangeMap | undefined,
    snap: Snapshot,
    touchedPart: (p: number) => number,
    maxNr: number,
    images: { ranges: Ranges; part: (p: number) => number } | undefined,
    onRefault: (owner: SimSchemeState, a: number, b: number, inImage: boolean, sparse: boolean) => void,
  ): void {
    if (m === undefined || m.sizeBytes === 0) return;
    const lowBound = lowAccessBound(maxNr);
    for (let i = 0; i < snap.starts.length; i++) {
      const nr = snap.nrAccesses[i] ?? 0;
      if (nr <= 0) continue;
      const start = snap.starts[i] ?? 0;
      const end = snap.ends[i] ?? 0;
      if (!m.overlaps(start, end)) continue;
      let pieces: Array<[number, number]> = [];
      m.forEachOverlap(start, end, (a, b) => pieces.push([a, b]));
      const p = Math.min(1, nr / maxNr);
      const sparse = nr <= lowBound;
      if (images !== undefined && bytesInRanges(images.ranges, start, end) > 0) {
        const inImages = pieces.flatMap(([a, b]) => clipToRanges(images.ranges, a, b));
        pieces = subtractRanges(pieces, inImages);
        this.takeRefaults(m, inImages, images.part(p), true, sparse, onRefault);
      }
      this.takeRefaults(m, pieces, touchedPart(p), false, sparse, onRefault);
    }
  }

  /** Takes `part` of the bytes of `pieces` (whole pages, from the start) out of m. */
  private takeRefaults(
    m: RangeMap,
    pieces: ReadonlyArray<[number, number]>,
    part: number,
    inImage: boolean,
    sparse: boolean,
    onRefault: (owner: SimSchemeState, a: number, b: number, inImage: boolean, sparse: boolean) => void,
  ): void {
    const page = this.minRegionSz;
    const inState = pieces.reduce((n, [a, b]) => n + (b - a), 0);
    let refault = Math.min(inState, Math.round((inState / page) * part) * page);
    for (const [a, b] of pieces) {
      if (refault <= 0) break;
      const take = Math.min(b - a, refault);
      refault -= take;
      m.remove(a, a + take, (x, y, owner) => {
        const st = this.states[owner];
        if (st !== undefined) onRefault(st, x, y, inImage, sparse);
      });
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

  /**
   * The age the kernel would have seen: the recorded one, capped by the aggregations since
   * our own resets (unless the recorded ages already hold them: agesIncludeResets).
   */
  private simulatedAge(t: number, start: number, end: number, recorded: number): number {
    if (this.agesIncludeResets) return recorded;
    const m = this.resetMaps.get(t);
    if (m === undefined || !m.overlaps(start, end)) return recorded;
    let weighted = 0;
    let covered = 0;
    m.forEachOverlap(start, end, (a, b, resetStep) => {
      const since = Math.max(0, this.steps - resetStep);
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
    this.snapshots += snaps.length;
    const startNs = Math.min(...snaps.map((s) => s.startNs));
    const endNs = Math.max(...snaps.map((s) => s.endNs));
    this.stepEndNs = endNs;
    if (this.firstStartNs === null) this.firstStartNs = startNs;
    if (this.firstEndNs === null) this.firstEndNs = endNs;
    const prevEndNs = this.lastEndNs === 0 && this.steps === 0 ? startNs : this.lastEndNs;
    for (const s of this.states) {
      s.stepTried = 0;
      s.stepApplied = 0;
      s.stepReaccessed = 0;
      s.stepReaccessedSamePages = 0;
    }
    // The kdamond was still applying actions for most of this recorded aggregation: it had no
    // aggregation of its own then (its next one ends one interval after it is done). The
    // workload went on, so accesses still bring paged-out memory back.
    if ((startNs + endNs) / 2 < this.busyUntilNs) {
      this.busySkipped += 1;
      for (const sn of snaps) this.noteReaccesses(sn.targetIndex, sn);
      this.pushTimelinePoint(endNs, prevEndNs, this.monitoredBytes(snaps));
      return;
    }
    this.steps += 1;
    if (this.steps === 1) this.noteRegionLimit(snaps);
    // max_nr_accesses of this aggregation, for the merge threshold of age reconstruction
    let maxNr = 0;
    for (const sn of snaps) for (let i = 0; i < sn.nrAccesses.length; i++) maxNr = Math.max(maxNr, sn.nrAccesses[i] ?? 0);
    const thres = Math.floor(maxNr / 10);

    let monitored = 0;
    const targets: DamosTarget[] = [];
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
      const recorded = ages;
      const simAges = new Float64Array(sn.starts.length);
      for (let i = 0; i < sn.starts.length; i++) {
        const start = sn.starts[i] ?? 0;
        const end = sn.ends[i] ?? 0;
        monitored += this.bytesOf(sn.targetIndex, start, end);
        simAges[i] = this.simulatedAge(sn.targetIndex, start, end, recorded[i] ?? 0);
      }
      targets.push({ index: sn.targetIndex, head: regionList(sn.starts, sn.ends, sn.nrAccesses, simAges) });
    }

    const before = this.states.map((_, i) => ({ ...this.core.stats(i) }));
    const enteredBefore = this.states.map((s) => s.enteredTotal);
    this.core.applyAggregation(targets, prevEndNs, endNs);
    let pagedOutNow = 0;
    this.states.forEach((s, i) => {
      const now = this.core.stats(i);
      const was = before[i];
      s.stepTried = now.szTried - (was?.szTried ?? 0);
      s.stepApplied = now.szApplied - (was?.szApplied ?? 0);
      if (s.effect === 'paged-out') pagedOutNow += s.enteredTotal - (enteredBefore[i] ?? 0);
    });
    // Reclaiming takes the kdamond's time: what it paged out in this apply pass delays its
    // next aggregations (under TCG with swap on zram the VM runs measured ~10 MB/s, so one
    // first pass over 90 MiB of cold memory cost five 500 ms aggregations).
    this.busyUntilNs = endNs + (pagedOutNow / this.pageoutBytesPerSec) * 1e9;

    this.pushTimelinePoint(endNs, prevEndNs, monitored);
  }

  /**
   * At the first aggregation: whether sz_applied depends on a layout another run will not
   * share (layout_note.ts), for vaddr actions that count 0 over gaps.
   */
  private noteRegionLimit(snaps: readonly Snapshot[]): void {
    const mappings = this.mappings;
    if (mappings === undefined || this.ops !== 'vaddr' || !this.states.some((s) => s.applies)) return;
    const facts = regionLimitFacts(snaps, (t) => mappings.get(t)?.at(this.stepEndNs), this.minNrRegions);
    const note = regionLimitNote(facts, this.minNrRegions);
    if (note !== null) this.notes.add(note);
  }

  private monitoredBytes(snaps: readonly Snapshot[]): number {
    let monitored = 0;
    for (const sn of snaps) for (let i = 0; i < sn.starts.length; i++) monitored += this.bytesOf(sn.targetIndex, sn.starts[i] ?? 0, sn.ends[i] ?? 0);
    return monitored;
  }

  private pushTimelinePoint(endNs: number, prevEndNs: number, monitored: number): void {
    const dtNs = Math.max(0, endNs - prevEndNs);
    const row: number[] = [monitored];
    for (const s of this.states) {
      s.effectByteNs += s.effectBytes * dtNs;
      row.push(s.stepTried, s.stepApplied, s.stepReaccessed, s.effectBytes, s.stepReaccessedSamePages);
    }
    this.timeline.push(endNs, row);
    this.lastEndNs = endNs;
  }

  /**
   * A note when most of a scheme's refault figure came from sparse sightings (regions seen
   * accessed in at most lowAccessBound(max_nr_accesses) samples). Each such sighting takes
   * 1 - (1 - nr/max)^max of the region's paged-out pages at once (64 % for one sample of
   * 20), so the figure rests on a few samples; and pages touched thinly, a few per interval
   * over many pages, are rarely the sampled one: on xz's match-finder tables, whose thin
   * accesses fall on new pages each interval (page-exact truth, docs/ACCURACY.md "Which
   * pages come back"), the count takes about two thirds of what is touched in expectation,
   * because one aggregation's nr/max goes into a concave function. Measured on the VM's recordings
   * (docs/ACCURACY.md, "Refaults from few samples"): 58-100 % of redis's and xz's refault
   * figures came so (20 of 21 runs), and their predictions moved 1.6-13x between three
   * recordings of one workload; sqlite's and stress's figures were under 1.2 MiB.
   */
  private sparseRefaultNote(s: SimSchemeState): string[] {
    if (!(s.reaccessedTotal >= SPARSE_REFAULT_NOTE_MIN_BYTES) || s.reaccessedSparseTotal <= SPARSE_REFAULT_NOTE_SHARE * s.reaccessedTotal) return [];
    const maxNr = this.maxNrAccesses;
    const pct = Math.round((100 * s.reaccessedSparseTotal) / s.reaccessedTotal);
    return [
      `${pct} % of the bytes counted as accessed again came from regions seen accessed in at most ${lowAccessBound(maxNr)} of the ` +
        `${maxNr} samples of their aggregation: a sample or two decide each of those. Where such accesses are thin and spread ` +
        "evenly over a region's pages (a compressor's match finder), the count takes about two thirds of what is touched on " +
        'average; where they keep to a few hot pages, it can be high. In the VM such figures moved 1.6-13x between three ' +
        "recordings of one workload (redis, xz), and xz's medians were 8-78 % under what the kernel refaulted " +
        '(docs/ACCURACY.md, "Refaults from few samples"): simulate more than one recording before relying on this one',
    ];
  }

  result(): SimulationResult {
    this.timeline.finish();
    const startNs = this.firstStartNs ?? 0;
    const durationNs = Math.max(0, this.lastEndNs - startNs);
    const ts = this.timeline;
    const col = (c: number): number[] => ts.columns[c] ?? [];
    const notes = [...this.notes];
    if (this.busySkipped > 0) {
      notes.push(
        `the kdamond would have spent ${this.busySkipped} of the ${this.busySkipped + this.steps} recorded aggregations paging out ` +
          `(at an assumed ${formatRate(this.pageoutBytesPerSec)}), so it had ${this.steps} aggregations of its own; ` +
          'the others count accesses (refaults) but no scheme application',
      );
    }
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
        kernel: this.core.kernelPattern(s.index),
        stats: { ...this.core.stats(s.index) },
        effects: {
          kind: s.effect,
          finalBytes: s.effectBytes,
          peakBytes: s.peakEffectBytes,
          meanBytes: durationNs > 0 ? s.effectByteNs / durationNs : s.effectBytes,
          reaccessedBytes: s.reaccessedTotal,
          reaccessedBytesSamePages: s.reaccessedSamePagesTotal,
          reaccessedImageBytes: this.programImages === undefined ? null : s.reaccessedImageTotal,
          reaccessedSparseBytes: s.reaccessedSparseTotal,
          enteredBytes: s.enteredTotal,
        },
        madviseRefused: s.refusable && this.madviseRefused !== undefined ? { nrRegions: s.nrRefused, szBytes: s.szRefused } : null,
        notes: [
          ...s.notes,
          ...this.sparseRefaultNote(s),
          ...(hasQuota(s.scheme.quotas) && s.scheme.quotas.resetIntervalMs === 'max' ? ['the quota has no reset interval: it is one budget for the whole run (damo\'s default)'] : []),
        ],
      })),
      timeline: {
        timesNs: [...ts.times],
        monitoredBytes: col(0),
        schemes: this.states.map((_, i) => ({
          szTried: col(1 + 5 * i),
          szApplied: col(2 + 5 * i),
          reaccessedBytes: col(3 + 5 * i),
          effectBytes: col(4 + 5 * i),
          reaccessedBytesSamePages: col(5 + 5 * i),
        })),
      },
      notes,
    };
  }
}

/** sparseRefaultNote() speaks when more than this share of the refault figure is sparse... */
const SPARSE_REFAULT_NOTE_SHARE = 0.5;
/** ...and the figure is at least this large (smaller ones were noise in every VM run). */
const SPARSE_REFAULT_NOTE_MIN_BYTES = 1 << 20;

function formatRate(bytesPerSec: number): string {
  const mib = bytesPerSec / 1048576;
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB/s` : `${mib.toFixed(mib >= 10 ? 0 : 1)} MiB/s`;
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
