// SPDX-License-Identifier: GPL-2.0-only
/**
 * Real signals to a real recorder process (against a fake kernel tree): Ctrl-C and SIGTERM
 * finish the file and restore the kernel (exit 130/143); SIGKILL at random moments leaves a
 * file that opens and yields every snapshot written before the kill, and the crash guardian
 * undoes the kernel changes the killed recorder could not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/core/version.js';
import { openProtobufTrace } from '../../src/format/trace_reader.js';
import type { RecordRequest } from '../../src/record/request.js';
import type { FakeKernelOptions } from '../fixtures/record/fake_kernel.js';
import { tempDir, waitFor } from '../fixtures/record/helpers.js';

const ROOT = projectRoot();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Child {
  proc: ChildProcess;
  lines: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dir: string;
  fakeDir: string;
  out: string;
}

function startChild(request: Partial<RecordRequest>, fakeOptions: FakeKernelOptions = {}): Child {
  const dir = tempDir('damo-record-sig-');
  dirs.push(dir);
  const fakeDir = join(dir, 'kernel');
  const out = join(dir, 'out.data');
  const proc = spawn(
    process.execPath,
    ['--import', join(ROOT, 'test/fixtures/record/ts_register.mjs'), join(ROOT, 'test/fixtures/record/record_child.ts'), JSON.stringify({ fakeDir, fakeOptions, out, request })],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const stderr: string[] = [];
  let buf = '';
  proc.stdout?.on('data', (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  proc.stderr?.on('data', (b: Buffer) => stderr.push(b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.once('exit', (code, signal) => res({ code, signal })));
  return { proc, lines, stderr, exited, dir, fakeDir, out };
}

function snapshotLines(c: Child): Array<{ n: number; endNs: number; nr: number; first: number }> {
  return c.lines
    .filter((l) => l.startsWith('SNAPSHOT '))
    .map((l) => {
      const [, n, endNs, nr, first] = l.split(' ');
      return { n: Number(n), endNs: Number(endNs), nr: Number(nr), first: Number(first) };
    });
}

function guardianPid(c: Child): number | null {
  const l = c.lines.find((x) => x.startsWith('GUARDIAN '));
  return l === undefined ? null : Number(l.split(' ')[1]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const SYSFS = 'sys/kernel/mm/damon/admin';

/** A command outlives a SIGKILLed recorder; end it (only the pid the trace names). */
function killTarget(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
const LONG_COMMAND: Partial<RecordRequest> = { target: { kind: 'command', argv: ['sleep', '60'], shell: false, display: 'sleep 60' } };

/** Waits until `path` opens as a trace (its header frame is complete). */
async function headerWritten(path: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (existsSync(path)) {
      try {
        await openProtobufTrace(path);
        return;
      } catch {
        // not complete yet
      }
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for the header of ${path}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('record under real signals', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal}: exit ${code}, complete file with trailer, kernel restored, guardian leaves quietly`, async () => {
      const c = startChild(LONG_COMMAND);
      await waitFor(() => snapshotLines(c).length >= 3, 20_000, 'snapshots from the child');
      c.proc.kill(signal);
      const { code: exitCode } = await c.exited;
      expect(c.stderr.join('')).not.toMatch(/internal error/);
      expect(exitCode).toBe(code);
      const trace = await openProtobufTrace(c.out, { strict: true });
      let n = 0;
      for await (const _ of trace.snapshots()) n++;
      expect(n).toBe(snapshotLines(c).length);
      expect(trace.trailer()?.endReason).toBe(`signal:${signal}`);
      expect(readFileSync(join(c.fakeDir, SYSFS, 'kdamonds/nr_kdamonds'), 'utf8').trim()).toBe('0');
      expect(existsSync(join(c.fakeDir, SYSFS, 'kdamonds/0'))).toBe(false);
      const g = guardianPid(c);
      expect(g).not.toBeNull();
      await waitFor(() => !alive(g as number), 3000, 'the guardian to exit');
    });
  }

  it('SIGKILL: the file keeps every written snapshot and the guardian stops our kdamond', async () => {
    const c = startChild(LONG_COMMAND);
    await waitFor(() => snapshotLines(c).length >= 3, 20_000, 'snapshots from the child');
    c.proc.kill('SIGKILL');
    await c.exited;
    const logged = snapshotLines(c);
    const trace = await openProtobufTrace(c.out);
    killTarget(trace.header.targets[0]?.pid);
    const got: number[] = [];
    for await (const s of trace.snapshots()) got.push(s.endNs);
    expect(got.slice(0, logged.length)).toEqual(logged.map((l) => l.endNs));
    expect(trace.trailer()).toBeNull();
    // The guardian's shell writes are plain file writes in the fake tree: it stopped the
    // kdamond whose pid was ours and wrote nr_kdamonds back to 0.
    await waitFor(() => readFileSync(join(c.fakeDir, SYSFS, 'kdamonds/nr_kdamonds'), 'utf8').trim() === '0', 5000, 'the guardian to restore');
    expect(readFileSync(join(c.fakeDir, SYSFS, 'kdamonds/0/state'), 'utf8').trim()).toBe('off');
  });

  it('SIGKILL while setting up the kernel: the guardian leaves no kdamond running or configured', async () => {
    const failures: string[] = [];
    // A process this test owns, so nothing is left behind by the killed recorders.
    const target = spawn('sleep', ['120'], { stdio: 'ignore' });
    for (let i = 0; i < 6; i++) {
      const c = startChild({ target: { kind: 'pids', pids: [target.pid as number] } });
      await waitFor(() => guardianPid(c) !== null, 20_000, 'the guardian');
      await new Promise((r) => setTimeout(r, i * 8));
      c.proc.kill('SIGKILL');
      await c.exited;
      const nr = join(c.fakeDir, SYSFS, 'kdamonds/nr_kdamonds');
      const state = join(c.fakeDir, SYSFS, 'kdamonds/0/state');
      try {
        // Not running: 'off', or no state file. An empty one is a write the SIGKILL cut in
        // half: the fake tree's files are plain files truncated on open, where sysfs takes a
        // write whole, so a real kdamond directory never shows it.
        await waitFor(() => readFileSync(nr, 'utf8').trim() === '0' && (!existsSync(state) || ['off', ''].includes(readFileSync(state, 'utf8').trim())), 5000, 'restoration');
      } catch {
        failures.push(`kill after ${i * 8} ms: nr_kdamonds=${readFileSync(nr, 'utf8').trim()} state=${existsSync(state) ? readFileSync(state, 'utf8').trim() : '-'}`);
      }
    }
    target.kill('SIGKILL');
    expect(failures).toEqual([]);
  }, 120_000);

  it('SIGKILL at 20 random moments: every file opens and yields every snapshot written before the kill', async () => {
    const runs = 20;
    const failures: string[] = [];
    // Two at a time; each waits for its recording to start, then dies at a random moment.
    for (let i = 0; i < runs; i += 2) {
      await Promise.all(
        [0, 1].map(async (j) => {
          const c = startChild(LONG_COMMAND);
          // From the moment the trace's header is complete (the recording has started): the
          // file is created a moment before its header is written, and on a loaded machine a
          // kill can land in between, leaving a file that truthfully says its header is cut.
          await headerWritten(c.out, 20_000);
          await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1000)));
          c.proc.kill('SIGKILL');
          await c.exited;
          const logged = snapshotLines(c);
          try {
            const trace = await openProtobufTrace(c.out);
            killTarget(trace.header.targets[0]?.pid);
            const got: Array<[number, number, number]> = [];
            for await (const s of trace.snapshots()) got.push([s.endNs, s.starts.length, s.starts[0] ?? -1]);
            const want = logged.map((l): [number, number, number] => [l.endNs, l.nr, l.first]);
            if (JSON.stringify(got.slice(0, want.length)) !== JSON.stringify(want)) failures.push(`run ${i + j}: file has ${got.length} snapshots, logged ${want.length} differ`);
          } catch (err) {
            failures.push(`run ${i + j}: ${(err as Error).message}`);
          }
        }),
      );
    }
    expect(failures).toEqual([]);
  }, 240_000);
});
