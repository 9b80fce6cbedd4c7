// SPDX-License-Identifier: GPL-2.0-only
/**
 * Issue 14 item 5: SIGTERM and SIGINT end a heavy report within a second, with the shell's
 * exit code and no temporary file left, on a recording of 1M regions. The bound asserted is
 * looser than the goal (the machine is shared); the measured figure is printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { fileTempDir } from '../fixtures/temp_dir.js';
import { BIN, builtBinaryExists, runBin } from './helpers.js';

const dir = fileTempDir('damo-interrupts-');
const BOUND_MS = 1500;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  afterSignalMs: number | null;
  stderr: string;
}

/** Runs the CLI, sends `signal` after `delayMs`, and times how long it takes to end. */
function interrupt(argv: string[], signal: NodeJS.Signals, delayMs: number): Promise<Ended> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let sentAt: number | null = null;
    const timer = setTimeout(() => {
      sentAt = performance.now();
      child.kill(signal);
    }, delayMs);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, afterSignalMs: sentAt === null ? null : performance.now() - sentAt, stderr });
    });
  });
}

/** The wall time of the CLI running `argv` to its end, stdout to /dev/null (`report raw` here prints 350 MB). */
function wallMsAlone(argv: string[]): number {
  const devNull = openSync('/dev/null', 'w');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd: dir, stdio: ['ignore', devNull, 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  closeSync(devNull);
  expect(r.status, r.stderr).toBe(0);
  return ms;
}

describe.skipIf(!builtBinaryExists())('interrupting a heavy report', () => {
  const input = join(dir, 'big.data');

  it('14.5 SIGTERM and SIGINT end every heavy command within a second, exit 143/130, no temporary file left', async () => {
    // 20,000 snapshots of 300 regions: 6M regions, so that each command below runs for seconds
    // (on 1M regions `report wss` finished within the 900 ms before the signal on a quiet host,
    // and on 3M regions `report heatmap --output raw` did once trace format 3 came).
    const made = runBin(['synth', '-o', input, '--snapshots', '20000', '--regions', '300']);
    expect(made.status, made.stderr).toBe(0);
    // The signal must come while each command works, and how long that is depends on the
    // machine: a fixed 900 ms came after `report raw` had ended on a quiet host of 2026-12-07
    // (`node -e 0` 0.06 s), and 250 ms after `report wss`. So each command first runs once
    // without a signal (its output, if any, to another file), and the signal comes at 40 % of
    // that run's wall time, at most 900 ms in.
    const commands: [(out: string) => string[], NodeJS.Signals][] = [
      [() => ['report', 'heats', '-i', input], 'SIGTERM'],
      [() => ['report', 'raw', '-i', input], 'SIGTERM'],
      [() => ['report', 'access', '-i', input], 'SIGTERM'],
      [(out) => ['adjust', '-i', input, '--aggregate_interval', '1000000', '--output', join(dir, `adjusted${out}.data`)], 'SIGTERM'],
      [() => ['report', 'heatmap', '-i', input, '--output', 'raw'], 'SIGINT'],
      [() => ['report', 'wss', '-i', input], 'SIGTERM'],
      [(out) => ['report', 'html', '-i', input, '-o', join(dir, `page${out}.html`)], 'SIGTERM'],
      [(out) => ['convert', '-i', input, '-o', join(dir, `big${out}.json`)], 'SIGINT'],
    ];
    const measured: string[] = [];
    for (const [argvOf, signal] of commands) {
      const wholeMs = wallMsAlone(argvOf('-timing'));
      const argv = argvOf('');
      const ended = await interrupt(argv, signal, Math.min(900, Math.round(wholeMs * 0.4)));
      const what = `${argv.slice(0, 2).join(' ')} ${signal}`;
      measured.push(`${what}: ${ended.afterSignalMs?.toFixed(0) ?? 'ended first'} ms`);
      expect(ended.afterSignalMs, `${what} ended before the signal: ${ended.stderr}`).not.toBeNull();
      expect(ended.afterSignalMs as number, what).toBeLessThan(BOUND_MS);
      // A starved host may deliver the signal before node has installed damo's handlers: the
      // default action then ends it, which a shell also reports as 128 + the signal number.
      const status = ended.code ?? (ended.signal === signal ? (signal === 'SIGINT' ? 130 : 143) : null);
      expect(status, `${what}: ${ended.stderr}`).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(readdirSync(dir).filter((f) => f.includes('.tmp-')), what).toEqual([]);
    }
    console.log(`14.5 exit after the signal: ${measured.join('; ')}`);
  }, 120_000);
});

describe.skipIf(!builtBinaryExists())('synth: counts the user gives are bounded', () => {
  it('14.5 refuses a trace too large to generate, with the memory or file size it needs and the limit, writing nothing', () => {
    const out = join(dir, 'huge.data');
    const perSnapshot = runBin(['synth', '-o', out, '--regions', '1000000000']);
    expect(perSnapshot.status).toBe(2);
    expect(perSnapshot.stderr).toMatch(/--regions 1000000000 would need 44\.703 GiB of memory per snapshot; the most is 4,194,304 regions per snapshot/);
    const total = runBin(['synth', '-o', out, '--snapshots', '100000000000', '--regions', '10']);
    expect(total.status).toBe(2);
    expect(total.stderr).toMatch(/1,000,000,000,000 regions, about [0-9.]+ TiB of file .*the most is 1,073,741,824 regions/);
    expect(readdirSync(dir).filter((f) => f.startsWith('huge') || f.includes('.huge'))).toEqual([]);
  });
});
