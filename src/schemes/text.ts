// SPDX-License-Identifier: GPL-2.0-only
/**
 * The one-line scheme language (docs/SCHEMES.md).
 *
 *   <min-size> <max-size> <min-acc> <max-acc> <min-age> <max-age> <action> [key=value ...]
 *
 * The seven positional fields are the 2020 kernel-tree `_convert_damos.py` format, so
 * every file it accepted parses here with the same numbers. Supersets, all optional:
 * - damo 3.x value forms: bare byte counts, `2 MiB`-style units without the space (`2MiB`),
 *   thousands separators, `80%`;
 * - kernel units: `<n>samples` for the access frequency, `<n>aggrs` for the age;
 * - damo 1.x positional quota/priority/watermark fields (9, 12, 17 or 18 fields);
 * - `key=value` settings for quotas, weights, goals, watermarks, filters, apply interval.
 * `#` starts a comment (at the start of a line or after whitespace); blank lines are skipped.
 */
import { ULONG_MAX_F } from '../core/damon_constants.js';
import { atField, schemeInputError, type FieldLocation } from './errors.js';
import {
  DAMOS_ACTIONS,
  FILTER_TYPES,
  QUOTA_GOAL_METRICS,
  WMARK_METRICS,
  isDamosAction,
  isMigrateAction,
  newScheme,
  quotasAreDefault,
  watermarksAreDefault,
  type AgeRange,
  type Bound,
  type DamosAction,
  type DamosFilter,
  type FilterType,
  type NrAccessesRange,
  type QuotaGoal,
  type QuotaGoalMetric,
  type Scheme,
  type WmarkMetric,
} from './model.js';
import {
  INTEGER_FORMS,
  PERCENT_FORMS,
  TIME_FORMS,
  ValueFormError,
  formatDecimal,
  formatSizeExact,
  formatTimeExact,
  parseBp,
  parseInteger,
  parseNumber,
  parsePercent,
  parsePermil,
  parseSize,
  parseTimeUs,
  parseWithUnitWord,
} from './units.js';

interface Token {
  text: string;
  /** 1-based column of the token's first character. */
  column: number;
}

function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    if (m[0].startsWith('#')) break;
    tokens.push({ text: m[0], column: m.index + 1 });
  }
  return tokens;
}

const POSITIONAL_FIELDS = [
  'min size',
  'max size',
  'min access frequency',
  'max access frequency',
  'min age',
  'max age',
  'action',
] as const;

const LINE_FORMS =
  '<min-size> <max-size> <min-access> <max-access> <min-age> <max-age> <action> [key=value ...], e.g. "4K max 0 0 5s max pageout"';

const ACCESS_FORMS = `${PERCENT_FORMS}, or <n>samples`;
const AGE_FORMS = `${TIME_FORMS}, or <n>aggrs (aggregation intervals)`;
const ACTION_FORMS = DAMOS_ACTIONS.join(', ');

export const OPTION_KEYS = [
  'apply_interval',
  'quota_sz',
  'quota_ms',
  'quota_reset',
  'weights',
  'goal',
  'wmarks',
  'filter',
  'target_nid',
  'dests',
] as const;
type OptionKey = (typeof OPTION_KEYS)[number];

/** Parses a whole scheme file (or inline text). `file` names it in messages. */
export function parseSchemesText(text: string, file: string): Scheme[] {
  const schemes: Scheme[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const tokens = tokenize(raw);
    if (tokens.length === 0) return;
    schemes.push(parseSchemeTokens(tokens, file, i + 1, raw));
  });
  return schemes;
}

/** Parses one scheme line (no comments handling beyond a trailing '#'). */
export function parseSchemeLine(line: string, file = '<input>', lineNo = 1): Scheme {
  const tokens = tokenize(line);
  if (tokens.length === 0) {
    throw schemeInputError({ file, line: lineNo, column: 1, field: 'scheme' }, 'empty scheme', LINE_FORMS);
  }
  return parseSchemeTokens(tokens, file, lineNo, line);
}

