// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo's JSON scheme format (`damo start --schemes FILE`, `damo args damon`; damo 3.x
 * `_damon.Damos.from_kvpairs` / `to_kvpairs`). The reader accepts what damo accepts (numbers
 * or unit strings for every value, missing sections default, the old `filter_pass` key),
 * a bare list of schemes, `{"schemes": [...]}`, or a whole `{"kdamonds": [...]}` tree with
 * one context. Unlike damo it rejects unknown keys, since a misspelt `acess_pattern` would
 * otherwise silently make a scheme that matches all memory.
 *
 * The writer produces damo's key layout with exact unit strings damo parses back
 * (`1.5 KiB`, `100 ms`, `30 %`), so the output can be fed to damo itself.
 */
import { ULONG_MAX_F } from '../core/damon_constants.js';
import { schemeInputError, type FieldLocation } from './errors.js';
import { parseJsonWithPositions, type JsonNode } from './jsonpos.js';
import {
  DAMOS_ACTIONS,
  FILTER_TYPES,
  QUOTA_GOAL_METRICS,
  QUOTA_GOAL_TUNERS,
  WMARK_METRICS,
  isDamosAction,
  isMigrateAction,
  newScheme,
  type AgeRange,
  type Bound,
  type DamosFilter,
  type FilterType,
  type NrAccessesRange,
  type QuotaGoal,
  type QuotaGoalMetric,
  type QuotaGoalTuner,
  type Scheme,
} from './model.js';
import { goalValue, validateScheme } from './text.js';
import {
  BOOL_FORMS,
  INTEGER_FORMS,
  PERCENT_FORMS,
  SIZE_FORMS,
  TIME_FORMS,
  ValueFormError,
  formatDecimal,
  formatPermilAsPercent,
  formatSizeExact,
  formatTimeExact,
  parseBool,
  parseInteger,
  parsePercent,
  parsePermil,
  parseSize,
  parseTimeUs,
  parseWithUnitWord,
} from './units.js';

type Obj = Extract<JsonNode, { kind: 'object' }>;

class Ctx {
  constructor(readonly file: string) {}

  loc(node: JsonNode, path: string): FieldLocation {
    return { file: this.file, line: node.line, column: node.column, field: path };
  }

  fail(node: JsonNode, path: string, problem: string, accepted?: string): never {
    throw schemeInputError(this.loc(node, path), problem, accepted);
  }

  object(node: JsonNode, path: string, allowed: readonly string[], ignored: readonly string[] = []): Obj {
    if (node.kind !== 'object') this.fail(node, path, `expected an object, found ${describe(node)}`);
    for (const e of node.entries) {
      if (allowed.includes(e.key) || ignored.includes(e.key) || e.key.startsWith('comment')) continue;
      const guess = closest(e.key, allowed);
      throw schemeInputError(
        { file: this.file, line: e.keyPos.line, column: e.keyPos.column, field: path },
        `unknown key "${e.key}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`,
        allowed.map((k) => `"${k}"`).join(', '),
      );
    }
    return node;
  }

  /** A scalar as the text damo's text_to_* functions would see. */
  text(node: JsonNode, path: string, accepted: string): string {
    if (node.kind === 'string') return node.value;
    if (node.kind === 'number') return node.text;
    return this.fail(node, path, `expected a value, found ${describe(node)}`, accepted);
  }

  value<T>(node: JsonNode, path: string, accepted: string, parse: (text: string) => T): T {
    const text = this.text(node, path, accepted);
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof ValueFormError) this.fail(node, path, err.message, accepted);
      throw err;
    }
  }
}

function get(o: Obj, key: string): JsonNode | undefined {
  return o.entries.find((e) => e.key === key)?.value;
}

