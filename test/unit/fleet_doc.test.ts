// SPDX-License-Identifier: GPL-2.0-only
/**
 * docs/FLEET.md stays true: every column of the schema is documented, and the Spark SQL
 * examples, taken as text from the doc, run through DuckDB (damo fleet query) over a small
 * export and give the numbers computed here from the same synthetic snapshots.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/core/version.js';
import { REGIONS_COLUMNS, SNAPSHOTS_COLUMNS } from '../../src/fleet/schema.js';
import { syntheticSnapshots, writeSyntheticTrace, type SyntheticTraceSpec } from '../../src/format/synthetic.js';
import { runMain } from '../cli/helpers.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const doc = readFileSync(join(projectRoot(), 'docs/FLEET.md'), 'utf8');
const dir = fileTempDir('damo-fleet-doc-');
const out = join(dir, 'fleet');

/** The ```sql blocks of the doc's Spark section, verbatim. */
function sparkSql(): string[] {
  const start = doc.indexOf('## The same tables in Spark');
  expect(start).toBeGreaterThan(0);
  const next = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, next < 0 ? doc.length : next);
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

const specs: Record<string, SyntheticTraceSpec> = {
  web: { nrSnapshots: 100, nrRegionsPerSnapshot: 150, seed: 4 },
  db: { nrSnapshots: 70, nrRegionsPerSnapshot: 60, seed: 5, spaceBytes: 1 << 29 },
};

function truth(spec: SyntheticTraceSpec): { wss: number; total: number; cold5s: number } {
  let wss = 0;
  let total = 0;
  let cold = 0;
  let n = 0;
  for (const s of syntheticSnapshots(spec)) {
    for (let i = 0; i < s.starts.length; i++) {
      const sz = (s.ends[i] as number) - (s.starts[i] as number);
      total += sz;
      if ((s.nrAccesses[i] as number) >= 1) wss += sz;
      else if ((s.ages[i] as number) * 100e6 >= 5e9) cold += sz;
    }
    n++;
  }
  return { wss: wss / n, total: total / n, cold5s: cold / n };
}

beforeAll(async () => {
  for (const [name, spec] of Object.entries(specs)) {
    const rec = join(dir, `${name}.data`);
    await writeSyntheticTrace(rec, spec);
    const r = await runMain(['export', '-i', rec, '-o', out, '--to', 'parquet', '--label', `host=${name}-1`, '--label', `workload=${name}`, '--label', `service=${name}-svc`, '--label', 'date=2026-06-01', '--weight', name === 'db' ? '4' : '1']);
    expect(r.code).toBe(0);
  }
});

async function run(sql: string): Promise<Array<Record<string, number | string>>> {
  const r = await runMain(['fleet', 'query', sql, out, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Array<Record<string, number | string>>;
}

describe('docs/FLEET.md', () => {
  it('documents every column of both tables, and the partition columns', () => {
    for (const c of [...REGIONS_COLUMNS, ...SNAPSHOTS_COLUMNS]) expect(doc).toContain(`| \`${c.name}\` | ${c.type} |`);
    expect(doc).toContain('| `host` | VARCHAR (partition) |');
    expect(doc).toContain('| `date` | DATE (partition) |');
  });

  it('its Spark SQL examples run in DuckDB and give the right numbers', async () => {
    const [byWorkload, coldest, ...rest] = sparkSql();
    expect(rest).toEqual([]);
    const web = truth(specs['web'] as SyntheticTraceSpec);
    const db = truth(specs['db'] as SyntheticTraceSpec);

    const w = await run(byWorkload as string);
    expect(w.map((r) => r['workload'])).toEqual(web.wss > db.wss ? ['web', 'db'] : ['db', 'web']);
    for (const [name, t] of [['web', web], ['db', db]] as const) {
      const row = w.find((r) => r['workload'] === name);
      expect(row?.['recordings']).toBe(1);
      expect(row?.['wss_bytes_per_snapshot'] as number).toBeCloseTo(t.wss, 3);
      expect(row?.['memory_bytes_per_snapshot'] as number).toBeCloseTo(t.total, 3);
    }

    const c = await run(coldest as string);
    expect(c).toHaveLength(2);
    expect(web.cold5s).toBeGreaterThan(0);
    for (const [name, t] of [['web', web], ['db', db]] as const) {
      const row = c.find((r) => r['host'] === `${name}-1`);
      expect(row?.['service']).toBe(`${name}-svc`);
      expect(row?.['cold_bytes_per_snapshot'] as number).toBeCloseTo(t.cold5s, 3);
    }
  });
});