function parseSchemeTokens(tokens: Token[], file: string, lineNo: number, raw: string): Scheme {
  const loc = (i: number, field: string): FieldLocation => ({
    file,
    line: lineNo,
    column: tokens[i]?.column ?? raw.length + 1,
    field,
  });
  const positional = tokens.filter((t) => !t.text.includes('='));
  const firstOption = tokens.findIndex((t) => t.text.includes('='));
  if (firstOption !== -1 && firstOption < 7) {
    throw schemeInputError(loc(firstOption, POSITIONAL_FIELDS[firstOption] ?? 'field'),
      `'${tokens[firstOption]?.text}' is a key=value setting, but the seven positional fields must come first`, LINE_FORMS);
  }
  if (firstOption !== -1 && positional.length !== 7) {
    const stray = tokens.findIndex((t, i) => i > firstOption && !t.text.includes('='));
    throw schemeInputError(loc(stray, 'setting'), `'${tokens[stray]?.text}' is not a key=value setting`,
      `${OPTION_KEYS.join('=, ')}=`);
  }
  if (firstOption === -1 && ![7, 9, 12, 17, 18].includes(tokens.length)) {
    const at = Math.min(tokens.length, 7);
    throw schemeInputError(loc(at, tokens.length < 7 ? (POSITIONAL_FIELDS[at] ?? 'field') : 'scheme'),
      `expected 7 fields (or damo 1.x's 9, 12, 17 or 18), found ${tokens.length}`, LINE_FORMS);
  }

  const s = newScheme();
  s.origin = { file, line: lineNo };
  // `null` leaves a bound unset: the lowest value for a minimum, no limit for a maximum.
  const t = (i: number): string => {
    const text = tokens[i]?.text ?? '';
    if (i < 6 && text === 'null') return i % 2 === 0 ? 'min' : 'max';
    return text;
  };

  const minSz = atField(loc(0, 'min size'), () => parseSize(t(0)));
  const maxSz = atField(loc(1, 'max size'), () => parseSize(t(1)));
  if (minSz === 'max') throw schemeInputError(loc(0, 'min size'), "'max' cannot be a minimum", 'a size or min');
  s.pattern.sz = { min: minSz, max: maxSz };
  s.pattern.nrAccesses = parseAccessRange(t(2), t(3), loc(2, 'min access frequency'), loc(3, 'max access frequency'));
  s.pattern.age = parseAgeRange(t(4), t(5), loc(4, 'min age'), loc(5, 'max age'));
  s.action = parseAction(t(6), loc(6, 'action'));

  checkOrder(s.pattern.sz.min, s.pattern.sz.max, loc(0, 'min size'), 'max size');
  checkOrder(s.pattern.nrAccesses.min, s.pattern.nrAccesses.max, loc(2, 'min access frequency'), 'max access frequency');
  checkOrder(s.pattern.age.min, s.pattern.age.max, loc(4, 'min age'), 'max age');

  if (firstOption === -1 && tokens.length > 7) parseDamo1Fields(s, tokens, loc);
  for (let i = 7; i < tokens.length && firstOption !== -1; i++) parseOption(s, t(i), loc(i, 'setting'));
  validateScheme(s, loc(6, 'action'));
  return s;
}

function checkOrder(min: number, max: Bound, minLoc: FieldLocation, maxName: string): void {
  if (max !== 'max' && min > max) {
    throw schemeInputError(minLoc, `the minimum (${formatDecimal(min)}) is larger than the ${maxName} (${formatDecimal(max)}), so the scheme could never match`);
  }
}

function parseAccessBound(text: string, loc: FieldLocation): { unit: 'percent' | 'samples'; value: Bound } {
  const samples = parseWithUnitWord(text, ['samples', 'sample']);
  if (samples !== undefined) return { unit: 'samples', value: samples };
  return atField(loc, () => {
    try {
      return { unit: 'percent' as const, value: parsePercent(text) };
    } catch (err) {
      if (err instanceof ValueFormError) throw new ValueFormError(err.message, ACCESS_FORMS);
      throw err;
    }
  });
}

