// SPDX-License-Identifier: GPL-2.0-only
/**
 * `report access --snapshot_damos_filter` (damo 3.3.0): DAMOS filters for the scheme damo
 * takes a live snapshot with, so the snapshot's `sz_filter_passed` counts only the bytes
 * that pass them. Reading a recording, damo parses and checks them and then changes nothing:
 * a recording's filter-passed bytes are the ones its own filters gave when it was made.
 * damo-ts reads recordings only, so it does the same and says so on stderr.
 *
 * Accepted forms are damo's: `<allow|reject|deny|block> [none] <type> [args]`, several
 * filters one after another; or the older `<type> <matching|nomatching> [args] [allow|reject]`.
 */
import { DamoError } from '../core/errors.js';
import { textToBytes, textToNr } from '../core/fmt.js';

const NO_ARG_TYPES = ['anon', 'active', 'young', 'unmapped'] as const;
/** Types with arguments, and how many they take. */
const ARG_TYPES: Record<string, number> = { memcg: 1, addr: 2, target: 1, hugepage_size: 2 };
const TYPES = [...NO_ARG_TYPES, ...Object.keys(ARG_TYPES)];
const FORMS =
  '<allow|reject> [none] <type> [<args>] (repeatable), type one of ' +
  `${TYPES.join(', ')}; memcg takes a cgroup path, addr a start and an end, target a target index, hugepage_size a min and a max size`;

export interface SnapshotDamosFilter {
  allow: boolean;
  matching: boolean;
  type: string;
  args: string[];
}

class FilterWordsError extends Error {}

function checkArgs(type: string, args: string[]): void {
  const num = (what: string, text: string, parse: (t: string) => number): number => {
    let v: number;
    try {
      v = parse(text);
    } catch {
      v = NaN;
    }
    if (!Number.isFinite(v) || v < 0) throw new FilterWordsError(`'${text}' is not ${what}`);
    return v;
  };
  if (type === 'addr') {
    const [s, e] = args.map((a) => num('an address', a, textToBytes)) as [number, number];
    if (!(s < e)) throw new FilterWordsError(`the addr range ${args.join(' ')} is empty or reversed (the start must be below the end)`);
  } else if (type === 'hugepage_size') {
    const [lo, hi] = args.map((a) => num('a size', a, textToBytes)) as [number, number];
    if (lo > hi) throw new FilterWordsError(`the hugepage_size range ${args.join(' ')} is reversed (min above max)`);
  } else if (type === 'target') {
    const v = num('a target index', args[0] as string, textToNr);
    if (!Number.isInteger(v)) throw new FilterWordsError(`'${args[0] as string}' is not a target index`);
  } else if (type === 'memcg' && (args[0] as string).trim() === '') {
    throw new FilterWordsError('the memcg path is empty');
  }
}

/** One filter in damo's current form at `words[i]`; returns it and the words it took. */
function parseV2(words: string[], i: number): [SnapshotDamosFilter, number] {
  const kind = words[i] as string;
  if (!['allow', 'reject', 'deny', 'block'].includes(kind)) throw new FilterWordsError(`a filter starts with allow or reject (or deny, block), not '${kind}'`);
  let at = i + 1;
  let matching = true;
  if (words[at] === 'none') {
    matching = false;
    at++;
  }
  const type = words[at++];
  if (type === undefined) throw new FilterWordsError(`'${words.slice(i).join(' ')}' has no filter type`);
  if (!TYPES.includes(type)) throw new FilterWordsError(`'${type}' is not a filter type`);
  const n = ARG_TYPES[type] ?? 0;
  const args = words.slice(at, at + n);
  if (args.length < n) throw new FilterWordsError(`the ${type} filter takes ${n} argument${n === 1 ? '' : 's'}, found ${args.length}`);
  checkArgs(type, args);
  return [{ allow: kind === 'allow', matching, type, args }, at + n - i];
}

/** damo's older form: `<type> <matching|nomatching> [args] [allow|pass|reject|deny|block]`. */
function parseV1(words: string[], i: number): [SnapshotDamosFilter, number] {
  const type = words[i] as string;
  if (!TYPES.includes(type)) throw new FilterWordsError(`'${type}' is not a filter type`);
  const m = words[i + 1];
  if (m !== 'matching' && m !== 'nomatching') throw new FilterWordsError(`'${type}' must be followed by matching or nomatching in the older form`);
  const n = ARG_TYPES[type] ?? 0;
  const args = words.slice(i + 2, i + 2 + n);
  if (args.length < n) throw new FilterWordsError(`the ${type} filter takes ${n} argument${n === 1 ? '' : 's'}, found ${args.length}`);
  checkArgs(type, args);
  let used = 2 + n;
  let allow = false;
  const last = words[i + used];
  if (last !== undefined && ['allow', 'pass', 'reject', 'deny', 'block'].includes(last)) {
    allow = last === 'allow' || last === 'pass';
    used++;
  }
  return [{ allow, matching: m === 'matching', type, args }, used];
}

function parseAll(words: string[], one: (w: string[], i: number) => [SnapshotDamosFilter, number]): SnapshotDamosFilter[] {
  const out: SnapshotDamosFilter[] = [];
  for (let i = 0; i < words.length; ) {
    const [f, used] = one(words, i);
    out.push(f);
    i += used;
  }
  return out;
}

/** The filters of every use of the option, or a usage error saying what is wrong. */
export function parseSnapshotDamosFilters(words: string[]): SnapshotDamosFilter[] {
  if (words.length === 0) throw new DamoError('E_USAGE', '--snapshot_damos_filter needs a filter', { hint: `give ${FORMS}` });
  try {
    return parseAll(words, parseV2);
  } catch (v2) {
    if (!(v2 instanceof FilterWordsError)) throw v2;
    try {
      return parseAll(words, parseV1);
    } catch (v1) {
      if (!(v1 instanceof FilterWordsError)) throw v1;
      // The current form's complaint is the useful one unless the words look like the older form.
      const reason = TYPES.includes(words[0] as string) ? v1.message : v2.message;
      throw new DamoError('E_USAGE', `--snapshot_damos_filter ${words.join(' ')}: ${reason}`, { hint: `give ${FORMS}` });
    }
  }
}

/** "reject anon, allow none addr 4096 8192", as damo writes filters. */
export function snapshotDamosFiltersText(filters: readonly SnapshotDamosFilter[]): string {
  return filters.map((f) => [f.allow ? 'allow' : 'reject', ...(f.matching ? [] : ['none']), f.type, ...f.args].join(' ')).join(', ');
}
