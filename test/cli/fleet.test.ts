// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo export --to parquet and damo fleet, end to end in-process: files and partitions,
 * figures checked against sums computed here from the same synthetic snapshots, bad input.
 */
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { syntheticSnapshots, writeSyntheticTrace, type SyntheticTraceSpec } from '../../src/format/synthetic.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runBin, runMain } from './helpers.js';

const dir = fileTempDir('damo-fleet-cli-');
const specA: SyntheticTraceSpec = { nrSnapshots: 80, nrRegionsPerSnapshot: 120, seed: 1 };
const specB: SyntheticTraceSpec = { nrSnapshots: 60, nrRegionsPerSnapshot: 90, seed: 2, spaceBytes: 1 << 28 };

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  if (existsSync(root)) walk(root, '');
  return out.sort();
}

/** Mean over snapshots of (wss, total) bytes, as damo export's snapshots table defines them. */
function means(spec: SyntheticTraceSpec): { wss: number; total: number } {
  let wss = 0;
  let total = 0;
  let n = 0;
  for (const s of syntheticSnapshots(spec)) {
    for (let i = 0; i < s.starts.length; i++) {
      const sz = (s.ends[i] as number) - (s.starts[i] as number);
      total += sz;
      if ((s.nrAccesses[i] as number) >= 1) wss += sz;
    }
    n++;
  }
  return { wss: wss / n, total: total / n };
}

