// SPDX-License-Identifier: GPL-2.0-only
// Live `damo report access` snapshots of a running kdamond on fake DAMON sysfs: the stat
// scheme added and removed around update_schemes_tried_regions (existing schemes written back
// unchanged), an existing match-all stat scheme reused without any configuration write, and
// the regions DAMON published rendered by report access.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import type { CliIO } from '../../src/core/io.js';
import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { takeLiveSnapshot } from '../../src/record/kdamond/live_snapshot.js';
import { runStartCommand } from '../../src/record/kdamond/start_command.js';
import { runAccessCommand } from '../../src/report/access_command.js';
import type { AccessFormatOptions, RecordFilter } from '../../src/report/access_options.js';
import { parseSchemesText } from '../../src/schemes/text.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';
const tmp = fileTempDir('damo-live-snapshot-');
let kernels: FakeKernel[] = [];
let n = 0;
afterEach(() => {
  for (const k of kernels) k.close();
  kernels = [];
});

function io(): CliIO & { out: () => string } {
  const stdout = new PassThrough();
  let o = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  return { stdout, stderr: new PassThrough(), env: { DAMO_STATE_DIR: join(tmp, `run${n++}`) }, stdoutIsTTY: false, stderrIsTTY: false, columns: undefined, rows: undefined, out: () => o } as CliIO & { out: () => string };
}

function started(schemes: string): FakeKernel {
  // A long aggregation interval: the regions stay those of the first aggregation.
  const k = new FakeKernel(join(tmp, `k${n++}`), { autoTrace: false });
  kernels.push(k);
  runStartCommand(io(), k, {
    sysfsRoot: k.roots.sysfs,
    ops: 'paddr',
    intervals: { sampleUs: 5000, aggrUs: 100_000_000, opsUpdateUs: 100_000_000 },
    nrRegions: { min: 10, max: 1000 },
    targets: [{ regions: [[4096, 1 << 30]] }],
    schemes: schemes === '' ? [] : parseSchemesText(schemes, '<t>'),
  });
  return k;
}

const NO_FILTER: RecordFilter = { szRegion: undefined, accessRate: undefined, ageUs: undefined, addressRanges: undefined, snapshotSzRanges: undefined, snapshotTimeRanges: undefined, snapshotIdxRanges: undefined, temperatureRanges: undefined, temperatureWeights: [0, 100, 100] };

const rel = (k: FakeKernel, from: number): string[] => k.log.slice(from).map((op) => `${op.op} ${op.path.slice(k.roots.sysfs.length + 1)}${op.op === 'write' ? ` ${op.value}` : ''}`);

function schemeConfig(k: FakeKernel, i: number): Map<string, string> {
  const all = FakeKernel.snapshotTree(`${k.roots.sysfs}/kdamonds/0/contexts/0/schemes/${i}`);
  return new Map([...all].filter(([p]) => !/(^|\/)(stats|tried_regions)(\/|$)/.test(p)));
}

describe('live snapshot (report access without a recording)', () => {
  it('adds a stat scheme, asks for tried regions, and restores the schemes as they were', () => {
    const k = started('4K max 0 max 0s max pageout quota_sz=10M quota_reset=1s filter=reject,anon');
    const before = schemeConfig(k, 0);
    const mark = k.log.length;
    const src = takeLiveSnapshot(k, { sysfsRoot: k.roots.sysfs, kdamonds: [0], mergeRegions: true, nowNs: () => 5e18 });
    const writes = rel(k, mark);
    expect(writes[0]).toBe('write kdamonds/0/contexts/0/schemes/nr_schemes 2');
    const commit = writes.indexOf('write kdamonds/0/state commit');
    expect(writes.slice(commit, commit + 4)).toEqual([
      'write kdamonds/0/state commit',
      'write kdamonds/0/state update_schemes_stats',
      'write kdamonds/0/state update_tuned_intervals',
      'write kdamonds/0/state update_schemes_tried_regions',
    ]);
    expect(writes).toContain('write kdamonds/0/contexts/0/schemes/1/action stat');
    expect(writes).toContain('write kdamonds/0/contexts/0/schemes/1/apply_interval_us 5000');
    expect(writes.slice(commit + 4)[0]).toBe('write kdamonds/0/contexts/0/schemes/nr_schemes 1');
    expect(writes.at(-1)).toBe('write kdamonds/0/state commit');
    expect(k.read(`${k.roots.sysfs}/kdamonds/0/contexts/0/schemes/nr_schemes`).trim()).toBe('1');
    expect(schemeConfig(k, 0)).toEqual(before);
    expect(src.header.targets).toEqual([{ id: null, kdamondIdx: 0, contextIdx: 0, schemeIdx: 1 }]);
    const snap = src.perTarget[0]![0]!;
    expect(snap.starts[0]).toBe(4096);
    expect(snap.ends[snap.ends.length - 1]).toBe(1 << 30);
    expect(snap.totalBytes).toBe((1 << 30) - 4096);
    expect(snap.endNs - snap.startNs).toBe(100_000_000 * 1000);
  });

  it('reuses a stat scheme that matches every region, writing only the refresh commands', () => {
    const k = started('0 max 0 max 0s max stat');
    const mark = k.log.length;
    const src = takeLiveSnapshot(k, { sysfsRoot: k.roots.sysfs, kdamonds: [0], mergeRegions: false, nowNs: () => 5e18 });
    expect(rel(k, mark)).toEqual(['write kdamonds/0/state update_schemes_stats', 'write kdamonds/0/state update_tuned_intervals', 'write kdamonds/0/state update_schemes_tried_regions']);
    expect(src.header.targets[0]?.schemeIdx).toBe(0);
    expect(src.perTarget[0]![0]!.starts.length).toBe(10);
  });

  it('report access renders the snapshot as a record of kdamond 0 / context 0 / scheme 0', async () => {
    const k = started('');
    const src = takeLiveSnapshot(k, { sysfsRoot: k.roots.sysfs, kdamonds: [0], mergeRegions: true, nowNs: () => 5e18 });
    const o = io();
    const code = await runAccessCommand(o, { source: src, input: 'live', strict: false, rawForm: false, json: true, filter: NO_FILTER, format: { raw: false } as AccessFormatOptions });
    expect(code).toBe(0);
    const records = JSON.parse(o.out()) as Array<{ kdamond_idx: number; context_idx: number; scheme_idx: number; snapshots: unknown[] }>;
    expect(records[0]).toMatchObject({ kdamond_idx: 0, context_idx: 0, scheme_idx: 0 });
    expect(records[0]!.snapshots.length).toBe(1);
  });
});