function parseAccessRange(minText: string, maxText: string, minLoc: FieldLocation, maxLoc: FieldLocation): NrAccessesRange {
  const lo = parseAccessBound(minText, minLoc);
  const hi = parseAccessBound(maxText, maxLoc);
  if (lo.value === 'max') throw schemeInputError(minLoc, "'max' cannot be a minimum", ACCESS_FORMS);
  // 'min' and 'max' carry no unit; take the unit of the other bound.
  const unit = unitOf(minText, lo.unit, maxText, hi.unit);
  if (unit === undefined) {
    throw schemeInputError(maxLoc, `the minimum is in ${lo.unit} but the maximum in ${hi.unit}; use one unit for both`, ACCESS_FORMS);
  }
  return { unit, min: lo.value, max: hi.value };
}

function unitOf<U extends string>(minText: string, minUnit: U, maxText: string, maxUnit: U): U | undefined {
  const symbolic = (x: string): boolean => x === 'min' || x === 'max';
  if (symbolic(minText)) return maxUnit;
  if (symbolic(maxText)) return minUnit;
  return minUnit === maxUnit ? minUnit : undefined;
}

function parseAgeBound(text: string, loc: FieldLocation): { unit: 'us' | 'aggr_intervals'; value: Bound } {
  const aggrs = parseWithUnitWord(text, ['aggrs', 'aggr', 'aggr_intervals']);
  if (aggrs !== undefined) return { unit: 'aggr_intervals', value: aggrs };
  return atField(loc, () => {
    try {
      return { unit: 'us' as const, value: parseTimeUs(text) };
    } catch (err) {
      if (err instanceof ValueFormError) throw new ValueFormError(err.message, AGE_FORMS);
      throw err;
    }
  });
}

function parseAgeRange(minText: string, maxText: string, minLoc: FieldLocation, maxLoc: FieldLocation): AgeRange {
  const lo = parseAgeBound(minText, minLoc);
  const hi = parseAgeBound(maxText, maxLoc);
  if (lo.value === 'max') throw schemeInputError(minLoc, "'max' cannot be a minimum", AGE_FORMS);
  const unit = unitOf(minText, lo.unit, maxText, hi.unit);
  if (unit === undefined) {
    throw schemeInputError(maxLoc, `the minimum is in ${lo.unit} but the maximum in ${hi.unit}; use one unit for both`, AGE_FORMS);
  }
  return { unit, min: lo.value, max: hi.value };
}

export function parseAction(text: string, loc: FieldLocation): DamosAction {
  const a = text.toLowerCase().replace(/^damos_/, '');
  if (!isDamosAction(a)) throw schemeInputError(loc, `'${text}' is not a DAMOS action`, ACTION_FORMS);
  return a;
}

/** damo 1.x positional extensions (`_damo_deprecated.fields_to_v{1..4}_scheme`). */
function parseDamo1Fields(s: Scheme, tokens: Token[], loc: (i: number, f: string) => FieldLocation): void {
  const t = (i: number): string => tokens[i]?.text ?? '';
  const permil = (i: number, f: string): number => atField(loc(i, f), () => parseInteger(t(i)));
  const ms = (i: number, f: string): Bound => atField(loc(i, f), () => msBound(parseTimeUs(t(i), 1000)));
  // A 'max' size quota never binds: the same as no size quota.
  const size = (i: number, f: string): number =>
    atField(loc(i, f), () => {
      const v = parseSize(t(i));
      return v === 'max' ? 0 : v;
    });
  const n = tokens.length;
  let i = 7;
  if (n === 18) {
    s.quotas.timeMs = finiteMs(ms(i, 'quota time'), loc(i, 'quota time'));
    i += 1;
  }
  s.quotas.szBytes = size(i, 'quota size');
  s.quotas.resetIntervalMs = ms(i + 1, 'quota reset interval');
  i += 2;
  if (n >= 12) {
    s.quotas.weights = {
      szPermil: permil(i, 'size weight'),
      nrAccessesPermil: permil(i + 1, 'access frequency weight'),
      agePermil: permil(i + 2, 'age weight'),
    };
    i += 3;
  }
  if (n >= 17) {
    s.watermarks.metric = parseWmarkMetric(t(i), loc(i, 'watermark metric'));
    s.watermarks.intervalUs = finiteUs(atField(loc(i + 1, 'watermark interval'), () => parseTimeUs(t(i + 1), 1)), loc(i + 1, 'watermark interval'));
    s.watermarks.highPermil = permil(i + 2, 'high watermark');
    s.watermarks.midPermil = permil(i + 3, 'middle watermark');
    s.watermarks.lowPermil = permil(i + 4, 'low watermark');
  }
}

