// SPDX-License-Identifier: GPL-2.0-only
/** SQL literals for values damo puts into statements it builds (paths, labels, numbers). */

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function sqlVarcharOrNull(s: string | null): string {
  return s === null ? 'NULL::VARCHAR' : sqlString(s);
}

/** A finite number as a SQL numeric literal, or a typed NULL. */
export function sqlNumberOrNull(n: number | null, type: 'BIGINT' | 'INTEGER' | 'DOUBLE'): string {
  if (n === null || !Number.isFinite(n)) return `NULL::${type}`;
  return `${type === 'DOUBLE' ? String(n) : String(Math.round(n))}::${type}`;
}

export function sqlStringMap(entries: ReadonlyArray<{ key: string; value: string }>): string {
  if (entries.length === 0) return 'MAP {}::MAP(VARCHAR, VARCHAR)';
  return `MAP {${entries.map((e) => `${sqlString(e.key)}: ${sqlString(e.value)}`).join(', ')}}::MAP(VARCHAR, VARCHAR)`;
}
