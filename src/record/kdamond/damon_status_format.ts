// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report damon` output in damo 3.3.0's layout: the indented text of its `to_str()`
 * methods (kdamond > context > target/scheme, four spaces per level) and the JSON of its
 * `to_kvpairs()` (same keys, same order, values formatted as damo formats them, so the JSON
 * reads back into damo). Quirks of 3.3.0 kept on purpose because scripts parse this output:
 * the statistics print sz_ops_filter_passed twice (once as a bare size line), the sample
 * control block is not indented under its context, and a paddr target shows `pid: 0`.
 */
import { DEFAULT_INTERVALS, DEFAULT_NR_REGIONS, ULONG_MAX, ULONG_MAX_F } from '../../core/damon_constants.js';
import { formatBp, formatNr, formatRatio, formatSz, formatSzAccurate, formatTimeNs, formatTimeNsExact, formatTimeUs, pyFixed } from '../../core/fmt.js';
import { QUOTA_GOAL_MEMCG_METRICS, QUOTA_GOAL_NID_METRICS } from '../../schemes/model.js';
import { DEFAULT_GOAL_TUNER, type DamonRegionRange, type DamonStatusContext, type DamonStatusFilter, type DamonStatusGoal, type DamonStatusKdamond, type DamonStatusScheme, type DamonStatusStats, type TriedRegion } from './damon_status.js';

export interface StatusFormatOptions {
  raw: boolean;
  /** Parameters only: no state/pid, statistics, tried regions or effective quota. */
  paramsOnly: boolean;
  /**
   * Kdamonds made from flags (`args damon`), printed as damo prints its own objects: the
   * effective quota (0 B) in the text, and no memcg path for filters of other types.
   */
  fromFlags?: boolean;
  /**
   * `args damon --omit_defaults`: leave out a context's intervals and nr_regions and a
   * scheme's access pattern, quotas, watermarks and filters where they are damo's defaults.
   */
  omitDefaults?: boolean;
}

/** format_nr, exact for ULONG_MAX (which a double cannot hold). */
function nr(n: number, raw: boolean): string {
  return n === ULONG_MAX_F ? formatNr(ULONG_MAX, raw) : formatNr(n, raw);
}

/** format_sz, exact for ULONG_MAX in raw mode. */
function sz(n: number, raw: boolean): string {
  return raw && n === ULONG_MAX_F ? ULONG_MAX.toString() : formatSz(n, raw);
}

function permil(v: number, raw: boolean): string {
  return raw ? pyFixed(v, 6) : formatRatio(v / 1000, false);
}

function timeMs(ms: number, raw: boolean): string {
  return raw ? nr(ms, true) : formatTimeNs(ms * 1_000_000, false);
}

function timeUsExact(us: number, raw: boolean): string {
  return formatTimeNsExact(BigInt(Math.trunc(us)) * 1000n, raw);
}

function timeMsExact(ms: number, raw: boolean): string {
  return ms >= ULONG_MAX_F ? formatTimeNsExact(ULONG_MAX * 1_000_000n, raw) : formatTimeNsExact(BigInt(Math.trunc(ms)) * 1_000_000n, raw);
}

function addrRange(r: DamonRegionRange, raw: boolean): string {
  return `[${nr(r.start, raw)}, ${nr(r.end, raw)}) (${sz(r.end - r.start, raw)})`;
}

function indent(text: string, width = 4): string {
  const pad = ' '.repeat(width);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}


function goalText(g: DamonStatusGoal, raw: boolean): string {
  const extra: string[] = [];
  if (QUOTA_GOAL_NID_METRICS.includes(g.metric)) extra.push(`nid ${g.nid === null ? 'None' : nr(g.nid, raw)}`);
  if (QUOTA_GOAL_MEMCG_METRICS.includes(g.metric)) extra.push(`memcg ${g.memcgPath ?? 'None'}`);
  const metric = extra.length > 0 ? `${g.metric} (${extra.join(', ')})` : g.metric;
  return `metric ${metric} target ${nr(g.targetValue, raw)} current ${nr(g.currentValue, raw)}`;
}

function filterText(f: DamonStatusFilter, raw: boolean): string {
  const words = [f.allow ? 'allow' : 'reject'];
  if (!f.matching) words.push('none');
  words.push(f.type);
  if (f.type === 'memcg') words.push(f.memcgPath);
  else if (f.type === 'addr' && f.addressRange !== null) words.push(addrRange(f.addressRange, raw));
  else if (f.type === 'target' && f.damonTargetIdx !== null) words.push(nr(f.damonTargetIdx, raw));
  else if (f.type === 'hugepage_size' && f.hugepageSize !== null) words.push(`[${sz(f.hugepageSize[0], raw)}, ${sz(f.hugepageSize[1], raw)}]`);
  return words.join(' ');
}