function msBound(us: Bound): Bound {
  return us === 'max' ? 'max' : us / 1000;
}

function finiteMs(v: Bound, loc: FieldLocation): number {
  if (v === 'max') throw schemeInputError(loc, "'max' is not allowed here", TIME_FORMS);
  return v;
}

function finiteUs(v: Bound, loc: FieldLocation): number {
  if (v === 'max') throw schemeInputError(loc, "'max' is not allowed here", TIME_FORMS);
  return v;
}

function parseWmarkMetric(text: string, loc: FieldLocation): WmarkMetric {
  const m = text.toLowerCase();
  if (!(WMARK_METRICS as readonly string[]).includes(m)) {
    throw schemeInputError(loc, `'${text}' is not a watermark metric`, WMARK_METRICS.join(', '));
  }
  return m as WmarkMetric;
}

const OPTION_FORMS: Record<OptionKey, string> = {
  apply_interval: 'apply_interval=<time>, e.g. apply_interval=1s',
  quota_sz: 'quota_sz=<size per reset interval>, e.g. quota_sz=100M',
  quota_ms: 'quota_ms=<CPU time per reset interval>, e.g. quota_ms=10ms',
  quota_reset: 'quota_reset=<charge window>, e.g. quota_reset=1s',
  weights: 'weights=<size>,<access frequency>,<age> (per-mille or %), e.g. weights=0,30%,70%',
  goal: 'goal=<metric>,<target>[,current=<value>][,nid=<node>][,path=<memcg>], metric one of ' + QUOTA_GOAL_METRICS.join(', '),
  wmarks: 'wmarks=<metric>,<check interval>,<high>,<mid>,<low> (per-mille), e.g. wmarks=free_mem_rate,5s,500,400,200',
  filter: 'filter=<allow|reject>,[none,]<type>[,<args>], type one of ' + FILTER_TYPES.join(', ') +
    ' (memcg: <path>; addr: <start>,<end>; target: <index>; hugepage_size: <min>,<max>)',
  target_nid: 'target_nid=<NUMA node id>',
  dests: 'dests=<node>:<weight>[,<node>:<weight>...]',
};

