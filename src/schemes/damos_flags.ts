// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's `--damos_*` flags (`damo start`, `tune`, `args damon`) made into schemes.
 *
 * Each `--damos_action` starts a scheme; every other per-scheme flag is taken in order, the
 * i-th occurrence for the i-th scheme, and a scheme without one gets damo's default (any
 * size, access rate and age; apply every aggregation interval; no quota; no watermarks).
 * Quota goals and filters are one flat list cut per scheme by `--damos_nr_quota_goals` and
 * `--damos_nr_filters` (needed as soon as there are two schemes). `--damos_quota_interval`
 * (with `--damos_quota_time`, `--damos_quota_space`, `--damos_quota_weights`, weights 1 1 1
 * by default) is the long form of `--damos_quotas <time> <space> <interval> <weights...>`.
 *
 * The flags are turned into damo's scheme JSON layout and read by the one scheme JSON
 * reader, so the units, limits and messages are those of `-c FILE` (docs/SCHEMES.md).
 */
import { DamoError, usageError } from '../core/errors.js';
import { parseSchemesJson } from './damo_json.js';
import { isMigrateAction, isDamosAction, QUOTA_GOAL_MEMCG_METRICS, QUOTA_GOAL_NID_METRICS, QUOTA_GOAL_TUNERS, type QuotaGoalTuner, type Scheme } from './model.js';

/** The flags as typed: one entry per occurrence, each the words of that occurrence. */
export interface DamosFlags {
  action: string[][];
  szRegion: string[][];
  accessRate: string[][];
  age: string[][];
  applyInterval: string[];
  quotas: string[][];
  quotaInterval: string[];
  quotaTime: string[];
  quotaSpace: string[];
  quotaWeights: string[][];
  quotaGoal: string[][];
  nrQuotaGoals: number[] | undefined;
  filter: string[][];
  nrFilters: number[] | undefined;
  wmarks: string[][];
  quotaGoalTuner: string[];
  quotaFailChargeRatio: string[][];
  maxNrSnapshots: string[];
}

export function noDamosFlags(f: DamosFlags): boolean {
  return (
    f.action.length === 0 &&
    [f.szRegion, f.accessRate, f.age, f.applyInterval, f.quotas, f.quotaInterval, f.quotaTime, f.quotaSpace, f.quotaWeights, f.quotaGoal, f.filter, f.wmarks, f.quotaGoalTuner, f.quotaFailChargeRatio, f.maxNrSnapshots].every((l) => l.length === 0) &&
    f.nrQuotaGoals === undefined &&
    f.nrFilters === undefined
  );
}

/** damo's 'min' bound is 0 in every unit. */
function bound(word: string): string {
  return word === 'min' ? '0' : word;
}

function minMax(words: string[]): { min: string; max: string } {
  return { min: bound(words[0] as string), max: bound(words[1] as string) };
}

function goalJson(words: string[]): Record<string, unknown> {
  const where = `--damos_quota_goal ${words.join(' ')}`;
  if (words.length < 2 || words.length > 4) throw usageError(`${where}: expected <metric> <target value> [<optional value>...] (2 to 4 words, got ${words.length})`);
  const [metric, target, ...optional] = words as [string, string, ...string[]];
  const goal: Record<string, unknown> = { metric, target_value: target, current_value: '0' };
  if (QUOTA_GOAL_MEMCG_METRICS.includes(metric)) {
    if (optional.length !== 2) throw usageError(`${where}: ${metric} takes a node id and a memcg path after the target value`);
    goal.nid = optional[0];
    goal.memcg_path = optional[1];
  } else if (QUOTA_GOAL_NID_METRICS.includes(metric)) {
    if (optional.length !== 1) throw usageError(`${where}: ${metric} takes one node id after the target value`);
    goal.nid = optional[0];
  } else if (metric === 'user_input') {
    if (optional.length !== 1) throw usageError(`${where}: user_input takes the current value after the target value`);
    goal.current_value = optional[0];
  } else if (optional.length > 0) {
    throw usageError(`${where}: ${metric} takes no value after the target value`);
  }
  return goal;
}