function statsText(s: DamonStatusStats, raw: boolean): string {
  return [
    `tried ${nr(s.nrTried, raw)} times (${sz(s.szTried, raw)})`,
    `applied ${nr(s.nrApplied, raw)} times (${sz(s.szApplied, raw)})`,
    `${sz(s.szOpsFilterPassed, raw)} passed filters`,
    `quota exceeded ${nr(s.qtExceeds, raw)} times`,
    sz(s.szOpsFilterPassed, raw),
    `tried ${nr(s.nrSnapshots, raw)} snapshots (max ${nr(s.maxNrSnapshots, raw)})`,
  ].join('\n');
}

function triedRegionText(r: TriedRegion, raw: boolean): string {
  let s = `${addrRange(r, raw)}: nr_accesses: ${nr(r.nrAccesses, raw)} samples, age: ${nr(r.age, raw)} aggr_intervals`;
  if (r.szFilterPassed !== null) s += `, filter_passed: ${sz(r.szFilterPassed, raw)}`;
  return s;
}

/** An access-pattern bound in its unit: sysfs's samples and aggregation intervals, or a scheme's percent and time. */
function nrAccessesText(s: DamonStatusScheme, v: number, raw: boolean): string {
  if (s.nrAccessesUnit !== 'percent') return `${nr(v, raw)} samples`;
  return s.floatPercents === true ? `${formatNr(v, raw)} %` : `${nr(v, raw)} %`;
}

function ageText(s: DamonStatusScheme, v: number, raw: boolean): string {
  if (s.ageUnit !== 'us') return `${nr(v, raw)} aggr_intervals`;
  // damo keeps a time given in us and prints it in ns when raw, 'max' (ULONG_MAX us) included.
  if (v >= ULONG_MAX_F) return raw ? (ULONG_MAX * 1000n).toString() : 'max';
  return timeUsExact(v, raw);
}

function isMigrate(action: string): boolean {
  return action === 'migrate_hot' || action === 'migrate_cold';
}

function schemeText(s: DamonStatusScheme, o: StatusFormatOptions): string {
  const { raw } = o;
  const action = [`action: ${s.action}`];
  if (isMigrate(s.action)) action.push(`to node ${s.targetNid ?? 'None'}`);
  action.push(s.applyIntervalUs !== 0 ? `per ${formatTimeUs(s.applyIntervalUs, raw)}` : 'per aggr interval');
  const lines = [action.join(' '), 'target access pattern'];
  lines.push(
    indent(
      [
        `sz: [${sz(s.sz[0], raw)}, ${sz(s.sz[1], raw)}]`,
        `nr_accesses: [${nrAccessesText(s, s.nrAccesses[0], raw)}, ${nrAccessesText(s, s.nrAccesses[1], raw)}]`,
        `age: [${ageText(s, s.age[0], raw)}, ${ageText(s, s.age[1], raw)}]`,
      ].join('\n'),
    ),
  );
  for (const d of s.dests) lines.push(`dest ${d.id} weight ${d.weight}`);
  const q = s.quotas;
  const quota: string[] = [
    o.paramsOnly && o.fromFlags !== true
      ? `${formatTimeNs(q.ms * 1_000_000, raw)} / ${sz(q.bytes, raw)} per ${timeMs(q.resetIntervalMs, raw)}`
      : `${formatTimeNs(q.ms * 1_000_000, raw)} / ${sz(q.bytes, raw)} / ${sz(q.effectiveBytes, raw)} per ${timeMs(q.resetIntervalMs, raw)}`,
  ];
  if (q.failChargeDenom !== 0) quota.push(`fail charge ratio: ${q.failChargeNum}/${q.failChargeDenom}/`);
  q.goals.forEach((g, i) => quota.push(`goal ${i}: ${goalText(g, raw)}`));
  if (q.goals.length > 0) quota.push(`goal tuner: ${q.goalTuner}`);
  quota.push(`priority: sz ${permil(q.weights.sz, raw)}, nr_accesses ${permil(q.weights.nrAccesses, raw)}, age ${permil(q.weights.age, raw)}`);
  lines.push('quotas', indent(quota.join('\n')));
  const w = s.watermarks;
  lines.push('watermarks', indent(`metric ${w.metric}, interval ${formatTimeUs(w.intervalUs, raw)}\n${permil(w.high, raw)}, ${permil(w.mid, raw)}, ${permil(w.low, raw)}`));
  s.filters.forEach((f, i) => lines.push(`filter ${i}`, indent(filterText(f, raw))));
  if (!o.paramsOnly || s.fromDoc === true) {
    lines.push('statistics', indent(statsText(s.stats, raw)));
    const total = s.triedTotalBytes ?? s.triedRegions.reduce((a, r) => a + (r.end - r.start), 0);
    lines.push(`tried regions (${sz(total, raw)})`);
    for (const r of s.triedRegions) lines.push(indent(triedRegionText(r, raw)));
  }
  return lines.join('\n');
}