function parseOption(s: Scheme, token: string, baseLoc: FieldLocation): void {
  const eq = token.indexOf('=');
  const key = token.slice(0, eq);
  const value = token.slice(eq + 1);
  if (!(OPTION_KEYS as readonly string[]).includes(key)) {
    throw schemeInputError({ ...baseLoc, field: 'setting' }, `unknown setting '${key}'`, OPTION_KEYS.map((k) => `${k}=`).join(', '));
  }
  const k = key as OptionKey;
  const loc: FieldLocation = { ...baseLoc, column: baseLoc.column + eq + 1, field: k };
  const forms = OPTION_FORMS[k];
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof ValueFormError) throw schemeInputError(loc, err.message, forms);
      throw err;
    }
  };
  const parts = value.split(',');
  switch (k) {
    case 'apply_interval':
      s.applyIntervalUs = finiteUs(wrap(() => parseTimeUs(value)), loc);
      return;
    case 'quota_sz': {
      const v = wrap(() => parseSize(value));
      if (v === 'max') throw schemeInputError(loc, "'max' is not a quota; leave quota_sz out for no size quota", forms);
      s.quotas.szBytes = v;
      return;
    }
    case 'quota_ms':
      s.quotas.timeMs = finiteMs(msBound(wrap(() => parseTimeUs(value, 1000))), loc);
      return;
    case 'quota_reset':
      s.quotas.resetIntervalMs = msBound(wrap(() => parseTimeUs(value, 1000)));
      return;
    case 'weights': {
      if (parts.length !== 3) throw schemeInputError(loc, `expected 3 weights, found ${parts.length}`, forms);
      const [a, b, c] = parts.map((p) => wrap(() => parsePermil(p)));
      s.quotas.weights = { szPermil: a ?? 0, nrAccessesPermil: b ?? 0, agePermil: c ?? 0 };
      return;
    }
    case 'goal':
      s.quotas.goals.push(parseGoal(parts, loc, forms, wrap));
      return;
    case 'wmarks': {
      if (parts.length !== 5) throw schemeInputError(loc, `expected 5 values, found ${parts.length}`, forms);
      s.watermarks.metric = parseWmarkMetric(parts[0] ?? '', loc);
      s.watermarks.intervalUs = finiteUs(wrap(() => parseTimeUs(parts[1] ?? '', 1)), loc);
      s.watermarks.highPermil = wrap(() => parsePermil(parts[2] ?? ''));
      s.watermarks.midPermil = wrap(() => parsePermil(parts[3] ?? ''));
      s.watermarks.lowPermil = wrap(() => parsePermil(parts[4] ?? ''));
      return;
    }
    case 'filter':
      s.filters.push(parseFilterWords(parts, loc, forms, wrap));
      return;
    case 'target_nid':
      s.targetNid = wrap(() => parseInteger(value));
      return;
    case 'dests':
      s.dests = parts.map((p) => {
        const [id, weight, extra] = p.split(':');
        if (id === undefined || weight === undefined || extra !== undefined) {
          throw schemeInputError(loc, `'${p}' is not <node>:<weight>`, forms);
        }
        return { id: wrap(() => parseInteger(id)), weight: wrap(() => parseInteger(weight)) };
      });
      return;
  }
}

function parseGoal(parts: string[], loc: FieldLocation, forms: string, wrap: <T>(f: () => T) => T): QuotaGoal {
  const [metricText, targetText, ...rest] = parts;
  if (metricText === undefined || targetText === undefined) throw schemeInputError(loc, 'a goal needs a metric and a target value', forms);
  if (!(QUOTA_GOAL_METRICS as readonly string[]).includes(metricText)) {
    throw schemeInputError(loc, `'${metricText}' is not a quota goal metric`, QUOTA_GOAL_METRICS.join(', '));
  }
  const metric = metricText as QuotaGoalMetric;
  const goal: QuotaGoal = { metric, targetValue: wrap(() => goalValue(metric, targetText)), currentValue: 0 };
  for (const r of rest) {
    const [k, v] = r.split('=');
    if (v === undefined) throw schemeInputError(loc, `'${r}' is not key=value`, forms);
    if (k === 'current') goal.currentValue = wrap(() => goalValue(metric, v));
    else if (k === 'nid') goal.nid = wrap(() => parseInteger(v));
    else if (k === 'path') goal.memcgPath = v;
    else throw schemeInputError(loc, `unknown goal setting '${k}'`, 'current=, nid=, path=');
  }
  return goal;
}

/** Goal values: µs for PSI, basis points for the *_bp metrics, plain numbers otherwise. */
export function goalValue(metric: QuotaGoalMetric, text: string): number {
  if (metric === 'some_mem_psi_us') {
    const v = parseTimeUs(text, 1);
    if (v === 'max') throw new ValueFormError("'max' is not a goal", TIME_FORMS);
    return v;
  }
  if (metric.endsWith('_bp')) return parseBp(text);
  const n = parseNumber(text);
  if (n === undefined) throw new ValueFormError(`'${text}' is not a number`, INTEGER_FORMS);
  return n;
}

