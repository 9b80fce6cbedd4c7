// SPDX-License-Identifier: GPL-2.0-only
/**
 * Query results for people (aligned columns) and for programs (JSON): DuckDB's values made
 * plain. Integers beyond 2^53 stay exact as strings in JSON.
 */
export type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

/** DuckDB's JS values (bigint, Date, map entries) as JSON-safe values. */
export function plain(v: unknown): Plain {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) {
    // DuckDB gives a DATE as a Date at midnight UTC: show it as the day.
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (Array.isArray(v)) {
    // A MAP comes as [{key, value}, ...]: show it as an object.
    if (v.length > 0 && v.every((e) => typeof e === 'object' && e !== null && 'key' in e && 'value' in e && Object.keys(e as object).length === 2)) {
      const o: { [k: string]: Plain } = {};
      for (const e of v as Array<{ key: unknown; value: unknown }>) o[String(plain(e.key))] = plain(e.value);
      return o;
    }
    return v.map(plain);
  }
  if (typeof v === 'object') {
    const o: { [k: string]: Plain } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = plain(x);
    return o;
  }
  return String(v as string);
}

function cell(v: Plain): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return JSON.stringify(v);
}

/** Columns padded to their widest cell; numbers right-aligned, text left-aligned. */
export function formatTable(columns: readonly string[], rows: readonly Plain[][]): string {
  const cells = rows.map((r) => r.map(cell));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const right = columns.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number'));
  const fmt = (r: readonly string[]): string =>
    r
      .map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [fmt(columns), fmt(widths.map((w) => '-'.repeat(w))), ...cells.map(fmt)].join('\n') + '\n';
}
