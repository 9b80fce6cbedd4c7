// SPDX-License-Identifier: GPL-2.0-only
/**
 * One timed run of a command in a child process, as a user runs it: wall time from the
 * parent (spawn to exit), CPU time and peak RSS from GNU time (`/usr/bin/time -f`), which
 * reads them from wait4()'s rusage of the child and the descendants it waited for. The
 * same wrapper runs our CLI and the Python damo, so both carry the same overhead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const GNU_TIME = '/usr/bin/time';
const TIMEOUT = 'timeout';
const FIGURES = 'BENCH_FIGURES maxrss_kb=%M user_s=%U sys_s=%S';

export interface Measurement {
  wall_s: number;
  /** user + system CPU seconds; null without GNU time. */
  cpu_s: number | null;
  /** peak resident set size in MB (10^6 bytes); null without GNU time. */
  peak_rss_mb: number | null;
  /** the 1-minute load average when the run started */
  load1: number;
}

let devNull: number | undefined;

export function haveGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/**
 * Runs `argv` with stdout to /dev/null; throws with the child's last stderr line when it fails.
 * With `timeout_s`, coreutils' timeout(1) runs it in its own process group and stops the
 * whole group when time is up, so no grandchild (python under the peer's wrapper, gnuplot)
 * outlives the run.
 */
export function measure(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeout_s?: number } = {}): Measurement {
  const timed = haveGnuTime() ? [GNU_TIME, '-f', FIGURES, ...argv] : argv;
  const wrapped = opts.timeout_s === undefined ? timed : [TIMEOUT, '-s', 'TERM', '-k', '10', String(Math.ceil(opts.timeout_s)), ...timed];
  const load1 = loadAverage()[0];
  // Opened for writing: the children write their whole output, as into a file.
  devNull ??= openSync('/dev/null', 'w');
  const t0 = performance.now();
  const r = spawnSync(wrapped[0] as string, wrapped.slice(1), {
    stdio: ['ignore', devNull, 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: opts.env ?? process.env,
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
  });
  const wall_s = (performance.now() - t0) / 1000;
  const stderr = r.stderr ?? '';
  if (r.error !== undefined) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
  if (opts.timeout_s !== undefined && (r.status === 124 || r.status === 137)) throw new Error(`stopped after ${Math.ceil(opts.timeout_s)} s (timeout)`);
  if (r.status !== 0) {
    const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('BENCH_FIGURES') && !l.startsWith('Command exited'));
    // A Node crash ends with its version line; the error is the line naming it.
    const last = lines.filter((l) => /Error\b|^damo:/.test(l)).pop() ?? lines.pop();
    throw new Error(`exited ${r.status ?? r.signal}: ${last ?? '(no message)'}`);
  }
  const m = /BENCH_FIGURES maxrss_kb=(\d+) user_s=([\d.]+) sys_s=([\d.]+)/.exec(stderr);
  return {
    wall_s,
    cpu_s: m === null ? null : Number(m[2]) + Number(m[3]),
    peak_rss_mb: m === null ? null : (Number(m[1]) * 1024) / 1e6,
    load1,
  };
}

export function loadAverage(): [number, number, number] {
  const f = readFileSync('/proc/loadavg', 'utf8').split(/\s+/).map(Number);
  return [f[0] ?? NaN, f[1] ?? NaN, f[2] ?? NaN];
}

export interface MachineState {
  date_utc: string;
  load_avg: [number, number, number];
  nproc: number;
  cpu_model: string;
  mem_total_gb: number;
  node_version: string;
}

export function machineState(): MachineState {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  return {
    date_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    load_avg: loadAverage(),
    nproc: availableParallelism(),
    cpu_model: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    mem_total_gb: Number(/MemTotal:\s*(\d+)/.exec(meminfo)?.[1] ?? 0) / 1024 / 1024,
    node_version: process.version,
  };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The largest value, ignoring nulls; null when there is none. */
export function maxOrNull(xs: ReadonlyArray<number | null>): number | null {
  let best: number | null = null;
  for (const x of xs) if (x !== null && (best === null || x > best)) best = x;
  return best;
}
