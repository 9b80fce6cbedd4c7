// SPDX-License-Identifier: GPL-2.0-only
/**
 * The JSON every `--json` prints follows one convention: snake_case keys (units stay in the
 * names: `start_ns`, `a_bytes`, `error_pct`), and integers that may exceed 2^53 (kernel
 * target ids) as decimal strings so no JSON reader rounds them.
 */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** A copy of `value` with snake_case keys and bigints as numbers when exact, else strings. */
export function jsonConvention(value: unknown): unknown {
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(jsonConvention);
  if (value instanceof Float64Array || value instanceof Uint32Array || value instanceof Int32Array) return Array.from(value);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[snakeCase(k)] = jsonConvention(v);
    return out;
  }
  return value;
}
