// SPDX-License-Identifier: GPL-2.0-only
/**
 * The ready fleet reports, as SQL over the views (tables.ts) plus their text form. Each
 * recording counts `weight` times (schema.ts); a recording's memory, working set and cold
 * bytes are means over its snapshots, summed over its targets. Percentiles over recordings
 * are weighted: the p-th is the smallest value whose running weight reaches p% of the total.
 */
import { humanBytes } from '../core/human.js';
import { DamoError } from '../core/errors.js';
import { LABEL_COLUMNS } from './schema.js';
import { formatTable, type Plain } from './result_text.js';

export const WSS_PERCENTILES = [0, 25, 50, 75, 90, 99, 100] as const;

/** Float sums of weights in two orders may differ in the last bits. */
const EPS = '1e-9';

function weightedPercentile(value: string, p: number): string {
  if (p >= 100) return `max(${value})`;
  return `min(${value}) FILTER (WHERE cum >= ${p / 100} * tot - ${EPS} * tot)`;
}

export function wssSql(): string {
  return `WITH per_target AS (
  SELECT host, recording_id, target, max(weight) AS weight, avg(wss_bytes) AS wss, avg(total_bytes) AS total
  FROM snapshots GROUP BY host, recording_id, target),
per_recording AS (
  SELECT host, recording_id, max(weight) AS weight, sum(wss) AS wss, sum(total) AS total
  FROM per_target GROUP BY host, recording_id),
ranked AS (
  SELECT *, sum(weight) OVER (ORDER BY wss, recording_id ROWS UNBOUNDED PRECEDING) AS cum, sum(weight) OVER () AS tot
  FROM per_recording)
SELECT count(*) AS recordings, count(DISTINCT host) AS hosts, sum(weight) AS weighted_hosts,
  sum(weight * total) AS memory_bytes, sum(weight * wss) AS wss_bytes,
  ${WSS_PERCENTILES.map((p) => `${weightedPercentile('wss', p)} AS p${p}`).join(',\n  ')}
FROM ranked`;
}

/** What `--by` names: a label column, `source`, or a key of the labels map. */
export function groupExpression(by: string): string {
  if ((LABEL_COLUMNS as readonly string[]).includes(by) || by === 'source') return by;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(by)) {
    throw new DamoError('E_USAGE', `--by '${by}' is neither a label column (${[...LABEL_COLUMNS, 'source'].join(', ')}) nor a label key`);
  }
  return `labels['${by}']`;
}

function perRecordingColdSql(group: string, minIdleNs: number): string {
  return `WITH per_snapshot AS (
  SELECT ${group} AS grp, recording_id, target, snapshot, max(weight) AS weight, sum(sz_bytes) AS total,
    coalesce(sum(sz_bytes) FILTER (WHERE nr_accesses = 0 AND age_ns >= ${Math.round(minIdleNs)}), 0) AS cold
  FROM regions GROUP BY ALL),
per_target AS (
  SELECT grp, recording_id, target, max(weight) AS weight, avg(total) AS total, avg(cold) AS cold
  FROM per_snapshot GROUP BY ALL),
per_recording AS (
  SELECT grp, recording_id, max(weight) AS weight, sum(total) AS total, sum(cold) AS cold, sum(cold) / sum(total) AS share
  FROM per_target GROUP BY ALL)`;
}

export function coldSql(by: string, minIdleNs: number): string {
  return `${perRecordingColdSql(groupExpression(by), minIdleNs)},
ranked AS (
  SELECT *, sum(weight) OVER (PARTITION BY grp ORDER BY share, recording_id ROWS UNBOUNDED PRECEDING) AS cum,
    sum(weight) OVER (PARTITION BY grp) AS tot
  FROM per_recording)
SELECT grp AS "${by}", count(*) AS recordings, sum(weight) AS weighted_hosts,
  sum(weight * total) AS memory_bytes, sum(weight * cold) AS cold_bytes,
  sum(weight * cold) / sum(weight * total) AS cold_share,
  ${weightedPercentile('share', 50)} AS p50_share,
  ${weightedPercentile('share', 90)} AS p90_share,
  max(share) AS max_share
FROM ranked GROUP BY grp ORDER BY cold_bytes DESC, grp`;
}

export function topSql(minIdleNs: number, limit: number): string {
  return `${perRecordingColdSql('host', minIdleNs)}
SELECT grp AS host, count(*) AS recordings, max(weight) AS weight, avg(total) AS memory_bytes,
  avg(cold) AS cold_bytes, avg(cold) / avg(total) AS cold_share
FROM per_recording GROUP BY grp ORDER BY cold_bytes DESC, host LIMIT ${Math.floor(limit)}`;
}

// ---------------------------------------------------------------------------------------
// Text

function num(v: Plain | undefined): number {
  return typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
}

function pct(v: Plain | undefined): string {
  const x = num(v);
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '-';
}

function size(v: Plain | undefined): string {
  const x = num(v);
  return Number.isFinite(x) ? humanBytes(x) : '-';
}

export function wssText(row: Record<string, Plain>): string {
  const lines = [
    `# fleet working set: ${row['recordings']} recordings of ${row['hosts']} hosts (weighted: ${row['weighted_hosts']} hosts)`,
    `# memory ${size(row['memory_bytes'])}, working set ${size(row['wss_bytes'])} (${pct(num(row['wss_bytes']) / num(row['memory_bytes']))}), weighted sums of means over snapshots`,
    '# <percentile> <working set of one recording, weighted by recordings>',
  ];
  for (const p of WSS_PERCENTILES) lines.push(`${String(p).padStart(3)}  ${size(row[`p${p}`]).padStart(12)}`);
  return lines.join('\n') + '\n';
}

export function coldText(by: string, minIdleText: string, columns: string[], rows: Plain[][]): string {
  const at = (r: Plain[], c: string): Plain | undefined => r[columns.indexOf(c)];
  const head = [by, 'recordings', 'hosts', 'memory', 'cold', 'cold %', 'p50 %', 'p90 %', 'max %'];
  const body = rows.map((r) => [
    at(r, by) ?? '(none)',
    at(r, 'recordings') ?? 0,
    at(r, 'weighted_hosts') ?? 0,
    size(at(r, 'memory_bytes')),
    size(at(r, 'cold_bytes')),
    pct(at(r, 'cold_share')),
    pct(at(r, 'p50_share')),
    pct(at(r, 'p90_share')),
    pct(at(r, 'max_share')),
  ]);
  return `# cold memory (not accessed for ${minIdleText} or more) by ${by}; p50/p90/max: cold share of one recording, weighted\n${formatTable(head, body)}`;
}

export function topText(minIdleText: string, columns: string[], rows: Plain[][]): string {
  const at = (r: Plain[], c: string): Plain | undefined => r[columns.indexOf(c)];
  const head = ['host', 'recordings', 'weight', 'memory', 'cold', 'cold %'];
  const body = rows.map((r) => [at(r, 'host') ?? '', at(r, 'recordings') ?? 0, at(r, 'weight') ?? null, size(at(r, 'memory_bytes')), size(at(r, 'cold_bytes')), pct(at(r, 'cold_share'))]);
  return `# hosts with the most cold memory (not accessed for ${minIdleText} or more; means over a host's recordings)\n${formatTable(head, body)}`;
}
