// SPDX-License-Identifier: GPL-2.0-only
/**
 * The recorder end to end against the fake kernel: the file it streams, how it ends
 * (target exit, timeout, SIGINT, SIGTERM, source error), what it restores, and its errors.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { DamoError } from '../../src/core/errors.js';
import type { Snapshot } from '../../src/core/model.js';
import { openTrace } from '../../src/format/open.js';
import { openProtobufTrace, type TraceRecord } from '../../src/format/trace_reader.js';
import { record } from '../../src/record/session.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';
import { baseRequest, Cleanup, fakeDeps, makeFake, sleeper, tempDir, waitFor } from '../fixtures/record/helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function outDir(): string {
  const d = tempDir('damo-record-out-');
  cleanup.add(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function readAll(path: string) {
  const trace = await openProtobufTrace(path, { strict: true });
  const records: TraceRecord[] = [];
  for await (const r of trace.records()) records.push(r);
  const snapshots = records.filter((r): r is Extract<TraceRecord, { kind: 'snapshot' }> => r.kind === 'snapshot').map((r) => r.snapshot);
  const events = records.filter((r): r is Extract<TraceRecord, { kind: 'event' }> => r.kind === 'event').map((r) => r.event);
  return { trace, snapshots, events, trailer: trace.trailer() };
}

function plain(s: Snapshot) {
  return { t: s.targetIndex, start: s.startNs, end: s.endNs, starts: [...s.starts], ends: [...s.ends], acc: [...s.nrAccesses], ages: [...s.ages] };
}

function expectRestored(fake: FakeKernel): void {
  expect(fake.read(`${fake.roots.sysfs}/kdamonds/nr_kdamonds`).trim()).toBe('0');
  expect(fake.list(`${fake.roots.sysfs}/kdamonds`)).toEqual(['nr_kdamonds']);
  expect(fake.list(`${fake.roots.tracefs}/instances`)).toEqual([]);
  expect(fake.isRunning('sysfs:0')).toBe(false);
}

describe('record() with the tracefs source', () => {
  it('records a command until it exits: every snapshot in the file, trailer, restored kernel', async () => {
    const fake = makeFake(cleanup);
    const out = join(outDir(), 'damon.data');
    const h = fakeDeps(fake);
    const r = await record(baseRequest(fake, out, { target: { kind: 'command', argv: ['sleep', '0.4'], shell: false, display: 'sleep 0.4' } }), h.deps);
    expect(r.exitCode).toBe(0);
    expect(r.summary).toMatchObject({ endReason: 'target-exit', source: 'kernel-tracefs', ops: 'vaddr', targetExit: { code: 0, signal: null } });
    const { trace, snapshots, events, trailer } = await readAll(out);
    expect(trace.header).toMatchObject({ source: 'kernel-tracefs', ops: 'vaddr', clock: 'monotonic', intervals: { sampleUs: 1000, aggrUs: 20000, opsUpdateUs: 1_000_000 } });
    expect(trace.header.targets).toHaveLength(1);
    expect(trace.header.targets[0]?.cmdline).toBe('sleep 0.4');
    // The fake emits every 20 ms, so 0.4 s gives about 20 snapshots on an idle machine and
    // fewer on a loaded one; what the test proves is that every one emitted is in the file.
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    expect(snapshots.map(plain)).toEqual(h.written.map(plain));
    // Everything the kernel emitted for our kdamond reached the file.
    expect(snapshots.map((s) => [...s.starts])).toEqual(fake.emitted.filter((e) => e.kdamondPid === 700000).map((e) => e.regions.map((x) => x.start)));
    expect(trailer).toMatchObject({ endReason: 'target-exit', nrSnapshots: snapshots.length });
    // The command's mappings (/proc/PID/maps, format/mappings.ts) and resident pages
    // (/proc/PID/pagemap, format/resident.ts) are recorded as it runs.
    expect(events.map((e) => e.kind)).toContain('mappings');
    const resident = events.filter((e) => e.kind === 'resident');
    expect(resident.length).toBeGreaterThanOrEqual(1);
    expect(resident[0]?.message).toMatch(/^[0-9a-f]+-[0-9a-f]+( [0-9a-f]+-[0-9a-f]+)*$/);
    // With each reading, its resident pages that other page tables map too (pagemap bit 56
    // clear; a forked command shares pages with its parent): written at the same times.
    const shared = events.filter((e) => e.kind === 'resident-shared');
    expect(shared.map((e) => e.timeNs)).toEqual(resident.map((e) => e.timeNs));
    expect(shared[0]?.message).toMatch(/^([0-9a-f]+-[0-9a-f]+( [0-9a-f]+-[0-9a-f]+)*)?$/);
    // And the ranges madvise refuses for pageout/cold (smaps VmFlags, format/madvise_refused.ts):
    // written once at the start (a sleeping command's mappings do not change), in the same
    // message format ([vvar] is VM_PFNMAP on x86_64 hosts; a kernel without it writes none).
    const refused = events.filter((e) => e.kind === 'madvise-refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.message).toMatch(/^([0-9a-f]+-[0-9a-f]+( [0-9a-f]+-[0-9a-f]+)*)?$/);
    // And the program images (format/program_images.ts): sleep's own at least, written once
    // since its mappings do not change.
    const images = events.filter((e) => e.kind === 'program-images');
    expect(images).toHaveLength(1);
    expect(images[0]?.message).toMatch(/^[0-9a-f]+-[0-9a-f]+( [0-9a-f]+-[0-9a-f]+)*$/);
    const others = events.filter((e) => !['mappings', 'resident', 'resident-shared', 'madvise-refused', 'program-images'].includes(e.kind));
    expect(others.map((e) => e.kind)).toEqual(['start', 'target-exit']);
    expect(others[1]?.message).toBe('the target exited with status 0');
    expectRestored(fake);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(h.stderr()).toMatch(/recorded \d+ snapshots \(\d+ regions\) of 1 target in .* with kernel DAMON \(sysfs kdamond 0 pid 700000, tracefs instance damo-ts\.\d+, trace_pipe, as trace_pipe_raw cannot be decoded: no events\/header_page\)/);
    expect(h.stderr()).toMatch(/stopped because the target exited with status 0/);
  });

  it('shows a one-line live status on a terminal, and nothing but errors with --quiet', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const h = fakeDeps(fake, { stderrIsTTY: true, statusIntervalMs: 20 });
    await record(baseRequest(fake, join(outDir(), 'tty.data'), { target: { kind: 'pids', pids: [target.pid as number] }, timeoutSec: 0.3 }), h.deps);
    // ESC is spelled out: the lint forbids control characters in regular expressions.
    const text = h.stderr().split(String.fromCharCode(27)).join('<ESC>');
    expect(text).toMatch(/\r<ESC>\[2Kdamo: recording \d+\.\d s {2}snapshots \d+ {2}regions 10 {2}working set [\d.]+ (KiB|MiB) {2}file [\d.]+ (B|KiB)/);
    // The status line is erased before the summary.
    expect(text).toMatch(/\r<ESC>\[2Kdamo: recorded \d+ snapshots/);
    const q = fakeDeps(fake, { stderrIsTTY: true, statusIntervalMs: 20 });
    await record(baseRequest(fake, join(outDir(), 'q.data'), { target: { kind: 'pids', pids: [target.pid as number] }, timeoutSec: 0.2, quiet: true }), q.deps);
    expect(q.stderr()).toBe('');
  });

  it('14.13 draws no status line while a command it started shares the terminal', async () => {
    const fake = makeFake(cleanup);
    const h = fakeDeps(fake, { stderrIsTTY: true, statusIntervalMs: 20, targetStdio: 'inherit' });
    await record(baseRequest(fake, join(outDir(), 'cmd.data'), { target: { kind: 'command', argv: ['sleep', '0.3'], shell: false, display: 'sleep 0.3' } }), h.deps);
    expect(h.stderr()).not.toContain(`${String.fromCharCode(27)}[2K`);
    expect(h.stderr()).toMatch(/recorded \d+ snapshots/);
  });

  it('stops at --timeout and leaves a pid target running', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const out = join(outDir(), 'x.data');
    const h = fakeDeps(fake);
    const r = await record(baseRequest(fake, out, { target: { kind: 'pids', pids: [target.pid as number] }, timeoutSec: 0.3, json: true }), h.deps);
    expect(r).toMatchObject({ exitCode: 0, summary: { endReason: 'timeout' } });
    expect(target.exitCode).toBeNull();
    expect(target.signalCode).toBeNull();
    expect((await readAll(out)).trailer?.endReason).toBe('timeout');
    const json = JSON.parse(h.stdout()) as { end_reason: string; nr_snapshots: number; targets: Array<{ id: string; pid: number }> };
    expect(json).toMatchObject({ end_reason: 'timeout', targets: [{ id: String(target.pid), pid: target.pid }] });
    expect(json.nr_snapshots).toBeGreaterThan(0);
    expectRestored(fake);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`finishes the file and restores on ${signal} (exit ${code}), and ends the command it started`, async () => {
      const fake = makeFake(cleanup);
      const out = join(outDir(), 'sig.data');
      const h = fakeDeps(fake);
      const p = record(baseRequest(fake, out, { target: { kind: 'command', argv: ['sleep', '30'], shell: false, display: 'sleep 30' } }), h.deps);
      await waitFor(() => h.written.length >= 3);
      h.interrupt(signal);
      const r = await p;
      expect(r.exitCode).toBe(code);
      expect(r.summary.endReason).toBe(`signal:${signal}`);
      const { trailer, events, snapshots } = await readAll(out);
      expect(trailer?.endReason).toBe(`signal:${signal}`);
      expect(events.at(-1)).toMatchObject({ kind: 'signal', message: `recording stopped by ${signal}` });
      expect(snapshots.map(plain)).toEqual(h.written.map(plain));
      expectRestored(fake);
      const pid = r.summary.targets[0]?.pid as number;
      await waitFor(() => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 3000, 'the command to end');
    });
  }

  it('ends with an error that says what failed, after finishing the file and restoring', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const out = join(outDir(), 'err.data');
    const h = fakeDeps(fake);
    const realRead = fake.readStream.bind(fake);
    let reads = 0;
    fake.readStream = (fd, buf) => {
      if (++reads > 20) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      return realRead(fd, buf);
    };
    await expect(record(baseRequest(fake, out, { target: { kind: 'pids', pids: [target.pid as number] } }), h.deps)).rejects.toMatchObject({
      code: 'E_IO',
      message: expect.stringMatching(/reading the trace pipe: EIO/),
    });
    expect((await readAll(out)).trailer?.endReason).toMatch(/^error: reading the trace pipe: EIO/);
    expectRestored(fake);
  });

  it('ends cleanly when writing the file fails (disk full): kernel restored, file readable', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const out = join(outDir(), 'full.data');
    let n = 0;
    const h = fakeDeps(fake, {
      wrapSink: (w) => ({
        writeSnapshot: (s) => {
          if (++n > 3) throw new DamoError('E_IO', `cannot write ${out}: ENOSPC: no space left on device`);
          w.writeSnapshot(s);
        },
        writeEvent: (e) => w.writeEvent(e),
        close: (r) => w.close(r),
        abandon: () => w.abandon(),
        get nrSnapshots() {
          return w.nrSnapshots;
        },
        get nrRegions() {
          return w.nrRegions;
        },
        get bytesWritten() {
          return w.bytesWritten;
        },
      }),
    });
    await expect(record(baseRequest(fake, out, { target: { kind: 'pids', pids: [target.pid as number] } }), h.deps)).rejects.toMatchObject({
      code: 'E_IO',
      message: expect.stringMatching(/writing the recording failed: cannot write .*ENOSPC/),
      hint: expect.stringMatching(/holds every snapshot up to the failure; kernel state was restored/),
    });
    expectRestored(fake);
    const trace = await openProtobufTrace(out);
    let count = 0;
    for await (const _ of trace.snapshots()) count++;
    expect(count).toBe(3);
    expect(trace.trailer()).toBeNull();
  });

  it('says the target exited before monitoring started, rather than blaming the kernel', async () => {
    const fake = makeFake(cleanup);
    const h = fakeDeps(fake);
    const child = sleeper(cleanup, 1);
    const pid = child.pid as number;
    await new Promise((r) => child.once('exit', r));
    // The kernel refuses a pid that has gone (EINVAL on 'on').
    await expect(record(baseRequest(fake, join(outDir(), 'gone.data'), { target: { kind: 'pids', pids: [pid] } }), { ...h.deps, pidAlive: () => true })).rejects.toMatchObject({
      code: 'E_TARGET',
      message: 'the target exited before monitoring could start',
    });
    expectRestored(fake);
  });

  it('renames an existing output to .old and honours --output_permission', async () => {
    const fake = makeFake(cleanup);
    const dir = outDir();
    const out = join(dir, 'damon.data');
    writeFileSync(out, 'previous recording');
    const h = fakeDeps(fake);
    await record(baseRequest(fake, out, { target: { kind: 'command', argv: ['sleep', '0.1'], shell: false, display: 'sleep 0.1' }, outputPermission: 0o644 }), h.deps);
    expect(readFileSync(`${out}.old`, 'utf8')).toBe('previous recording');
    expect(statSync(out).mode & 0o777).toBe(0o644);
  });

  it('records physical memory: the largest System RAM block from /proc/iomem', async () => {
    const fake = makeFake(cleanup);
    const out = join(outDir(), 'paddr.data');
    const h = fakeDeps(fake);
    const r = await record(baseRequest(fake, out, { timeoutSec: 0.2 }), h.deps);
    expect(r.summary.ops).toBe('paddr');
    const writes = fake.log.filter((o) => o.op === 'write').map((o) => `${o.path.slice(fake.roots.sysfs.length)}=${o.op === 'write' ? o.value : ''}`);
    const C = '/kdamonds/0/contexts/0';
    expect(writes).toContain(`${C}/operations=paddr`);
    expect(writes).not.toContain(`${C}/targets/0/pid_target=0`);
    expect(writes).toEqual(expect.arrayContaining([`${C}/targets/0/regions/nr_regions=1`, `${C}/targets/0/regions/0/start=1048576`, `${C}/targets/0/regions/0/end=${0xbffe0000}`]));
    const { trace, snapshots } = await readAll(out);
    expect(trace.header.targets).toEqual([{ id: 0n, cmdline: 'paddr' }]);
    expect(snapshots[0]?.starts[0]).toBe(1048576);
  });
});

describe('record() in damo formats', () => {
  for (const [type, first] of [
    ['json', '['],
    ['json_compressed', 'x'],
    ['perf_script', 'kdamond'],
    ['legacy', 'damon_recfmt_ver'],
  ] as const) {
    it(`--output_type ${type}: streams protobuf, converts at the end, keeps no temporary file`, async () => {
      const fake = makeFake(cleanup);
      const dir = outDir();
      const out = join(dir, `rec.${type}`);
      const h = fakeDeps(fake);
      const r = await record(baseRequest(fake, out, { outputType: type, target: { kind: 'command', argv: ['sleep', '0.3'], shell: false, display: 'sleep 0.3' } }), h.deps);
      expect(r.summary.bytes).toBe(statSync(out).size);
      expect(readFileSync(out).subarray(0, first.length).toString('latin1')).toBe(first);
      expect(existsSync(`${out}.recording`)).toBe(false);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const trace = await openTrace(out, { strict: true, env: {} });
      const starts: number[][] = [];
      for await (const s of trace.snapshots()) starts.push([...s.starts]);
      // perf_script and legacy keep what damo keeps (no ages; a fake last snapshot when
      // there is one); every recorded snapshot's regions come back.
      expect(starts.slice(0, h.written.length)).toEqual(h.written.map((s) => [...s.starts]));
      expectRestored(fake);
    });
  }
});

describe('record() safety with a kdamond that is not ours', () => {
  it('refuses, suggests --source native, and leaves every kernel file byte-identical', async () => {
    const fake = makeFake(cleanup, { foreign: [{ state: 'on', pid: 77, ops: 'paddr' }] });
    const target = sleeper(cleanup);
    const before = FakeKernel.snapshotTree(fake.dir);
    const out = join(outDir(), 'no.data');
    writeFileSync(out, 'keep me');
    const h = fakeDeps(fake);
    await expect(record(baseRequest(fake, out, { target: { kind: 'pids', pids: [target.pid as number] } }), h.deps)).rejects.toMatchObject({
      message: expect.stringMatching(/kdamond 0 \(pid 77\) is running and is not ours/),
      hint: expect.stringMatching(/--source native/),
    });
    await expect(record(baseRequest(fake, out, { source: 'tracefs', ops: 'paddr' }), h.deps)).rejects.toMatchObject({ code: 'E_BUSY' });
    expect(fake.log).toEqual([]);
    expect(FakeKernel.snapshotTree(fake.dir)).toEqual(before);
    expect(fake.isRunning('sysfs:0')).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect(existsSync(`${out}.old`)).toBe(false);
  });
});

describe('record() errors before anything is touched', () => {
  it('names a missing pid, a missing command, an unwritable output, and bad attributes', async () => {
    const fake = makeFake(cleanup);
    const h = fakeDeps(fake);
    const out = join(outDir(), 'e.data');
    await expect(record(baseRequest(fake, out, { target: { kind: 'pids', pids: [999999999] } }), h.deps)).rejects.toMatchObject({ code: 'E_NOENT', message: 'no process with pid 999999999' });
    await expect(record(baseRequest(fake, out, { target: { kind: 'command', argv: ['no-such-cmd-xyz'], shell: false, display: 'no-such-cmd-xyz' } }), h.deps)).rejects.toMatchObject({
      code: 'E_NOENT',
      message: "command not found: 'no-such-cmd-xyz' (searched PATH)",
    });
    await expect(record(baseRequest(fake, '/nonexistent-dir/x.data'), h.deps)).rejects.toMatchObject({ code: 'E_IO', message: expect.stringMatching(/directory \/nonexistent-dir does not exist/) });
    await expect(record(baseRequest(fake, outDir()), h.deps)).rejects.toMatchObject({ message: expect.stringMatching(/it is a directory/) });
    await expect(record(baseRequest(fake, out, { intervals: { sampleUs: 200_000, aggrUs: 100_000, opsUpdateUs: 1_000_000 } }), h.deps)).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(record(baseRequest(fake, out, { target: { kind: 'pids', pids: [process.pid] }, ops: 'fvaddr' }), h.deps)).rejects.toThrow(/--ops fvaddr needs the address ranges/);
    expect(fake.log).toEqual([]);
  });
});