const PLAIN_FILTER_TYPES = ['anon', 'active', 'young', 'unmapped'];
const ALLOW_WORDS = ['allow', 'reject', 'deny', 'block'];

/** damo's filter words, `<allow|reject> [none] <type> [type arguments]`, one or more filters. */
function filtersJson(words: string[], where: string): Array<Record<string, unknown>> {
  const filters: Array<Record<string, unknown>> = [];
  let i = 0;
  while (i < words.length) {
    const verdict = words[i] as string;
    if (!ALLOW_WORDS.includes(verdict)) throw usageError(`${where}: '${verdict}' is not allow or reject`, 'a filter is <allow|reject> [none] <type> [arguments], e.g. --damos_filter reject none anon');
    i++;
    let matching = true;
    if (words[i] === 'none') {
      matching = false;
      i++;
    }
    const type = words[i];
    if (type === undefined) throw usageError(`${where}: a filter type is missing after '${verdict}'`);
    i++;
    const f: Record<string, unknown> = { filter_type: type, matching, allow: verdict === 'allow' };
    const need = (n: number, what: string): string[] => {
      const got = words.slice(i, i + n);
      if (got.length < n) throw usageError(`${where}: a ${type} filter needs ${what}`);
      i += n;
      return got;
    };
    if (PLAIN_FILTER_TYPES.includes(type)) {
      // no arguments
    } else if (type === 'memcg') {
      f.memcg_path = need(1, 'a memcg path')[0];
    } else if (type === 'addr') {
      const [start, end] = need(2, 'a start and an end address');
      f.address_range = { start, end };
    } else if (type === 'target') {
      f.damon_target_idx = need(1, 'a DAMON target index')[0];
    } else if (type === 'hugepage_size') {
      f.hugepage_size = need(2, 'a minimum and a maximum size');
    } else {
      throw usageError(`${where}: '${type}' is not a filter type`, `filter types: ${[...PLAIN_FILTER_TYPES, 'memcg', 'addr', 'target', 'hugepage_size'].join(', ')}`);
    }
    filters.push(f);
  }
  return filters;
}

/** Cuts `items` into one slice per scheme by `counts` (damo's --damos_nr_* lists). */
function perScheme<T>(items: T[], counts: number[] | undefined, nrSchemes: number, flag: string, countFlag: string): T[][] {
  let cuts = counts;
  if (cuts === undefined) {
    if (items.length > 0 && nrSchemes > 1) throw usageError(`${flag} with ${nrSchemes} schemes needs ${countFlag} (how many belong to each scheme, in order)`);
    cuts = nrSchemes === 1 ? [items.length] : new Array<number>(nrSchemes).fill(0);
  }
  const sum = cuts.reduce((a, b) => a + b, 0);
  if (sum !== items.length) throw usageError(`${countFlag} ${cuts.join(' ')} adds up to ${sum}, but ${items.length} ${flag} given`);
  const out: T[][] = [];
  let at = 0;
  for (let s = 0; s < nrSchemes; s++) {
    const n = cuts[s] ?? 0;
    out.push(items.slice(at, at + n));
    at += n;
  }
  return out;
}

function tooMany(list: unknown[], nrSchemes: number, flag: string): void {
  if (list.length > nrSchemes) throw usageError(`${list.length} ${flag} for ${nrSchemes} --damos_action: give at most one per scheme, in the order of the actions`);
}

