// SPDX-License-Identifier: GPL-2.0-only
// `damo report damon` on fake DAMON sysfs trees: byte-identical to damo 3.3.0's output for
// the same tree (test/fixtures/kdamond/README.md), the refresh commands it writes to a running
// kdamond (and nothing else), and statistics that are the ones update_schemes_stats published.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import type { CliIO } from '../../src/core/io.js';
import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { runReportDamonCommand, type ReportDamonRequest } from '../../src/record/kdamond/report_damon_command.js';
import { runStartCommand } from '../../src/record/kdamond/start_command.js';
import { parseSchemesText } from '../../src/schemes/text.js';
import { buildReportDamonTree } from '../fixtures/kdamond/report_damon_tree.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';
import { waitFor } from '../fixtures/record/helpers.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';

const tmp = fileTempDir('damo-report-damon-');
const FIXTURES = join(__dirname, '../fixtures/kdamond');
let kernels: FakeKernel[] = [];
let n = 0;

afterEach(() => {
  for (const k of kernels) k.close();
  kernels = [];
});

function run(k: FakeKernel, over: Partial<ReportDamonRequest> = {}): { code: number; out: string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const io = { stdout, stderr: new PassThrough(), env: {}, stdoutIsTTY: false, stderrIsTTY: false, columns: undefined, rows: undefined } as CliIO;
  const req: ReportDamonRequest = { sysfsRoot: k.roots.sysfs, moduleRoot: join(tmp, 'no-modules'), format: 'report', raw: false, damosStats: false, damosStatFields: null, kdamondsSummary: false, damonParams: false, omitTriedRegions: false, ...over };
  const code = runReportDamonCommand(io, k, req);
  return { code, out };
}

function tree(opts: { keepRunning?: boolean } = {}): FakeKernel {
  const k = buildReportDamonTree(join(tmp, `t${n++}`), opts);
  kernels.push(k);
  return k;
}

describe('damo report damon', () => {
  const cases: Array<[string, Partial<ReportDamonRequest>]> = [
    ['report_damon.txt', {}],
    ['report_damon.json', { format: 'json' }],
    ['report_damon_raw.txt', { raw: true }],
    ['report_damon_raw.json', { raw: true, format: 'json' }],
    ['report_damon_damos_stats.txt', { damosStats: true }],
    ['report_damon_damos_stats.json', { damosStats: true, format: 'json' }],
    ['report_damon_damos_stats_sz_tried.txt', { damosStats: true, damosStatFields: ['sz_tried'] }],
    ['report_damon_kdamonds_summary.txt', { kdamondsSummary: true }],
    ['report_damon_damon_params.txt', { damonParams: true }],
    ['report_damon_omit_damos_tried_regions.txt', { omitTriedRegions: true }],
  ];
  it.each(cases)('prints what damo 3.3.0 prints: %s', (file, over) => {
    const k = tree();
    const before = FakeKernel.snapshotTree(k.dir);
    const r = run(k, over);
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync(join(FIXTURES, file), 'utf8'));
    // A stopped kdamond is only read.
    expect(FakeKernel.snapshotTree(k.dir)).toEqual(before);
  });

  it('asks a running kdamond to refresh its stats and effective quotas, then reads them', () => {
    const k = tree({ keepRunning: true });
    const mark = k.log.length;
    const r = run(k);
    expect(r.code).toBe(0);
    const writes = k.log.slice(mark).map((op) => `${op.op} ${op.path.slice(k.roots.sysfs.length + 1)}${op.op === 'write' ? ` ${op.value}` : ''}`);
    // The fake tree has no quotas/effective_bytes (a 6.8- kernel): no effective quota update.
    expect(writes).toEqual(['write kdamonds/0/state update_tuned_intervals', 'write kdamonds/0/state update_schemes_stats']);
    expect(r.out).toContain('    state: on, pid: 700000\n');
    // The rest is what the stopped tree shows.
    expect(r.out.replace('state: on, pid: 700000', 'state: off, pid: -1')).toBe(readFileSync(join(FIXTURES, 'report_damon.txt'), 'utf8'));
  });

  it('prints the statistics update_schemes_stats published, not stale ones', async () => {
    const k = new FakeKernel(join(tmp, `live${n++}`), { autoTrace: false });
    kernels.push(k);
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: { DAMO_STATE_DIR: join(tmp, `run${n}`) } } as unknown as CliIO;
    runStartCommand(io, k, {
      sysfsRoot: k.roots.sysfs,
      ops: 'paddr',
      intervals: { sampleUs: 1000, aggrUs: 10_000, opsUpdateUs: 1_000_000 },
      nrRegions: { min: 10, max: 1000 },
      targets: [{ regions: [[4096, 1 << 30]] }],
      schemes: parseSchemesText('0 max 0 max 0s max stat\n0 max 5 max 0s max pageout', '<t>'),
    });
    await waitFor(() => k.emitted.length >= 5, 5000, 'five aggregations');
    const r = run(k, { damosStats: true, format: 'json' });
    const published = k.statsUpdates.at(-1);
    expect(published).toBeDefined();
    const got = JSON.parse(r.out) as Array<[unknown, Record<string, string>]>;
    expect(got.map(([, kv]) => [kv.nr_tried, kv.nr_applied])).toEqual(published!.stats.map((s) => [String(s.nrTried), String(s.nrApplied)]));
    expect(published!.stats[0]!.nrTried).toBeGreaterThan(0);
  });

  it('says where DAMON sysfs is missing', () => {
    const k = new FakeKernel(join(tmp, `nosysfs${n++}`), { sysfs: false });
    kernels.push(k);
    expect(() => run(k)).toThrow(/DAMON sysfs is not there .*kdamonds\/nr_kdamonds is missing/);
  });
});
