// SPDX-License-Identifier: GPL-2.0-only
/**
 * The one scheme model (DAMON-based Operation Schemes, "DAMOS") shared by the text and JSON
 * parsers, the kernel-format converters, the simulator and, later, online application.
 *
 * A scheme keeps the units its author used (percent or samples for the access frequency,
 * microseconds or aggregation intervals for the age), because converting to the kernel's
 * units needs the monitoring intervals, which are only known when the scheme is installed
 * or simulated. `'max'` stands for "no upper bound"; each output format spells it the way
 * its consumer expects (ULONG_MAX, UINT_MAX, aggr/sample, or the word `max`).
 */
import type { DamonOps } from '../core/model.js';

/** Every DAMOS action the kernel (or mm.git, for `collapse`) knows, in sysfs spelling. */
export const DAMOS_ACTIONS = [
  'willneed',
  'cold',
  'pageout',
  'hugepage',
  'nohugepage',
  'collapse',
  'lru_prio',
  'lru_deprio',
  'migrate_hot',
  'migrate_cold',
  'stat',
] as const;
export type DamosAction = (typeof DAMOS_ACTIONS)[number];

export function isDamosAction(text: string): text is DamosAction {
  return (DAMOS_ACTIONS as readonly string[]).includes(text);
}

/**
 * Numbers the legacy debugfs `schemes` file uses for actions (`enum damos_action` as of
 * 5.15, which is what debugfs supports; newer actions exist only in sysfs).
 */
export const DEBUGFS_ACTION_NUMBER: Partial<Record<DamosAction, number>> = {
  willneed: 0,
  cold: 1,
  pageout: 2,
  hugepage: 3,
  nohugepage: 4,
  stat: 5,
};

/** Actions each operations set implements (mm/damon/vaddr.c, paddr.c apply_scheme). */
export const OPS_ACTIONS: Record<DamonOps, readonly DamosAction[]> = {
  vaddr: ['willneed', 'cold', 'pageout', 'hugepage', 'nohugepage', 'collapse', 'migrate_hot', 'migrate_cold', 'stat'],
  fvaddr: ['willneed', 'cold', 'pageout', 'hugepage', 'nohugepage', 'collapse', 'migrate_hot', 'migrate_cold', 'stat'],
  paddr: ['pageout', 'lru_prio', 'lru_deprio', 'migrate_hot', 'migrate_cold', 'stat'],
};

export type Bound = number | 'max';

export interface SizeRange {
  /** Bytes, inclusive. */
  min: number;
  max: Bound;
}

export type NrAccessesUnit = 'percent' | 'samples';
export interface NrAccessesRange {
  /** 'percent' of the maximum possible (aggr/sample), or raw 'samples' per aggregation. */
  unit: NrAccessesUnit;
  min: number;
  max: Bound;
}

export type AgeUnit = 'us' | 'aggr_intervals';
export interface AgeRange {
  unit: AgeUnit;
  min: number;
  max: Bound;
}

export interface AccessPattern {
  sz: SizeRange;
  nrAccesses: NrAccessesRange;
  age: AgeRange;
}

export const QUOTA_GOAL_METRICS = [
  'user_input',
  'some_mem_psi_us',
  'node_mem_used_bp',
  'node_mem_free_bp',
  'node_memcg_used_bp',
  'node_memcg_free_bp',
  'active_mem_bp',
  'inactive_mem_bp',
] as const;
export type QuotaGoalMetric = (typeof QUOTA_GOAL_METRICS)[number];
/** Goal metrics about one NUMA node (they take a node id); the memcg ones also take a memcg path. */
export const QUOTA_GOAL_NID_METRICS: readonly string[] = ['node_mem_used_bp', 'node_mem_free_bp', 'node_memcg_used_bp', 'node_memcg_free_bp'];
export const QUOTA_GOAL_MEMCG_METRICS: readonly string[] = ['node_memcg_used_bp', 'node_memcg_free_bp'];

export interface QuotaGoal {
  metric: QuotaGoalMetric;
  targetValue: number;
  currentValue: number;
  nid?: number;
  memcgPath?: string;
}

export interface QuotaWeights {
  szPermil: number;
  nrAccessesPermil: number;
  agePermil: number;
}

export interface Quotas {
  /** CPU time the action may use per reset interval; 0 = unlimited. */
  timeMs: number;
  /** Bytes the action may be applied to per reset interval; 0 = unlimited. */
  szBytes: number;
  /** Length of the charge window. damo's default is 'max' (one window forever). */
  resetIntervalMs: Bound;
  weights: QuotaWeights;
  goals: QuotaGoal[];
  /** How the goals tune the quota: 'consist' (DAMON's default) or 'temporal' (Linux 6.19+); unset: DAMON's default. */
  goalTuner?: QuotaGoalTuner;
  /** Share of a region the action failed on that is charged to the quota, num/denom (Linux 6.19+); unset: DAMON's default (0/0). */
  failChargeNum?: number;
  failChargeDenom?: number;
}