/** The schemes the flags describe; [] when no --damos_action is given. */
export function schemesFromDamosFlags(f: DamosFlags): Scheme[] {
  const n = f.action.length;
  if (n === 0) {
    if (!noDamosFlags(f)) throw usageError('--damos_* flags need a --damos_action: each --damos_action starts a scheme', 'e.g. --damos_action pageout --damos_access_rate 0% 0% --damos_age 10s max');
    return [];
  }
  const quotas = f.quotas.map((q) => [...q]);
  // The long form: --damos_quota_interval per scheme, with time, space and weights beside it.
  f.quotaInterval.forEach((interval, i) => {
    const w = f.quotaWeights[i] ?? ['1', '1', '1'];
    quotas.push([f.quotaTime[i] ?? '0', f.quotaSpace[i] ?? '0', interval, ...w]);
  });
  tooMany(f.szRegion, n, '--damos_sz_region');
  tooMany(f.accessRate, n, '--damos_access_rate');
  tooMany(f.age, n, '--damos_age');
  tooMany(f.applyInterval, n, '--damos_apply_interval');
  tooMany(quotas, n, '--damos_quotas (or --damos_quota_interval)');
  tooMany(f.wmarks, n, '--damos_wmarks');
  tooMany(f.quotaGoalTuner, n, '--damos_quota_goal_tuner');
  tooMany(f.quotaFailChargeRatio, n, '--damos_quota_fail_charge_ratio');
  tooMany(f.maxNrSnapshots, n, '--damos_max_nr_snapshots');
  const goals = perScheme(f.quotaGoal, f.nrQuotaGoals, n, '--damos_quota_goal', '--damos_nr_quota_goals');
  const filterWords = perScheme(f.filter, f.nrFilters, n, '--damos_filter', '--damos_nr_filters');
  const docs = f.action.map((words, i) => {
    const action = words[0] as string;
    if (!isDamosAction(action)) throw usageError(`--damos_action ${words.join(' ')}: '${action}' is not a DAMOS action`);
    const s: Record<string, unknown> = { action };
    if (isMigrateAction(action)) {
      if (words.length === 2) s.target_nid = words[1];
      else if (words.length > 2) {
        if (words.length % 2 !== 1) throw usageError(`--damos_action ${words.join(' ')}: destinations come as <node id> <weight> pairs`);
        const dests = [];
        for (let j = 1; j < words.length; j += 2) dests.push({ id: words[j], weight: words[j + 1] });
        s.dests = dests;
      }
    } else if (words.length > 1) {
      throw usageError(`--damos_action ${words.join(' ')}: only migrate_hot and migrate_cold take arguments (a node id, or <node id> <weight> pairs)`);
    }
    s.access_pattern = {
      sz_bytes: minMax(f.szRegion[i] ?? ['min', 'max']),
      nr_accesses: f.accessRate[i] === undefined ? { min: '0 %', max: 'max' } : mapPercent(minMax(f.accessRate[i] as string[])),
      age: f.age[i] === undefined ? { min: '0', max: 'max' } : minMax(f.age[i] as string[]),
    };
    s.apply_interval_us = f.applyInterval[i] ?? '0';
    const q = quotas[i];
    if (q !== undefined) {
      if (q.length > 6) throw usageError(`--damos_quotas ${q.join(' ')}: at most 6 values (<time> <space> <reset interval> <3 weights>)`);
      s.quotas = {
        time_ms: q[0] ?? '0',
        sz_bytes: q[1] ?? '0',
        reset_interval_ms: q[2] ?? 'max',
        weights: { sz_permil: q[3] ?? '0', nr_accesses_permil: q[4] ?? '0', age_permil: q[5] ?? '0' },
        goals: (goals[i] ?? []).map(goalJson),
      };
    }
    // As in damo, goals belong to a quota: a scheme without one ignores its goals.
    const w = f.wmarks[i];
    if (w !== undefined) s.watermarks = { metric: w[0], interval_us: w[1], high_permil: w[2], mid_permil: w[3], low_permil: w[4] };
    s.filters = filtersJson((filterWords[i] ?? []).flat(), `--damos_filter of scheme ${i}`);
    return s;
  });
  let schemes: Scheme[];
  try {
    schemes = parseSchemesJson(JSON.stringify(docs), '--damos_* flags');
  } catch (e) {
    throw asFlagError(e);
  }
  schemes.forEach((s, i) => {
    const hasQuota = quotas[i] !== undefined;
    const tuner = f.quotaGoalTuner[i];
    if (tuner !== undefined) {
      if (!(QUOTA_GOAL_TUNERS as readonly string[]).includes(tuner)) throw usageError(`--damos_quota_goal_tuner ${tuner} (scheme ${i}): expected ${QUOTA_GOAL_TUNERS.join(' or ')}`);
      if (!hasQuota) throw usageError(`--damos_quota_goal_tuner ${tuner} (scheme ${i}): the scheme has no quota to tune`, 'give it --damos_quotas or --damos_quota_interval, with --damos_quota_goal');
      s.quotas.goalTuner = tuner as QuotaGoalTuner;
    }
    const ratio = f.quotaFailChargeRatio[i];
    if (ratio !== undefined) {
      const where = `--damos_quota_fail_charge_ratio ${ratio.join(' ')} (scheme ${i})`;
      if (ratio.length !== 2) throw usageError(`${where}: expected two values, <numerator> <denominator>`);
      const [num, denom] = ratio.map((w) => countOf(w, where, 'numerator and denominator')) as [number, number];
      if (!hasQuota) throw usageError(`${where}: the scheme has no quota to charge`, 'give it --damos_quotas or --damos_quota_interval');
      s.quotas.failChargeNum = num;
      s.quotas.failChargeDenom = denom;
    }
    const max = f.maxNrSnapshots[i];
    if (max !== undefined) s.maxNrSnapshots = countOf(max, `--damos_max_nr_snapshots ${max} (scheme ${i})`, 'the maximum number of snapshots');
  });
  return schemes;
}