function contextText(c: DamonStatusContext, o: StatusFormatOptions): string {
  const { raw } = o;
  const ops = [`ops: ${c.ops}`];
  if (c.opsAttrs.useReports) ops.push('use_reports', `cpus ${c.opsAttrs.cpus}`, `threads ${c.opsAttrs.tids}`);
  if (c.opsAttrs.writeOnly) ops.push('write-only');
  if (c.addrUnit !== 1) ops.push(`addr_unit ${formatSzAccurate(c.addrUnit, raw)}`);
  const lines = [ops.join(' ')];
  if (c.pause) lines.push('pause: True');
  c.targets.forEach((t, i) => {
    const tl: string[] = [];
    if (t.pid !== null) tl.push(`pid: ${t.pid}`);
    if (t.obsolete) tl.push('(obsolete)');
    for (const r of t.regions) tl.push(`region ${addrRange(r, raw)}`);
    lines.push(`target ${i}`, indent(tl.join('\n')));
  });
  const iv = c.intervals;
  const ivLine = `sample ${formatTimeUs(iv.sampleUs, raw)}, aggr ${formatTimeUs(iv.aggrUs, raw)}, update ${formatTimeUs(iv.opsUpdateUs, raw)}`;
  const g = c.intervalsGoal;
  if (g.aggrs !== 0) {
    const goal = `target ${raw ? pyFixed(g.accessBp, 6) : formatBp(g.accessBp, false)} accesses per ${nr(g.aggrs, raw)} aggrs, [${formatTimeUs(g.minSampleUs, raw)}, ${formatTimeUs(g.maxSampleUs, raw)}] sampling interval`;
    lines.push('intervals', indent(`${ivLine}\n${goal}`));
  } else {
    lines.push(`intervals: ${ivLine}`);
  }
  lines.push(`nr_regions: [${nr(c.nrRegions.min, raw)}, ${nr(c.nrRegions.max, raw)}]`);
  c.schemes.forEach((s, i) => lines.push(`scheme ${i}`, indent(schemeText(s, o))));
  lines.push('access sample control');
  const prim: string[] = [];
  if (c.sampleControl.pageTable) prim.push('page_table');
  if (c.sampleControl.pageFault) prim.push('page_fault');
  const sc = [`enabled primitives: ${prim.join(', ')}`];
  if (c.sampleControl.filters.length > 0) {
    sc.push('Filters');
    for (const f of c.sampleControl.filters) {
      const words = [f.allow ? 'allow' : 'reject'];
      if (!f.matching) words.push('none');
      words.push(f.type);
      if (f.type === 'cpumask') words.push(f.cpumask);
      else if (f.type === 'threads') words.push(f.tidArr);
      sc.push(`- ${words.join(' ')}`);
    }
  }
  lines.push(sc.join('\n'));
  return lines.join('\n');
}

/** damo's kdamond summary line ('state: on, pid: 1234'). */
export function kdamondSummary(k: DamonStatusKdamond, o: StatusFormatOptions): string {
  const words: string[] = [];
  if (!o.paramsOnly) words.push(`state: ${k.state}`, `pid: ${k.pid}`);
  else if (k.shownState !== undefined) {
    words.push(`state: ${k.shownState.state}`);
    if (k.shownState.pid !== null) words.push(`pid: ${k.shownState.pid}`);
  }
  if (k.refreshMs !== 0) words.push(`stats refresh per: ${timeMs(k.refreshMs, o.raw)}`);
  return words.join(', ');
}