function describe(node: JsonNode): string {
  switch (node.kind) {
    case 'object': return 'an object';
    case 'array': return 'a list';
    case 'string': return `"${node.value}"`;
    case 'number': return node.text;
    case 'bool': return String(node.value);
    case 'null': return 'null';
  }
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] ?? 0;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] ?? 0;
      dp[j] = Math.min((dp[j] ?? 0) + 1, (dp[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] ?? 0;
}

const SCHEME_KEYS = ['action', 'access_pattern', 'apply_interval_us', 'quotas', 'watermarks', 'filters', 'target_nid', 'dests'];
/** State damo writes next to the parameters; meaningless as input. */
const SCHEME_STATE_KEYS = ['stats', 'tried_regions', 'tried_bytes', 'name', 'core_filters', 'ops_filters'];

/** Parses damo JSON schemes; `file` names the input in messages. */
export function parseSchemesJson(text: string, file: string): Scheme[] {
  const ctx = new Ctx(file);
  const root = parseJsonWithPositions(text, file);
  const list = schemeListOf(ctx, root);
  return list.items.map((node, i) => parseScheme(ctx, node, `schemes[${i}]`));
}

function schemeListOf(ctx: Ctx, root: JsonNode): Extract<JsonNode, { kind: 'array' }> {
  if (root.kind === 'array') return root;
  if (root.kind !== 'object') return ctx.fail(root, 'schemes', `expected a list of schemes, found ${describe(root)}`);
  const schemes = get(root, 'schemes');
  if (schemes !== undefined) {
    if (schemes.kind !== 'array') ctx.fail(schemes, 'schemes', 'expected a list of schemes');
    return schemes;
  }
  const kdamonds = get(root, 'kdamonds');
  if (kdamonds !== undefined) {
    if (kdamonds.kind !== 'array') return ctx.fail(kdamonds, 'kdamonds', 'expected a list');
    const lists: Array<Extract<JsonNode, { kind: 'array' }>> = [];
    for (const k of kdamonds.items) {
      const contexts = k.kind === 'object' ? get(k, 'contexts') : undefined;
      if (contexts?.kind !== 'array') continue;
      for (const c of contexts.items) {
        const s = c.kind === 'object' ? get(c, 'schemes') : undefined;
        if (s?.kind === 'array') lists.push(s);
      }
    }
    if (lists.length !== 1) {
      return ctx.fail(kdamonds, 'kdamonds', `found ${lists.length} contexts with schemes; give a file with exactly one (or just its "schemes" list)`);
    }
    return lists[0] as Extract<JsonNode, { kind: 'array' }>;
  }
  if (get(root, 'action') !== undefined || get(root, 'access_pattern') !== undefined) {
    return { kind: 'array', items: [root], line: root.line, column: root.column };
  }
  return ctx.fail(root, 'schemes', 'expected a list of schemes, {"schemes": [...]}, or a damo kdamonds tree');
}

function parseScheme(ctx: Ctx, node: JsonNode, path: string): Scheme {
  const o = ctx.object(node, path, SCHEME_KEYS, SCHEME_STATE_KEYS);
  const s = newScheme();
  s.origin = { file: ctx.file, line: node.line };
  const action = get(o, 'action');
  if (action !== undefined) {
    const a = ctx.text(action, `${path}.action`, DAMOS_ACTIONS.join(', '));
    if (!isDamosAction(a)) ctx.fail(action, `${path}.action`, `'${a}' is not a DAMOS action`, DAMOS_ACTIONS.join(', '));
    s.action = a;
  }
  const ap = get(o, 'access_pattern');
  if (ap !== undefined) parseAccessPattern(ctx, ap, `${path}.access_pattern`, s);
  const ai = get(o, 'apply_interval_us');
  if (ai !== undefined && ai.kind !== 'null') {
    s.applyIntervalUs = finite(ctx, ai, `${path}.apply_interval_us`, ctx.value(ai, `${path}.apply_interval_us`, TIME_FORMS, (t) => parseTimeUs(t, 1)));
  }
  const q = get(o, 'quotas');
  if (q !== undefined && q.kind !== 'null') parseQuotas(ctx, q, `${path}.quotas`, s);
  const w = get(o, 'watermarks');
  if (w !== undefined && w.kind !== 'null') parseWatermarks(ctx, w, `${path}.watermarks`, s);
  const f = get(o, 'filters');
  if (f !== undefined && f.kind !== 'null') {
    if (f.kind !== 'array') ctx.fail(f, `${path}.filters`, 'expected a list of filters');
    s.filters = f.items.map((fi, i) => parseFilter(ctx, fi, `${path}.filters[${i}]`));
  }
  const nid = get(o, 'target_nid');
  if (nid !== undefined && nid.kind !== 'null') s.targetNid = ctx.value(nid, `${path}.target_nid`, INTEGER_FORMS, parseInteger);
  const dests = get(o, 'dests');
  if (dests !== undefined && dests.kind !== 'null') {
    if (dests.kind !== 'array') ctx.fail(dests, `${path}.dests`, 'expected a list');
    s.dests = dests.items.map((d, i) => {
      const p = `${path}.dests[${i}]`;
      const dobj = ctx.object(d, p, ['id', 'weight']);
      const id = get(dobj, 'id');
      const weight = get(dobj, 'weight');
      return {
        id: id === undefined ? 0 : ctx.value(id, `${p}.id`, INTEGER_FORMS, parseInteger),
        weight: weight === undefined ? 0 : ctx.value(weight, `${p}.weight`, INTEGER_FORMS, parseInteger),
      };
    });
  }
  // damo writes "target_nid": null for non-migrate actions; only a real value is an error.
  if (!isMigrateAction(s.action)) {
    if (s.targetNid !== undefined) delete s.targetNid;
  }
  validateScheme(s, ctx.loc(node, path));
  return s;
}

function finite(ctx: Ctx, node: JsonNode, path: string, v: Bound): number {
  if (v === 'max') return ctx.fail(node, path, "'max' is not allowed here", TIME_FORMS);
  return v;
}

/** min/max of a range; a missing or null bound is unset (lowest minimum, no maximum). */
function minMax(ctx: Ctx, node: JsonNode, path: string): { min: JsonNode | undefined; max: JsonNode | undefined } {
  const o = ctx.object(node, path, ['min', 'max']);
  const bound = (key: string): JsonNode | undefined => {
    const n = get(o, key);
    return n?.kind === 'null' ? undefined : n;
  };
  return { min: bound('min'), max: bound('max') };
}

function parseAccessPattern(ctx: Ctx, node: JsonNode, path: string, s: Scheme): void {
  const o = ctx.object(node, path, ['sz_bytes', 'nr_accesses', 'age', 'nr_accesses_unit', 'age_unit']);
  const sz = get(o, 'sz_bytes');
  if (sz !== undefined) {
    const { min, max } = minMax(ctx, sz, `${path}.sz_bytes`);
    const lo = min === undefined ? 0 : ctx.value(min, `${path}.sz_bytes.min`, SIZE_FORMS, parseSize);
    const hi = max === undefined ? 'max' : ctx.value(max, `${path}.sz_bytes.max`, SIZE_FORMS, parseSize);
    if (lo === 'max') ctx.fail(min ?? sz, `${path}.sz_bytes.min`, "'max' cannot be a minimum", SIZE_FORMS);
    s.pattern.sz = { min: lo, max: hi };
    orderCheck(ctx, sz, `${path}.sz_bytes`, s.pattern.sz.min, s.pattern.sz.max);
  }
  const unitKey = (key: string): string | undefined => {
    const n = get(o, key);
    return n?.kind === 'string' ? n.value : undefined;
  };
  const nr = get(o, 'nr_accesses');
  if (nr !== undefined) {
    s.pattern.nrAccesses = parseNrAccesses(ctx, nr, `${path}.nr_accesses`, unitKey('nr_accesses_unit'));
  }
  const age = get(o, 'age');
  if (age !== undefined) s.pattern.age = parseAge(ctx, age, `${path}.age`, unitKey('age_unit'));
}

function orderCheck(ctx: Ctx, node: JsonNode, path: string, min: number, max: Bound): void {
  if (max !== 'max' && min > max) ctx.fail(node, path, `min (${formatDecimal(min)}) is larger than max (${formatDecimal(max)}), so the scheme could never match`);
}

const NR_FORMS = `${PERCENT_FORMS}, or "<n> samples"`;
const AGE_JSON_FORMS = `${TIME_FORMS} (a bare number is microseconds), or "<n> aggr_intervals"`;

function parseNrAccesses(ctx: Ctx, node: JsonNode, path: string, oldUnit: string | undefined): NrAccessesRange {
  const { min, max } = minMax(ctx, node, path);
  const bound = (n: JsonNode | undefined, which: 'min' | 'max'): { unit: 'percent' | 'samples' | undefined; v: Bound } => {
    if (n === undefined) return { unit: undefined, v: which === 'min' ? 0 : 'max' };
    const t = ctx.text(n, `${path}.${which}`, NR_FORMS);
    if (t === 'min' || t === 'max') return { unit: undefined, v: t === 'min' ? 0 : 'max' };
    const samples = parseWithUnitWord(t, ['samples', 'sample_intervals']);
    if (samples !== undefined) return { unit: 'samples', v: samples };
    // Old damo files said the unit in a separate key; honour it for bare numbers.
    const bareIsSamples = oldUnit === 'samples' || oldUnit === 'sample_intervals';
    const v = ctx.value(n, `${path}.${which}`, NR_FORMS, parsePercent);
    return { unit: bareIsSamples && n.kind === 'number' ? 'samples' : 'percent', v };
  };
  const lo = bound(min, 'min');
  const hi = bound(max, 'max');
  if (lo.unit !== undefined && hi.unit !== undefined && lo.unit !== hi.unit) {
    ctx.fail(node, path, 'min and max use different units; use percent or samples for both', NR_FORMS);
  }
  if (lo.v === 'max') ctx.fail(min ?? node, `${path}.min`, "'max' cannot be a minimum", NR_FORMS);
  const range: NrAccessesRange = { unit: lo.unit ?? hi.unit ?? 'percent', min: lo.v, max: hi.v };
  orderCheck(ctx, node, path, range.min, range.max);
  return range;
}

function parseAge(ctx: Ctx, node: JsonNode, path: string, oldUnit: string | undefined): AgeRange {
  const { min, max } = minMax(ctx, node, path);
  const bound = (n: JsonNode | undefined, which: 'min' | 'max'): { unit: 'us' | 'aggr_intervals' | undefined; v: Bound } => {
    if (n === undefined) return { unit: undefined, v: which === 'min' ? 0 : 'max' };
    const t = ctx.text(n, `${path}.${which}`, AGE_JSON_FORMS);
    if (t === 'min' || t === 'max') return { unit: undefined, v: t === 'min' ? 0 : 'max' };
    const aggrs = parseWithUnitWord(t, ['aggr_intervals', 'aggrs']);
    if (aggrs !== undefined) return { unit: 'aggr_intervals', v: aggrs };
    const bareIsAggr = oldUnit === 'aggr_intervals';
    const v = ctx.value(n, `${path}.${which}`, AGE_JSON_FORMS, (x) => parseTimeUs(x, 1));
    return { unit: bareIsAggr && n.kind === 'number' ? 'aggr_intervals' : 'us', v };
  };
  const lo = bound(min, 'min');
  const hi = bound(max, 'max');
  if (lo.unit !== undefined && hi.unit !== undefined && lo.unit !== hi.unit) {
    ctx.fail(node, path, 'min and max use different units; use a time or aggr_intervals for both', AGE_JSON_FORMS);
  }
  if (lo.v === 'max') ctx.fail(min ?? node, `${path}.min`, "'max' cannot be a minimum", AGE_JSON_FORMS);
  const range: AgeRange = { unit: lo.unit ?? hi.unit ?? 'us', min: lo.v, max: hi.v };
  orderCheck(ctx, node, path, range.min, range.max);
  return range;
}

const MS_FORMS = `${TIME_FORMS} (a bare number is milliseconds)`;
const US_FORMS = `${TIME_FORMS} (a bare number is microseconds)`;
const PERMIL_FORMS = "a per-mille number, or a percent like '30 %'";

function parseQuotas(ctx: Ctx, node: JsonNode, path: string, s: Scheme): void {
  const o = ctx.object(node, path, ['time_ms', 'sz_bytes', 'reset_interval_ms', 'weights', 'goals', 'goal_tuner', 'fail_charge_num', 'fail_charge_denom'],
    ['effective_sz_bytes']);
  const ms = (key: string): Bound | undefined => {
    const n = get(o, key);
    if (n === undefined || n.kind === 'null') return undefined;
    const us = ctx.value(n, `${path}.${key}`, MS_FORMS, (t) => parseTimeUs(t, 1000));
    return us === 'max' ? 'max' : us / 1000;
  };
  const time = ms('time_ms');
  if (time !== undefined) s.quotas.timeMs = time === 'max' ? 0 : time;
  const szNode = get(o, 'sz_bytes');
  if (szNode !== undefined && szNode.kind !== 'null') {
    const sz = ctx.value(szNode, `${path}.sz_bytes`, SIZE_FORMS, parseSize);
    // ULONG_MAX bytes per window never binds: the same as no size quota.
    s.quotas.szBytes = sz === 'max' ? 0 : sz;
  }
  const reset = ms('reset_interval_ms');
  if (reset !== undefined) s.quotas.resetIntervalMs = reset;
  const w = get(o, 'weights');
  if (w !== undefined && w.kind !== 'null') {
    const wo = ctx.object(w, `${path}.weights`, ['sz_permil', 'nr_accesses_permil', 'age_permil']);
    const pm = (key: string): number => {
      const n = get(wo, key);
      return n === undefined ? 0 : ctx.value(n, `${path}.weights.${key}`, PERMIL_FORMS, parsePermil);
    };
    s.quotas.weights = { szPermil: pm('sz_permil'), nrAccessesPermil: pm('nr_accesses_permil'), agePermil: pm('age_permil') };
  }
  const goals = get(o, 'goals');
  if (goals !== undefined && goals.kind !== 'null') {
    if (goals.kind !== 'array') ctx.fail(goals, `${path}.goals`, 'expected a list of goals');
    s.quotas.goals = goals.items.map((g, i) => parseGoalJson(ctx, g, `${path}.goals[${i}]`));
  }
  const tuner = get(o, 'goal_tuner');
  if (tuner !== undefined && tuner.kind !== 'null') {
    const t = ctx.text(tuner, `${path}.goal_tuner`, QUOTA_GOAL_TUNERS.join(', '));
    if (!(QUOTA_GOAL_TUNERS as readonly string[]).includes(t)) ctx.fail(tuner, `${path}.goal_tuner`, `'${t}' is not a quota goal tuner`, QUOTA_GOAL_TUNERS.join(', '));
    s.quotas.goalTuner = t as QuotaGoalTuner;
  }
  for (const [key, field] of [['fail_charge_num', 'failChargeNum'], ['fail_charge_denom', 'failChargeDenom']] as const) {
    const n = get(o, key);
    if (n !== undefined && n.kind !== 'null') s.quotas[field] = ctx.value(n, `${path}.${key}`, INTEGER_FORMS, parseInteger);
  }
}

function parseGoalJson(ctx: Ctx, node: JsonNode, path: string): QuotaGoal {
  const o = ctx.object(node, path, ['metric', 'target_value', 'current_value', 'nid', 'memcg_path', 'path', 'target_value_bp', 'current_value_bp']);
  const metricNode = get(o, 'metric');
  let metric: QuotaGoalMetric = 'user_input';
  if (metricNode !== undefined) {
    const m = ctx.text(metricNode, `${path}.metric`, QUOTA_GOAL_METRICS.join(', '));
    if (!(QUOTA_GOAL_METRICS as readonly string[]).includes(m)) {
      ctx.fail(metricNode, `${path}.metric`, `'${m}' is not a quota goal metric`, QUOTA_GOAL_METRICS.join(', '));
    }
    metric = m as QuotaGoalMetric;
  }
  const num = (key: string): number | undefined => {
    const n = get(o, key);
    if (n === undefined || n.kind === 'null') return undefined;
    return ctx.value(n, `${path}.${key}`, 'a number', (t) => goalValue(metric, t));
  };
  const goal: QuotaGoal = {
    metric,
    targetValue: num('target_value') ?? num('target_value_bp') ?? 0,
    currentValue: num('current_value') ?? num('current_value_bp') ?? 0,
  };
  const nid = get(o, 'nid');
  if (nid !== undefined && nid.kind !== 'null') goal.nid = ctx.value(nid, `${path}.nid`, INTEGER_FORMS, parseInteger);
  const memcg = get(o, 'memcg_path') ?? get(o, 'path');
  if (memcg !== undefined && memcg.kind === 'string' && memcg.value !== '') goal.memcgPath = memcg.value;
  return goal;
}

function parseWatermarks(ctx: Ctx, node: JsonNode, path: string, s: Scheme): void {
  const o = ctx.object(node, path, ['metric', 'interval_us', 'high_permil', 'mid_permil', 'low_permil']);
  const metric = get(o, 'metric');
  if (metric !== undefined) {
    const m = ctx.text(metric, `${path}.metric`, WMARK_METRICS.join(', '));
    if (m !== 'none' && m !== 'free_mem_rate') ctx.fail(metric, `${path}.metric`, `'${m}' is not a watermark metric`, WMARK_METRICS.join(', '));
    s.watermarks.metric = m;
  }
  const interval = get(o, 'interval_us');
  if (interval !== undefined) {
    s.watermarks.intervalUs = finite(ctx, interval, `${path}.interval_us`, ctx.value(interval, `${path}.interval_us`, US_FORMS, (t) => parseTimeUs(t, 1)));
  }
  const pm = (key: string): number => {
    const n = get(o, key);
    return n === undefined ? 0 : ctx.value(n, `${path}.${key}`, PERMIL_FORMS, parsePermil);
  };
  s.watermarks.highPermil = pm('high_permil');
  s.watermarks.midPermil = pm('mid_permil');
  s.watermarks.lowPermil = pm('low_permil');
}

function bool(ctx: Ctx, node: JsonNode, path: string): boolean {
  if (node.kind === 'bool') return node.value;
  return ctx.value(node, path, BOOL_FORMS, parseBool);
}

function parseFilter(ctx: Ctx, node: JsonNode, path: string): DamosFilter {
  const o = ctx.object(node, path,
    ['filter_type', 'matching', 'allow', 'filter_pass', 'memcg_path', 'address_range', 'damon_target_idx', 'hugepage_size'],
    ['sz_range']);
  const typeNode = get(o, 'filter_type');
  if (typeNode === undefined) ctx.fail(node, `${path}.filter_type`, 'missing', FILTER_TYPES.join(', '));
  const t = ctx.text(typeNode, `${path}.filter_type`, FILTER_TYPES.join(', '));
  if (!(FILTER_TYPES as readonly string[]).includes(t)) ctx.fail(typeNode, `${path}.filter_type`, `'${t}' is not a filter type`, FILTER_TYPES.join(', '));
  const type = t as FilterType;
  const matching = get(o, 'matching');
  const allow = get(o, 'allow') ?? get(o, 'filter_pass');
  const f: DamosFilter = {
    type,
    matching: matching === undefined ? true : bool(ctx, matching, `${path}.matching`),
    allow: allow === undefined ? false : bool(ctx, allow, `${path}.allow`),
  };
  if (type === 'memcg') {
    const p = get(o, 'memcg_path');
    if (p?.kind !== 'string') ctx.fail(p ?? node, `${path}.memcg_path`, 'a memcg filter needs "memcg_path"', 'a cgroup path');
    f.memcgPath = p.value;
  } else if (type === 'addr') {
    const r = get(o, 'address_range');
    if (r === undefined) ctx.fail(node, `${path}.address_range`, 'an addr filter needs "address_range"', '{"start": ..., "end": ...}');
    const ro = ctx.object(r, `${path}.address_range`, ['start', 'end'], ['nr_accesses', 'age', 'sz_filter_passed']);
    const addr = (key: string): number => {
      const n = get(ro, key);
      if (n === undefined) return ctx.fail(r, `${path}.address_range.${key}`, 'missing', SIZE_FORMS);
      const v = ctx.value(n, `${path}.address_range.${key}`, SIZE_FORMS, parseSize);
      return v === 'max' ? ULONG_MAX_F : v;
    };
    f.addrStart = addr('start');
    f.addrEnd = addr('end');
    if (f.addrEnd <= f.addrStart) ctx.fail(r, `${path}.address_range`, 'the range is empty (end <= start)');
  } else if (type === 'target') {
    const n = get(o, 'damon_target_idx');
    if (n === undefined || n.kind === 'null') ctx.fail(node, `${path}.damon_target_idx`, 'a target filter needs "damon_target_idx"', INTEGER_FORMS);
    f.targetIdx = ctx.value(n, `${path}.damon_target_idx`, INTEGER_FORMS, parseInteger);
  } else if (type === 'hugepage_size') {
    const n = get(o, 'hugepage_size');
    if (n !== undefined && n.kind !== 'null') {
      if (n.kind !== 'array' || n.items.length !== 2) ctx.fail(n, `${path}.hugepage_size`, 'expected [min, max]');
      const [lo, hi] = n.items.map((x, i) => ctx.value(x, `${path}.hugepage_size[${i}]`, SIZE_FORMS, parseSize));
      f.hugepageMin = lo === 'max' || lo === undefined ? ULONG_MAX_F : lo;
      f.hugepageMax = hi ?? 'max';
    }
  }
  return f;
}

// ---------------------------------------------------------------------------------------
// Writer.

function sizeJson(v: Bound): string {
  return formatSizeExact(v, 'spaced');
}

function timeJson(us: Bound): string {
  return formatTimeExact(us, 'spaced');
}

function nrJson(r: NrAccessesRange, v: Bound): string {
  if (v === 'max') return 'max';
  return r.unit === 'samples' ? `${formatDecimal(v)} samples` : `${formatDecimal(v)} %`;
}

function ageJson(r: AgeRange, v: Bound): string {
  if (v === 'max') return 'max';
  return r.unit === 'aggr_intervals' ? `${formatDecimal(v)} aggr_intervals` : timeJson(v);
}

function goalValueJson(metric: QuotaGoalMetric, v: number): string {
  return metric === 'some_mem_psi_us' ? timeJson(v) : formatDecimal(v);
}

/** damo's `Damos.to_kvpairs` layout (parameters only). */
export function schemeToDamoKvpairs(s: Scheme): Record<string, unknown> {
  const kv: Record<string, unknown> = {};
  kv.action = s.action;
  kv.dests = s.dests.map((d) => ({ id: d.id, weight: d.weight }));
  if (isMigrateAction(s.action)) kv.target_nid = s.targetNid ?? null;
  const p = s.pattern;
  kv.access_pattern = {
    sz_bytes: { min: sizeJson(p.sz.min), max: sizeJson(p.sz.max) },
    nr_accesses: { min: nrJson(p.nrAccesses, p.nrAccesses.min), max: nrJson(p.nrAccesses, p.nrAccesses.max) },
    age: { min: ageJson(p.age, p.age.min), max: ageJson(p.age, p.age.max) },
  };
  kv.apply_interval_us = timeJson(s.applyIntervalUs);
  const q = s.quotas;
  kv.quotas = {
    time_ms: timeJson(q.timeMs * 1000),
    sz_bytes: sizeJson(q.szBytes),
    reset_interval_ms: q.resetIntervalMs === 'max' ? 'max' : timeJson(q.resetIntervalMs * 1000),
    goals: q.goals.map((g) => {
      const gk: Record<string, unknown> = {
        metric: g.metric,
        nid: g.nid ?? null,
        target_value: goalValueJson(g.metric, g.targetValue),
        current_value: goalValueJson(g.metric, g.currentValue),
      };
      if (g.memcgPath !== undefined) gk.memcg_path = g.memcgPath;
      return gk;
    }),
    effective_sz_bytes: '0 B',
    weights: {
      sz_permil: formatPermilAsPercent(q.weights.szPermil),
      nr_accesses_permil: formatPermilAsPercent(q.weights.nrAccessesPermil),
      age_permil: formatPermilAsPercent(q.weights.agePermil),
    },
  };
  const w = s.watermarks;
  kv.watermarks = {
    metric: w.metric,
    interval_us: timeJson(w.intervalUs),
    high_permil: formatPermilAsPercent(w.highPermil),
    mid_permil: formatPermilAsPercent(w.midPermil),
    low_permil: formatPermilAsPercent(w.lowPermil),
  };
  kv.filters = s.filters.map((f) => ({
    filter_type: f.type,
    matching: f.matching,
    allow: f.allow,
    memcg_path: f.type === 'memcg' ? (f.memcgPath ?? '') : null,
    address_range: f.type === 'addr' ? { start: addrText(f.addrStart ?? 0), end: addrText(f.addrEnd ?? 0) } : null,
    damon_target_idx: f.type === 'target' ? String(f.targetIdx ?? 0) : null,
    hugepage_size: f.type === 'hugepage_size' && f.hugepageMin !== undefined
      ? [sizeJson(f.hugepageMin), sizeJson(f.hugepageMax ?? 'max')]
      : null,
  }));
  return kv;
}

function addrText(v: number): string {
  return v >= ULONG_MAX_F ? 'max' : BigInt(Math.trunc(v)).toString();
}

/** A JSON list of schemes, indented like damo's `json.dumps(..., indent=4)`. */
export function formatSchemesJson(schemes: readonly Scheme[]): string {
  return `${JSON.stringify(schemes.map(schemeToDamoKvpairs), null, 4)}\n`;
}