export const QUOTA_GOAL_TUNERS = ['consist', 'temporal'] as const;
export type QuotaGoalTuner = (typeof QUOTA_GOAL_TUNERS)[number];

export const WMARK_METRICS = ['none', 'free_mem_rate'] as const;
export type WmarkMetric = (typeof WMARK_METRICS)[number];

export interface Watermarks {
  metric: WmarkMetric;
  intervalUs: number;
  highPermil: number;
  midPermil: number;
  lowPermil: number;
}

export const FILTER_TYPES = ['anon', 'active', 'memcg', 'young', 'hugepage_size', 'unmapped', 'addr', 'target'] as const;
export type FilterType = (typeof FILTER_TYPES)[number];

/** Filters DAMON's core handles itself; the rest are handled by the operations set. */
export function isCoreFilter(type: FilterType): boolean {
  return type === 'addr' || type === 'target';
}

export interface DamosFilter {
  type: FilterType;
  /** Whether the filter applies to memory that matches (true) or that does not (false). */
  matching: boolean;
  /** true: matching memory is allowed (applied); false: it is rejected. */
  allow: boolean;
  memcgPath?: string;
  /** addr filters: [start, end). */
  addrStart?: number;
  addrEnd?: number;
  /** target filters: index of the DAMON target. */
  targetIdx?: number;
  /** hugepage_size filters: inclusive folio size range. */
  hugepageMin?: number;
  hugepageMax?: Bound;
}

export interface MigrateDest {
  id: number;
  weight: number;
}

/** Where a scheme was written, for messages ("scheme 2 (schemes.damos:5)"). */
export interface SchemeOrigin {
  file: string;
  line: number;
}

export interface Scheme {
  action: DamosAction;
  pattern: AccessPattern;
  /** 0 = the aggregation interval (the kernel's default). */
  applyIntervalUs: number;
  quotas: Quotas;
  watermarks: Watermarks;
  filters: DamosFilter[];
  /** migrate_hot/migrate_cold only. */
  targetNid?: number;
  dests: MigrateDest[];
  /** How many DAMOS snapshots the scheme may take before it deactivates itself (stats/max_nr_snapshots); unset: 0, no limit. */
  maxNrSnapshots?: number;
  origin?: SchemeOrigin;
}

export function defaultPattern(): AccessPattern {
  return {
    sz: { min: 0, max: 'max' },
    nrAccesses: { unit: 'percent', min: 0, max: 'max' },
    age: { unit: 'us', min: 0, max: 'max' },
  };
}

export function defaultQuotas(): Quotas {
  return {
    timeMs: 0,
    szBytes: 0,
    resetIntervalMs: 'max',
    weights: { szPermil: 0, nrAccessesPermil: 0, agePermil: 0 },
    goals: [],
  };
}

export function defaultWatermarks(): Watermarks {
  return { metric: 'none', intervalUs: 0, highPermil: 0, midPermil: 0, lowPermil: 0 };
}

export function newScheme(action: DamosAction = 'stat'): Scheme {
  return {
    action,
    pattern: defaultPattern(),
    applyIntervalUs: 0,
    quotas: defaultQuotas(),
    watermarks: defaultWatermarks(),
    filters: [],
    dests: [],
  };
}

export function hasQuota(q: Quotas): boolean {
  return q.timeMs !== 0 || q.szBytes !== 0 || q.goals.length > 0;
}

export function quotasAreDefault(q: Quotas): boolean {
  const d = defaultQuotas();
  return (
    q.timeMs === d.timeMs &&
    q.szBytes === d.szBytes &&
    q.resetIntervalMs === d.resetIntervalMs &&
    q.weights.szPermil === 0 &&
    q.weights.nrAccessesPermil === 0 &&
    q.weights.agePermil === 0 &&
    q.goals.length === 0
  );
}

export function watermarksAreDefault(w: Watermarks): boolean {
  return w.metric === 'none' && w.intervalUs === 0 && w.highPermil === 0 && w.midPermil === 0 && w.lowPermil === 0;
}

export function isMigrateAction(action: DamosAction): boolean {
  return action === 'migrate_hot' || action === 'migrate_cold';
}

/** "scheme 2 (schemes.damos:5)" */
export function describeScheme(scheme: Scheme, index: number): string {
  return scheme.origin === undefined
    ? `scheme ${index}`
    : `scheme ${index} (${scheme.origin.file}:${scheme.origin.line})`;
}

/** Compares two schemes ignoring where they were written. */
export function schemesEqual(a: Scheme, b: Scheme): boolean {
  const strip = (s: Scheme): Omit<Scheme, 'origin'> => {
    const { origin: _origin, ...rest } = s;
    return rest;
  };
  return stableStringify(strip(a)) === stableStringify(strip(b));
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