export function parseFilterWords(words: string[], loc: FieldLocation, forms: string, wrap: <T>(f: () => T) => T): DamosFilter {
  let i = 0;
  const kind = words[i++];
  if (kind !== 'allow' && kind !== 'reject') throw schemeInputError(loc, `a filter starts with allow or reject, not '${kind ?? ''}'`, forms);
  let matching = true;
  if (words[i] === 'none') {
    matching = false;
    i++;
  }
  const typeText = words[i++] ?? '';
  if (!(FILTER_TYPES as readonly string[]).includes(typeText)) {
    throw schemeInputError(loc, `'${typeText}' is not a filter type`, FILTER_TYPES.join(', '));
  }
  const type = typeText as FilterType;
  const args = words.slice(i);
  const f: DamosFilter = { type, matching, allow: kind === 'allow' };
  const need = (n: number): void => {
    if (args.length !== n) throw schemeInputError(loc, `a ${type} filter takes ${n} argument${n === 1 ? '' : 's'}, found ${args.length}`, forms);
  };
  switch (type) {
    case 'memcg':
      need(1);
      f.memcgPath = args[0] ?? '';
      break;
    case 'addr': {
      need(2);
      const start = wrap(() => parseSize(args[0] ?? ''));
      const end = wrap(() => parseSize(args[1] ?? ''));
      f.addrStart = start === 'max' ? ULONG_MAX_F : start;
      f.addrEnd = end === 'max' ? ULONG_MAX_F : end;
      if (f.addrEnd <= f.addrStart) throw schemeInputError(loc, 'the address range is empty (end <= start)', forms);
      break;
    }
    case 'target':
      need(1);
      f.targetIdx = wrap(() => parseInteger(args[0] ?? ''));
      break;
    case 'hugepage_size': {
      need(2);
      const lo = wrap(() => parseSize(args[0] ?? ''));
      f.hugepageMin = lo === 'max' ? ULONG_MAX_F : lo;
      f.hugepageMax = wrap(() => parseSize(args[1] ?? ''));
      break;
    }
    default:
      need(0);
  }
  return f;
}

/** Checks that hold whatever the input form was. */
export function validateScheme(s: Scheme, loc: FieldLocation): void {
  if (s.targetNid !== undefined && !isMigrateAction(s.action)) {
    throw schemeInputError({ ...loc, field: 'target_nid' }, `target_nid only applies to migrate_hot and migrate_cold, not ${s.action}`);
  }
  if (s.dests.length > 0 && !isMigrateAction(s.action)) {
    throw schemeInputError({ ...loc, field: 'dests' }, `dests only apply to migrate_hot and migrate_cold, not ${s.action}`);
  }
  if (isMigrateAction(s.action) && s.targetNid === undefined && s.dests.length === 0) {
    throw schemeInputError({ ...loc, field: 'target_nid' }, `${s.action} needs a destination node`, 'target_nid=<node> or dests=<node>:<weight>,...');
  }
}

// ---------------------------------------------------------------------------------------
// Writer.

function accessBoundText(r: NrAccessesRange, v: Bound, isMin: boolean): string {
  if (v === 'max') return 'max';
  if (r.unit === 'samples') return `${formatDecimal(v)}samples`;
  if (isMin && v === 0) return 'min';
  return formatDecimal(v);
}

function ageBoundText(r: AgeRange, v: Bound, isMin: boolean): string {
  if (v === 'max') return 'max';
  if (r.unit === 'aggr_intervals') return `${formatDecimal(v)}aggrs`;
  if (isMin && v === 0) return 'min';
  return formatTimeExact(v, 'compact');
}

function sizeBoundText(v: Bound, isMin: boolean): string {
  if (isMin && v === 0) return 'min';
  return formatSizeExact(v, 'compact');
}