/** A count as damo reads it (digits, with optional thousands commas). */
function countOf(word: string, where: string, what: string): number {
  const text = word.replace(/,/g, '').trim();
  const v = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(v)) throw usageError(`${where}: '${word}' is not a non-negative integer (${what})`);
  return v;
}

/** Which flag set each part of the scheme JSON the flags were turned into. */
const FLAG_OF_KEY: Array<[string, string]> = [
  ['access_pattern.sz_bytes', '--damos_sz_region'],
  ['access_pattern.nr_accesses', '--damos_access_rate'],
  ['access_pattern.age', '--damos_age'],
  ['apply_interval_us', '--damos_apply_interval'],
  ['quotas.goals', '--damos_quota_goal'],
  ['quotas', '--damos_quotas (or --damos_quota_interval/time/space/weights)'],
  ['watermarks', '--damos_wmarks'],
  ['filters', '--damos_filter'],
  ['target_nid', '--damos_action'],
  ['dests', '--damos_action'],
  ['action', '--damos_action'],
];

/** A refusal of the scheme JSON reader, said in terms of the flag the user typed (a usage error). */
function asFlagError(e: unknown): unknown {
  if (!(e instanceof DamoError)) return e;
  const m = /schemes\[(\d+)\]\.([A-Za-z0-9_.[\]]+): (.*)$/s.exec(e.message);
  if (m === null) return new DamoError('E_USAGE', e.message.replace(/^--damos_\* flags:\d+:\d+: /, '--damos_* flags: '), e.hint === undefined ? {} : { hint: e.hint });
  const [, index, path, what] = m as unknown as [string, string, string, string];
  const flag = FLAG_OF_KEY.find(([key]) => path === key || path.startsWith(`${key}.`))?.[1] ?? '--damos_* flags';
  return new DamoError('E_USAGE', `${flag} of scheme ${index}: ${what}`, e.hint === undefined ? {} : { hint: e.hint });
}

/** An access rate typed as a bare number is a percentage, as damo reads it. */
function mapPercent(r: { min: string; max: string }): { min: string; max: string } {
  const pct = (v: string): string => (/^[0-9.]+$/.test(v) ? `${v} %` : v);
  return { min: pct(r.min), max: pct(r.max) };
}