async function query(sql: string, out: string): Promise<Array<Record<string, unknown>>> {
  const r = await runMain(['fleet', 'query', sql, out, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

describe('damo export --to parquet', () => {
  const out = join(dir, 'fleet');
  beforeAll(async () => {
    await writeSyntheticTrace(join(dir, 'a.data'), specA);
    await writeSyntheticTrace(join(dir, 'b.data'), specB);
  });

  it('writes both tables under host=/date= partitions, and says what it wrote', async () => {
    const a = await runMain(['export', '-i', join(dir, 'a.data'), '-o', out, '--to', 'parquet', '--label', 'host=web-1', '--label', 'service=web', '--label', 'date=2026-12-01']);
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(/exported .*a\.data: 80 snapshots, 9600 regions as recording [0-9a-f]{16} into .*host=web-1\/date=2026-12-01, 2 files/);
    const b = await runMain(['export', '-i', join(dir, 'b.data'), '-o', out, '--to', 'parquet', '--label', 'host=db-1', '--label', 'service=db', '--label', 'date=2026-12-02', '--weight', '10', '--compression', 'snappy']);
    expect(b.code).toBe(0);
    const f = files(out);
    expect(f.filter((x) => x.endsWith('.parquet'))).toHaveLength(4);
    // And where each input went (export_ledger.ts), outside the tables' directories.
    expect(f.filter((x) => /^_damo_exports\/[0-9a-f]{16}\.json$/.test(x))).toHaveLength(2);
    expect(f).toHaveLength(6);
    expect(f.filter((x) => x.startsWith('regions/host=web-1/date=2026-12-01/') && x.endsWith('-0000.parquet'))).toHaveLength(1);
    expect(f.filter((x) => x.startsWith('snapshots/host=db-1/date=2026-12-02/'))).toHaveLength(1);
  });

  it('holds one row per region per snapshot, with labels, partitions and weights', async () => {
    const rows = await query(
      "SELECT host, date, labels['service'] AS service, workload, source, count(*) AS n, count(DISTINCT snapshot) AS snaps, max(weight) AS w, sum(sz_bytes) AS sz FROM regions GROUP BY ALL ORDER BY host",
      out,
    );
    expect(rows).toEqual([
      { host: 'db-1', date: '2026-12-02', service: 'db', workload: 'synthetic-0', source: 'synthetic', n: 60 * 90, snaps: 60, w: 10, sz: rows[0]?.['sz'] },
      { host: 'web-1', date: '2026-12-01', service: 'web', workload: 'synthetic-0', source: 'synthetic', n: 80 * 120, snaps: 80, w: 1, sz: rows[1]?.['sz'] },
    ]);
    expect(rows[1]?.['sz']).toBe(means(specA).total * 80);
    // age_ns and the intervals follow the recording's header (100 ms aggregations, 5 ms samples)
    const r = await query('SELECT min(aggr_us) a, min(sample_us) s, min(max_nr_accesses) m, bool_and(age_ns = age_aggrs::BIGINT * 100000000) ok FROM regions', out);
    expect(r).toEqual([{ a: 100000, s: 5000, m: 20, ok: true }]);
  });

  it('writes the compression asked for, in row groups of at most 2^18 rows', async () => {
    const r = await query(
      `SELECT split_part(file_name, '/', -3) AS host, min(compression) c, max(row_group_num_rows) rg FROM parquet_metadata('${out}/regions/**/*.parquet') GROUP BY ALL ORDER BY host`,
      out,
    );
    expect(r).toEqual([
      { host: 'host=db-1', c: 'SNAPPY', rg: 5400 },
      { host: 'host=web-1', c: 'ZSTD', rg: 9600 },
    ]);
  });

  it('replaces the files of a recording exported again', async () => {
    const before = files(out);
    const a = await runMain(['export', '-i', join(dir, 'a.data'), '-o', out, '--to', 'parquet', '--label', 'host=web-1', '--label', 'service=web', '--label', 'date=2026-12-01']);
    expect(a.code).toBe(0);
    expect(files(out)).toEqual(before);
    expect(await query('SELECT count(*) AS n FROM regions', out)).toEqual([{ n: 80 * 120 + 60 * 90 }]);
  });

  it('a recording exported again under another host replaces its old files; a copy of it from another path does not', async () => {
    const relabel = join(dir, 'relabel');
    const exportA = (input: string, host: string): Promise<{ code: number; stderr: string }> =>
      runMain(['export', '-i', input, '-o', relabel, '--to', 'parquet', '--label', `host=${host}`, '--label', 'date=2026-12-01']);
    expect((await exportA(join(dir, 'a.data'), 'web-1')).code).toBe(0);
    const moved = await exportA(join(dir, 'a.data'), 'web-2');
    expect(moved.code).toBe(0);
    expect(moved.stderr).toMatch(/a\.data was exported before under host=web-1\/date=2026-12-01: removed those files, so its rows are not counted twice/);
    const parquet = (): string[] => files(relabel).filter((f) => f.endsWith('.parquet'));
    expect(parquet().filter((f) => f.includes('host=web-1'))).toEqual([]);
    expect(existsSync(join(relabel, 'regions', 'host=web-1'))).toBe(false);
    expect(parquet().filter((f) => f.includes('host=web-2'))).toHaveLength(2);
    expect(await query('SELECT host, count(*) AS n FROM regions GROUP BY host', relabel)).toEqual([{ host: 'web-2', n: 80 * 120 }]);
    // The same bytes from another path: another host's identical recording, kept beside it.
    copyFileSync(join(dir, 'a.data'), join(dir, 'a-copy.data'));
    const copy = await exportA(join(dir, 'a-copy.data'), 'web-3');
    expect(copy.code).toBe(0);
    expect(copy.stderr).not.toMatch(/exported before/);
    expect(await query('SELECT host, count(*) AS n FROM regions GROUP BY host ORDER BY host', relabel)).toEqual([
      { host: 'web-2', n: 80 * 120 },
      { host: 'web-3', n: 80 * 120 },
    ]);
  });

  it('an interrupted export removes what it wrote of the recording, and keeps its earlier export', async () => {
    const before = files(out);
    const { runExportCommand } = await import('../../src/fleet/export_command.js');
    const { PassThrough } = await import('node:stream');
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stderr.on('data', (b: Buffer) => err.push(b));
    const io = { stdout: new PassThrough(), stderr, env: process.env } as unknown as Parameters<typeof runExportCommand>[0];
    let off = 0;
    const code = await runExportCommand(io, {
      inputs: [join(dir, 'a.data')],
      outDir: out,
      labels: [
        { key: 'host', value: 'web-1' },
        { key: 'service', value: 'web' },
        { key: 'date', value: '2026-12-01' },
      ],
      weight: 1,
      compression: 'zstd',
      strict: false,
      // Ctrl-C as soon as the export listens: before its first snapshot.
      onInterrupt: (handler) => {
        handler('SIGINT');
        return () => (off += 1);
      },
    });
    expect(code).toBe(130);
    expect(off).toBe(1);
    expect(Buffer.concat(err).toString()).toMatch(/interrupted: 0 recording\(s\) exported/);
    expect(files(out)).toEqual(before);
    expect(files(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('fleet wss: weighted sums and percentiles of the recordings means', async () => {
    const r = await runMain(['fleet', 'wss', out, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, number>;
    const a = means(specA);
    const b = means(specB);
    expect(j['recordings']).toBe(2);
    expect(j['weighted_hosts']).toBe(11);
    expect(j['memory_bytes']).toBeCloseTo(a.total + 10 * b.total, 0);
    expect(j['wss_bytes']).toBeCloseTo(a.wss + 10 * b.wss, 0);
    expect(j['p0']).toBeCloseTo(Math.min(a.wss, b.wss), 3);
    expect(j['p100']).toBeCloseTo(Math.max(a.wss, b.wss), 3);
    // db-1 weighs 10 of 11: it is the median whichever is smaller
    expect(j['p50']).toBeCloseTo(b.wss, 3);
    const text = await runMain(['fleet', 'wss', out]);
    expect(text.stdout).toMatch(/^# fleet working set: 2 recordings of 2 hosts \(weighted: 11 hosts\)/);
    expect(text.stdout.trimEnd().split('\n')).toHaveLength(10);
  });

  it('fleet cold and top: cold bytes from regions idle for --min_idle', async () => {
    let cold = 0;
    let n = 0;
    for (const s of syntheticSnapshots(specA)) {
      for (let i = 0; i < s.starts.length; i++) {
        if ((s.nrAccesses[i] as number) === 0 && (s.ages[i] as number) * 100e6 >= 2e9) cold += (s.ends[i] as number) - (s.starts[i] as number);
      }
      n++;
    }
    expect(cold).toBeGreaterThan(0);
    const top = await runMain(['fleet', 'top', out, '--min_idle', '2s', '--json']);
    expect(top.code).toBe(0);
    const rows = JSON.parse(top.stdout) as Array<Record<string, number | string>>;
    const web = rows.find((r) => r['host'] === 'web-1');
    expect(web?.['cold_bytes']).toBeCloseTo(cold / n, 3);
    const byService = await runMain(['fleet', 'cold', out, '--by', 'service', '--min_idle', '2s', '--json']);
    const svc = JSON.parse(byService.stdout) as Array<Record<string, number | string>>;
    expect(svc.map((r) => r['service']).sort()).toEqual(['db', 'web']);
    expect(svc.find((r) => r['service'] === 'web')?.['cold_bytes']).toBeCloseTo(cold / n, 3);
    const text = await runMain(['fleet', 'cold', out, '--by', 'host']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^# cold memory \(not accessed for 5 s or more\) by host/);
    expect(text.stdout).toMatch(/\nweb-1 +1 +1 /);
  });

  it('fleet query: text with aligned columns and a row count', async () => {
    const r = await runMain(['fleet', 'query', 'SELECT host, count(*) AS n FROM snapshots GROUP BY host ORDER BY host', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('host    n\n-----  --\ndb-1   60\nweb-1  80\n(2 rows)\n');
  });
});

describe('bad input', () => {
  const out = join(dir, 'bad');

  it('an empty recording writes no file and says so (exit 1)', async () => {
    const empty = join(dir, 'empty.data');
    await writeSyntheticTrace(empty, { nrSnapshots: 0, nrRegionsPerSnapshot: 10 });
    const r = await runMain(['export', '-i', empty, '-o', out, '--to', 'parquet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('holds no region (an empty recording): wrote no file for it');
    expect(r.stderr).toContain('nothing exported');
    expect(files(out)).toEqual([]);
  });

  it('labels are checked before anything is read (exit 2)', async () => {
    for (const [label, why] of [
      ['service', /not key=value/],
      ['nr_accesses=1', /is a column of the exported tables/],
      ['host=a/b', /names a directory/],
    ] as const) {
      const r = await runMain(['export', '-i', join(dir, 'a.data'), '-o', out, '--to', 'parquet', '--label', label]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
    }
    const twice = await runMain(['export', '-i', join(dir, 'a.data'), '-o', out, '--to', 'parquet', '--label', 'a=1', '--label', 'a=2']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/given twice/);
    expect(files(out)).toEqual([]);
  });

  it('--to must be parquet', async () => {
    const r = await runMain(['export', '-i', join(dir, 'a.data'), '-o', out, '--to', 'csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are parquet/);
  });

  it('a query error shows the SQL position (exit 2), from the real binary', () => {
    const r = runBin(['fleet', 'query', 'SELECT host,\n  nosuch FROM snapshots', join(dir, 'fleet')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'damo: query failed at line 2, column 3: Binder error: Referenced column "nosuch" not found in FROM clause!\n  ' +
        '  nosuch FROM snapshots\n    ^\n',
    );
  });

  it('a directory without tables is named', async () => {
    writeFileSync(join(dir, 'not-a-fleet.txt'), 'x');
    const r = await runMain(['fleet', 'wss', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/holds no exported fleet tables/);
  });
});
