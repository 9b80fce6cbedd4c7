// SPDX-License-Identifier: GPL-2.0-only
/**
 * `--label key=value`: what a label may be, and the labels of one recording (its own facts,
 * overridden by the user's labels). The CLI checks each --label with parseLabel before
 * anything runs.
 */
import { DamoError } from '../core/errors.js';
import { LABEL_COLUMNS, RESERVED_LABEL_KEYS, type LabelColumn } from './schema.js';

export interface Label {
  key: string;
  value: string;
}

/** Keys are SQL identifiers in DuckDB and Spark alike without quoting. */
const KEY_RE = /^[a-z_][a-z0-9_]{0,62}$/;
/** host and date name directories (host=web-1/date=2026-12-04): no '/', '=', spaces or '%'. */
const PATH_VALUE_RE = /^[A-Za-z0-9._-]{1,253}$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_VALUE_CHARS = 1024;

export function parseLabel(text: string): Label {
  const eq = text.indexOf('=');
  if (eq < 0) {
    throw new DamoError('E_USAGE', `--label '${text}' is not key=value`, { hint: 'e.g. --label service=web --label region=eu-west-1' });
  }
  const key = text.slice(0, eq);
  const value = text.slice(eq + 1);
  if (!KEY_RE.test(key)) {
    throw new DamoError('E_USAGE', `--label '${text}': the key '${key}' must be lower-case letters, digits and '_', starting with a letter or '_' (at most 63)`);
  }
  if (RESERVED_LABEL_KEYS.has(key)) {
    throw new DamoError('E_USAGE', `--label '${text}': '${key}' is a column of the exported tables, not a label`, {
      hint: `labels with columns of their own: ${LABEL_COLUMNS.join(', ')}; other keys go into the labels map (docs/FLEET.md)`,
    });
  }
  if (value === '') throw new DamoError('E_USAGE', `--label '${text}': the value is empty`);
  if (value.length > MAX_VALUE_CHARS) throw new DamoError('E_USAGE', `--label ${key}=...: the value is longer than ${MAX_VALUE_CHARS} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new DamoError('E_USAGE', `--label ${key}=...: the value has control characters`);
  if ((key === 'host' || key === 'date') && !PATH_VALUE_RE.test(value)) {
    throw new DamoError('E_USAGE', `--label '${text}': a ${key} names a directory (${key}=${value}), so it may only hold letters, digits, '.', '_' and '-'`);
  }
  if (key === 'date' && !isCalendarDate(value)) {
    throw new DamoError('E_USAGE', `--label '${text}': the date must be a calendar day, YYYY-MM-DD`);
  }
  return { key, value };
}

function isCalendarDate(text: string): boolean {
  if (!DATE_RE.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** Refuses the same key twice: which one should win would be a guess. */
export function checkLabels(labels: readonly Label[]): void {
  const seen = new Set<string>();
  for (const l of labels) {
    if (seen.has(l.key)) throw new DamoError('E_USAGE', `--label ${l.key} is given twice`);
    seen.add(l.key);
  }
}

export interface RecordingLabels {
  columns: Record<LabelColumn, string | null>;
  /** The other labels, in the order given. */
  extra: Label[];
}

/** The recording's own facts, then the user's labels over them. */
export function recordingLabels(facts: Record<LabelColumn, string | null>, given: readonly Label[]): RecordingLabels {
  const columns = { ...facts };
  const extra: Label[] = [];
  for (const l of given) {
    if ((LABEL_COLUMNS as readonly string[]).includes(l.key)) columns[l.key as LabelColumn] = l.value;
    else extra.push(l);
  }
  return { columns, extra };
}

/** A hostname as a directory name: characters outside [A-Za-z0-9._-] become '_'. */
export function pathSafe(value: string): string {
  const s = value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 253);
  return s === '' || s === '.' || s === '..' ? 'unknown' : s;
}