/** The whole text report: 'kdamond N' then its indented description, per kdamond. */
export function kdamondsText(kdamonds: readonly DamonStatusKdamond[], o: StatusFormatOptions): string {
  const out: string[] = [];
  kdamonds.forEach((k, i) => {
    const lines: string[] = [];
    const summary = kdamondSummary(k, o);
    if (summary !== '') lines.push(summary);
    k.contexts.forEach((c, j) => lines.push(`context ${j}`, indent(contextText(c, o))));
    out.push(`kdamond ${i}`, indent(lines.join('\n')));
  });
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

// ---- JSON (damo's to_kvpairs) -----------------------------------------------------------

export function statsKvpairs(s: DamonStatusStats, raw: boolean): Record<string, string> {
  return {
    nr_tried: nr(s.nrTried, raw),
    sz_tried: sz(s.szTried, raw),
    nr_applied: nr(s.nrApplied, raw),
    sz_applied: sz(s.szApplied, raw),
    sz_ops_filter_passed: sz(s.szOpsFilterPassed, raw),
    qt_exceeds: nr(s.qtExceeds, raw),
    nr_snapshots: nr(s.nrSnapshots, raw),
    max_nr_snapshots: nr(s.maxNrSnapshots, raw),
  };
}

/** `fromFlags`: a filter damo made from flags, whose memcg_path it leaves unset unless it is a memcg filter. */
function filterKvpairs(f: DamonStatusFilter, raw: boolean, fromFlags: boolean): Record<string, unknown> {
  return {
    filter_type: f.type,
    matching: f.matching,
    allow: f.allow,
    memcg_path: fromFlags && f.type !== 'memcg' ? null : f.memcgPath,
    address_range: f.addressRange === null ? null : { start: nr(f.addressRange.start, raw), end: nr(f.addressRange.end, raw) },
    damon_target_idx: f.damonTargetIdx === null ? null : nr(f.damonTargetIdx, raw),
    hugepage_size: f.hugepageSize === null ? null : f.hugepageSize.map((x) => sz(x, raw)),
  };
}

function schemeKvpairs(s: DamonStatusScheme, o: StatusFormatOptions): Record<string, unknown> {
  const { raw } = o;
  const kv: Record<string, unknown> = { action: s.action, dests: s.dests.map((d) => ({ id: d.id, weight: d.weight })) };
  // damo's own objects hold the node id as a number; sysfs gives the text of the file.
  if (isMigrate(s.action)) kv.target_nid = o.fromFlags === true && s.targetNid !== null ? Number(s.targetNid) : s.targetNid;
  const omit = o.omitDefaults === true;
  if (!omit || !isDefaultAccessPattern(s)) kv.access_pattern = {
    sz_bytes: { min: sz(s.sz[0], raw), max: sz(s.sz[1], raw) },
    nr_accesses: { min: nrAccessesText(s, s.nrAccesses[0], raw), max: nrAccessesText(s, s.nrAccesses[1], raw) },
    age: { min: ageText(s, s.age[0], raw), max: ageText(s, s.age[1], raw) },
  };
  kv.apply_interval_us = formatTimeUs(s.applyIntervalUs, raw);
  const q = s.quotas;
  if (!omit || !isDefaultQuotas(s)) kv.quotas = {
    time_ms: timeMsExact(q.ms, raw),
    sz_bytes: sz(q.bytes, raw),
    reset_interval_ms: timeMsExact(q.resetIntervalMs, raw),
    fail_charge_num: nr(q.failChargeNum, raw),
    fail_charge_denom: nr(q.failChargeDenom, raw),
    goals: q.goals.map((g) => ({ metric: g.metric, nid: g.nid === null ? null : nr(g.nid, raw), memcg_path: g.memcgPath, target_value: nr(g.targetValue, raw), current_value: nr(g.currentValue, raw) })),
    goal_tuner: q.goalTuner,
    effective_sz_bytes: sz(q.effectiveBytes, raw),
    weights: { sz_permil: permil(q.weights.sz, raw), nr_accesses_permil: permil(q.weights.nrAccesses, raw), age_permil: permil(q.weights.age, raw) },
  };
  const w = s.watermarks;
  if (!omit || !isDefaultWatermarks(s)) kv.watermarks = { metric: w.metric, interval_us: timeUsExact(w.intervalUs, raw), high_permil: permil(w.high, raw), mid_permil: permil(w.mid, raw), low_permil: permil(w.low, raw) };
  if (!omit || s.filters.length > 0) kv.filters = s.filters.map((f) => filterKvpairs(f, raw, o.fromFlags === true && s.fromDoc !== true));
  if (!o.paramsOnly) kv.stats = statsKvpairs(s.stats, raw);
  return kv;
}

function contextKvpairs(c: DamonStatusContext, o: StatusFormatOptions): Record<string, unknown> {
  const { raw } = o;
  const g = c.intervalsGoal;
  const omit = o.omitDefaults === true;
  const kv: Record<string, unknown> = {
    ops: c.ops,
    addr_unit: formatSzAccurate(c.addrUnit, raw),
    targets: c.targets.map((t) => ({ pid: t.pid, obsolete: t.obsolete, regions: t.regions.map((r) => ({ start: nr(r.start, raw), end: nr(r.end, raw) })) })),
  };
  // damo prints the intervals goal whenever it prints the intervals, default or not.
  if (!omit || !isDefaultIntervals(c)) {
    kv.intervals = {
      sample_us: formatTimeUs(c.intervals.sampleUs, raw),
      aggr_us: formatTimeUs(c.intervals.aggrUs, raw),
      ops_update_us: formatTimeUs(c.intervals.opsUpdateUs, raw),
      intervals_goal: { access_bp: raw ? pyFixed(g.accessBp, 6) : formatBp(g.accessBp, false), aggrs: nr(g.aggrs, raw), min_sample_us: formatTimeUs(g.minSampleUs, raw), max_sample_us: formatTimeUs(g.maxSampleUs, raw) },
    };
  }
  if (!omit || c.nrRegions.min !== DEFAULT_NR_REGIONS.min || c.nrRegions.max !== DEFAULT_NR_REGIONS.max) kv.nr_regions = { min: nr(c.nrRegions.min, raw), max: nr(c.nrRegions.max, raw) };
  kv.probes = [];
  kv.sample_control = {
    primitives_enabled: { page_table: c.sampleControl.pageTable, page_fault: c.sampleControl.pageFault },
    sample_filters: c.sampleControl.filters.map((f) => ({ filter_type: f.type, matching: f.matching, allow: f.allow, cpumask: f.cpumask, tid_arr: f.tidArr })),
  };
  kv.pause = c.pause;
  kv.schemes = c.schemes.map((s) => schemeKvpairs(s, o));
  return kv;
}

// ---- damo's defaults, for --omit_defaults (its objects' equality with a default one) ----

/** Intervals compare as damo prints them: the goal counts only when enabled (aggrs != 0). */
function isDefaultIntervals(c: DamonStatusContext): boolean {
  const i = c.intervals;
  return i.sampleUs === DEFAULT_INTERVALS.sampleUs && i.aggrUs === DEFAULT_INTERVALS.aggrUs && i.opsUpdateUs === DEFAULT_INTERVALS.opsUpdateUs && c.intervalsGoal.aggrs === 0;
}

/** Every region: any size, 0 to max percent of accesses, any age in microseconds. */
function isDefaultAccessPattern(s: DamonStatusScheme): boolean {
  return (
    s.floatPercents !== true &&
    s.nrAccessesUnit === 'percent' &&
    s.ageUnit === 'us' &&
    s.sz[0] === 0 &&
    s.sz[1] === ULONG_MAX_F &&
    s.nrAccesses[0] === 0 &&
    s.nrAccesses[1] === ULONG_MAX_F &&
    s.age[0] === 0 &&
    s.age[1] === ULONG_MAX_F
  );
}

function isDefaultQuotas(s: DamonStatusScheme): boolean {
  const q = s.quotas;
  return (
    q.ms === 0 &&
    q.bytes === 0 &&
    q.resetIntervalMs === ULONG_MAX_F &&
    q.weights.sz === 0 &&
    q.weights.nrAccesses === 0 &&
    q.weights.age === 0 &&
    q.failChargeNum === 0 &&
    q.failChargeDenom === 0 &&
    q.goals.length === 0 &&
    q.goalTuner === DEFAULT_GOAL_TUNER
  );
}

function isDefaultWatermarks(s: DamonStatusScheme): boolean {
  const w = s.watermarks;
  return w.metric === 'none' && w.intervalUs === 0 && w.high === 0 && w.mid === 0 && w.low === 0;
}

/** damo's `Kdamond.to_kvpairs()` of each kdamond. */
export function kdamondsKvpairs(kdamonds: readonly DamonStatusKdamond[], o: StatusFormatOptions): Array<Record<string, unknown>> {
  return kdamonds.map((k) => {
    const kv: Record<string, unknown> = {};
    if (!o.paramsOnly) {
      kv.state = k.state;
      kv.pid = k.pid;
    }
    kv.refresh_ms = k.refreshMs;
    kv.contexts = k.contexts.map((c) => contextKvpairs(c, o));
    return kv;
  });
}
