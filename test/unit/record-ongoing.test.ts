// SPDX-License-Identifier: GPL-2.0-only
// `damo record ongoing` on a fake kernel: the running kdamond (not ours) is recorded through
// our own tracefs instance, with its own configuration in the header, and nothing of DAMON
// sysfs is written; it keeps running afterwards.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { openTrace } from '../../src/format/open.js';
import { record } from '../../src/record/session.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';
import { Cleanup, baseRequest, fakeDeps, makeFake, tempDir } from '../fixtures/record/helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function outDir(): string {
  const d = tempDir('damo-ongoing-');
  cleanup.add(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('record ongoing', () => {
  it('records a running kdamond it did not start, read only, with its configuration', async () => {
    const fake = makeFake(cleanup, { foreign: [{ state: 'on', pid: 77, ops: 'paddr' }] });
    const sysfsBefore = FakeKernel.snapshotTree(fake.roots.sysfs);
    const out = join(outDir(), 'ongoing.data');
    const h = fakeDeps(fake);
    const r = await record(baseRequest(fake, out, { target: { kind: 'ongoing' }, timeoutSec: 0.6 }), h.deps);
    expect(r.exitCode).toBe(0);
    expect(r.summary.endReason).toBe('timeout');
    expect(r.summary.nrSnapshots).toBeGreaterThan(0);
    // Only our tracefs instance was made and removed; no DAMON sysfs file was written.
    expect(fake.log.filter((op) => op.path.startsWith(fake.roots.sysfs))).toEqual([]);
    expect(FakeKernel.snapshotTree(fake.roots.sysfs)).toEqual(sysfsBefore);
    expect(fake.isRunning('sysfs:0')).toBe(true);
    expect(fake.instanceDirs()).toEqual([]);
    const trace = await openTrace(out, { strict: true, env: {} });
    expect(trace.header.ops).toBe('paddr');
    expect(trace.header.intervals).toEqual({ sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 60_000_000 });
    let first: number | undefined;
    for await (const s of trace.snapshots()) first ??= s.starts[0];
    expect(first).toBe(4294967296);
    expect(h.stderr()).toMatch(/recording kdamond 0 \(pid 77\) with kernel DAMON \(running sysfs kdamond 0 pid 77, tracefs instance damo-ts\.\d+, trace_pipe, as trace_pipe_raw cannot be decoded: no events\/header_page\)/);
    expect(readFileSync(out).length).toBe(r.summary.bytes);
  });

  it("keeps the running kdamond's intervals goal in the header, and none when it has none", async () => {
    const fake = makeFake(cleanup, { foreign: [{ state: 'on', pid: 77, ops: 'paddr' }] });
    const goalDir = join(fake.roots.sysfs, 'kdamonds/0/contexts/0/monitoring_attrs/intervals/intervals_goal');
    mkdirSync(goalDir, { recursive: true });
    for (const [f, v] of [['access_bp', '400'], ['aggrs', '3'], ['min_sample_us', '5000'], ['max_sample_us', '10000000']]) writeFileSync(join(goalDir, f as string), `${v as string}\n`);
    const out = join(outDir(), 'goal.data');
    const r = await record(baseRequest(fake, out, { target: { kind: 'ongoing' }, timeoutSec: 0.3 }), fakeDeps(fake).deps);
    expect(r.exitCode).toBe(0);
    expect((await openTrace(out, { strict: true, env: {} })).header.intervalsGoal).toEqual({ accessBp: 400, aggrs: 3, minSampleUs: 5000, maxSampleUs: 10_000_000 });
    writeFileSync(join(goalDir, 'aggrs'), '0\n');
    const out2 = join(outDir(), 'nogoal.data');
    expect((await record(baseRequest(fake, out2, { target: { kind: 'ongoing' }, timeoutSec: 0.3 }), fakeDeps(fake).deps)).exitCode).toBe(0);
    expect((await openTrace(out2, { strict: true, env: {} })).header.intervalsGoal).toBeUndefined();
  });

  it('says so when no kdamond runs, before touching anything', async () => {
    const fake = makeFake(cleanup);
    const h = fakeDeps(fake);
    await expect(record(baseRequest(fake, join(outDir(), 'x.data'), { target: { kind: 'ongoing' } }), h.deps)).rejects.toMatchObject({ code: 'E_TARGET', message: expect.stringMatching(/no kdamond is running/) });
    expect(fake.log).toEqual([]);
  });

  it('refuses --source sysfs and --regions for ongoing', async () => {
    const fake = makeFake(cleanup, { foreign: [{ state: 'on', pid: 77, ops: 'paddr' }] });
    const h = fakeDeps(fake);
    await expect(record(baseRequest(fake, join(outDir(), 'x.data'), { target: { kind: 'ongoing' }, source: 'sysfs' }), h.deps)).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(record(baseRequest(fake, join(outDir(), 'y.data'), { target: { kind: 'ongoing' }, regions: [[0, 4096]] }), h.deps)).rejects.toMatchObject({ code: 'E_USAGE' });
    expect(fake.log.filter((op) => op.path.startsWith(fake.roots.sysfs))).toEqual([]);
  });
});