function msText(ms: Bound): string {
  return ms === 'max' ? 'max' : formatTimeExact(ms * 1000, 'compact');
}

function permilText(p: number): string {
  return formatDecimal(p);
}

function goalValueText(metric: QuotaGoalMetric, v: number): string {
  if (metric === 'some_mem_psi_us') return formatTimeExact(v, 'compact');
  return formatDecimal(v);
}

export function filterWords(f: DamosFilter, style: 'compact' | 'spaced'): string[] {
  const words = [f.allow ? 'allow' : 'reject'];
  if (!f.matching) words.push('none');
  words.push(f.type);
  switch (f.type) {
    case 'memcg':
      words.push(f.memcgPath ?? '');
      break;
    case 'addr':
      words.push(formatSizeExact(f.addrStart ?? 0, style), formatSizeExact(f.addrEnd ?? 0, style));
      break;
    case 'target':
      words.push(String(f.targetIdx ?? 0));
      break;
    case 'hugepage_size':
      words.push(formatSizeExact(f.hugepageMin ?? 0, style), formatSizeExact(f.hugepageMax ?? 'max', style));
      break;
    default:
      break;
  }
  return words;
}

/** One canonical line for a scheme; parsing it gives back an equal scheme. */
export function formatSchemeLine(s: Scheme): string {
  const p = s.pattern;
  const fields = [
    sizeBoundText(p.sz.min, true),
    sizeBoundText(p.sz.max, false),
    accessBoundText(p.nrAccesses, p.nrAccesses.min, true),
    accessBoundText(p.nrAccesses, p.nrAccesses.max, false),
    ageBoundText(p.age, p.age.min, true),
    ageBoundText(p.age, p.age.max, false),
    s.action,
  ];
  const q = s.quotas;
  if (s.applyIntervalUs !== 0) fields.push(`apply_interval=${formatTimeExact(s.applyIntervalUs, 'compact')}`);
  if (!quotasAreDefault(q)) {
    if (q.szBytes !== 0) fields.push(`quota_sz=${formatSizeExact(q.szBytes, 'compact')}`);
    if (q.timeMs !== 0) fields.push(`quota_ms=${msText(q.timeMs)}`);
    if (q.resetIntervalMs !== 'max') fields.push(`quota_reset=${msText(q.resetIntervalMs)}`);
    const w = q.weights;
    if (w.szPermil !== 0 || w.nrAccessesPermil !== 0 || w.agePermil !== 0) {
      fields.push(`weights=${permilText(w.szPermil)},${permilText(w.nrAccessesPermil)},${permilText(w.agePermil)}`);
    }
    for (const g of q.goals) {
      const parts = [g.metric, goalValueText(g.metric, g.targetValue)];
      if (g.currentValue !== 0) parts.push(`current=${goalValueText(g.metric, g.currentValue)}`);
      if (g.nid !== undefined) parts.push(`nid=${g.nid}`);
      if (g.memcgPath !== undefined) parts.push(`path=${g.memcgPath}`);
      fields.push(`goal=${parts.join(',')}`);
    }
  }
  const w = s.watermarks;
  if (!watermarksAreDefault(w)) {
    fields.push(`wmarks=${w.metric},${formatTimeExact(w.intervalUs, 'compact')},${permilText(w.highPermil)},${permilText(w.midPermil)},${permilText(w.lowPermil)}`);
  }
  for (const f of s.filters) fields.push(`filter=${filterWords(f, 'compact').join(',')}`);
  if (s.targetNid !== undefined) fields.push(`target_nid=${s.targetNid}`);
  if (s.dests.length > 0) fields.push(`dests=${s.dests.map((d) => `${d.id}:${d.weight}`).join(',')}`);
  return fields.join(' ');
}

export function formatSchemesText(schemes: readonly Scheme[]): string {
  return schemes.map((s) => `${formatSchemeLine(s)}\n`).join('');
}
