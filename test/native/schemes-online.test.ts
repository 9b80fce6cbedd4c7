// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo schemes` with the native engine on a real process of this host: a child maps a
 * 64 MiB file (this host has no swap; clean file pages are what reclaim can drop, and read
 * twice through read(2) they start on the active LRU list) and keeps reading its first
 * 8 MiB. The engine (clear_refs primitive here) finds the idle 56 MiB, DamosCore decides,
 * and process_madvise applies:
 * - `cold`: the idle pages leave the active list (KPF_ACTIVE in /proc/kpageflags), the hot
 *   ones stay;
 * - `pageout`: the idle pages leave memory (smaps Rss, pagemap present bits), the hot ones
 *   stay, through a vaddr target whose regions also cover gaps (ENOMEM, reported).
 * "The hot ones" are those the reader really read: it logs its progress (TOUCH_LOG,
 * test/fixtures/touch_log.h), and a scheme must spare the part of the hot set it read within
 * one sampling interval of every second (clear_refs sees per sample how much of a mapping was
 * read, docs/NATIVE-ENGINE.md), which is all of it unless the machine starves the reader.
 * Needs root (pagemap PFNs, kpageflags, process_madvise on another process needs
 * CAP_SYS_NICE), process_madvise (Linux 5.10+) and a disk-backed temp directory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openProtobufTrace } from '../../src/format/trace_reader.js';
import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { nativeCapabilities } from '../../src/native/monitor.js';
import { defaultDeps } from '../../src/record/deps.js';
import type { RecordRequest } from '../../src/record/request.js';
import { record } from '../../src/record/session.js';
import { parseSchemesText } from '../../src/schemes/text.js';
import { leastTouchedPerWindow, readTouchLog } from '../fixtures/touch_log.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';

const here = dirname(fileURLToPath(import.meta.url));
const MiB = 1 << 20;
const PAGE = 4096;
// clear_refs flushes the TLB after each clear, and on this host every first read of a page
// after that costs 5-9 us (docs/NATIVE-ENGINE.md): the reader's 2,048 hot pages take
// 10-18 ms, so 20 ms samples let it read all of them in each (5 ms samples would see half).
const SAMPLE_US = 20_000;
const TMPFS_MAGIC = 0x01021994;
const isRoot = typeof process.geteuid === 'function' && process.geteuid() === 0;
const caps = nativeCapabilities({ ops: 'vaddr' });
const tmpIsTmpfs = statfsSync(tmpdir()).type === TMPFS_MAGIC;
const skipWhy = !isRoot ? 'needs root' : !caps.clear_refs.available ? caps.clear_refs.reason : tmpIsTmpfs ? `${tmpdir()} is tmpfs` : '';

let dir = '';
let exe = '';
let file = '';

async function startChild(touchLog: string): Promise<{ child: ChildProcess; start: number; end: number }> {
  const child = spawn(exe, [file, '8'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TOUCH_LOG: touchLog } });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`workload exited early (${code})`)));
  });
  const [start, end] = line.split(' ').map(Number) as [number, number];
  return { child, start, end };
}

/** Pages of [start, end) of `pid`: present, and active on the LRU (KPF_ACTIVE, bit 6). */
function pageState(pid: number, start: number, end: number): { pages: number; present: number; active: number } {
  const n = (end - start) / PAGE;
  const buf = Buffer.alloc(n * 8);
  const pm = openSync(`/proc/${pid}/pagemap`, 'r');
  readSync(pm, buf, 0, buf.length, (start / PAGE) * 8);
  closeSync(pm);
  const kf = openSync('/proc/kpageflags', 'r');
  const flags = Buffer.alloc(8);
  let present = 0;
  let active = 0;
  for (let i = 0; i < n; i++) {
    const e = buf.readBigUInt64LE(i * 8);
    if (((e >> 63n) & 1n) === 0n) continue;
    present++;
    const pfn = e & ((1n << 55n) - 1n);
    readSync(kf, flags, 0, 8, Number(pfn) * 8);
    if (((flags.readBigUInt64LE(0) >> 6n) & 1n) === 1n) active++;
  }
  closeSync(kf);
  return { pages: n, present, active };
}

function mappingRssKiB(pid: number): number {
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const at = smaps.indexOf(file);
  const m = /\nRss:\s+(\d+) kB/.exec(smaps.slice(at));
  return Number(m?.[1] ?? -1);
}

/**
 * Runs the schemes on `pid` for at least MIN_RUN_MS and until `done()` holds (checked every
 * 500 ms after that), or for MAX_RUN_S: on a loaded machine DAMON's regions take longer to
 * converge and idle regions longer to reach the schemes' minimum age, so a fixed run time
 * would test the machine's speed. The run is stopped as Ctrl-C would (exit 130).
 */
const MIN_RUN_MS = 5000;
const MAX_RUN_S = 30;

async function applySchemes(text: string, pid: number, extra: Partial<RecordRequest>, done: () => boolean): Promise<{ json: { schemes: Array<{ stats: Record<string, number>; process_madvise: { nr_calls: number; failures: Array<{ errno: string }> } }> }; stderr: string; exitCode: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (b: Buffer) => out.push(b.toString()));
  stderr.on('data', (b: Buffer) => err.push(b.toString()));
  let interrupt: ((signal: 'SIGINT') => void) | null = null;
  const deps = defaultDeps({ stdout, stderr, stderrIsTTY: false, env: process.env }, (handler) => {
    interrupt = handler;
    return () => (interrupt = null);
  });
  const t0 = Date.now();
  const poll = setInterval(() => {
    if (Date.now() - t0 >= MIN_RUN_MS && interrupt !== null && done()) interrupt('SIGINT');
  }, 500);
  const roots = { sysfs: join(dir, 'no-sysfs'), tracefs: join(dir, 'no-tracefs'), debugfs: join(dir, 'no-debugfs') };
  const r = await record(
    {
      out: null,
      outputType: 'protobuf',
      outputPermission: 0o600,
      target: { kind: 'pids', pids: [pid] },
      ops: undefined,
      regions: null,
      intervals: { sampleUs: SAMPLE_US, aggrUs: 100000, opsUpdateUs: 1000000 },
      nrRegions: { min: 10, max: 1000 },
      source: 'auto',
      primitive: 'clear_refs',
      timeoutSec: MAX_RUN_S,
      snapshotIntervalUs: undefined,
      quiet: false,
      json: true,
      roots,
      argv: ['damo', 'schemes', 'test'],
      schemes: { schemes: parseSchemesText(text, 'test.damos'), name: 'test.damos', backend: 'native', statsIntervalMs: 500 },
      ...extra,
    },
    deps,
  ).finally(() => clearInterval(poll));
  return { json: JSON.parse(out.join('')) as never, stderr: err.join(''), exitCode: r.exitCode };
}

describe.skipIf(skipWhy !== '')(`online schemes with the native engine on a real process${skipWhy === '' ? '' : ` (skipped: ${skipWhy})`}`, () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'damo-schemes-online-'));
    exe = join(dir, 'file_reader');
    execFileSync('cc', ['-O2', '-o', exe, join(here, 'fixtures/file_reader.c')]);
    file = join(dir, 'data.bin');
    const chunk = Buffer.alloc(MiB);
    for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
    const fd = openSync(file, 'w');
    for (let i = 0; i < 64; i++) writeFileSync(fd, chunk);
    closeSync(fd);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cold: the idle 56 MiB leave the active list, the hot 8 MiB stay (fvaddr on the mapping)', async () => {
    const touchLog = join(dir, 'cold.log');
    const { child, start, end } = await startChild(touchLog);
    try {
      const pid = child.pid!;
      const hotEnd = start + 8 * MiB;
      const before = { hot: pageState(pid, start, hotEnd), cold: pageState(pid, hotEnd, end) };
      // The workload made every page resident and active (read twice through read(2)).
      expect(before.cold.present).toBe(before.cold.pages);
      expect(before.cold.active / before.cold.pages).toBeGreaterThan(0.9);
      const t0 = Number(process.hrtime.bigint());
      const r = await applySchemes('4K max 0 0 1s max cold', pid, { ops: 'fvaddr', regions: [[start, end]] }, () => {
        const cold = pageState(pid, hotEnd, end);
        return cold.active / cold.pages < 0.2;
      });
      const hotSeen = leastTouchedPerWindow(readTouchLog(touchLog), t0, Number(process.hrtime.bigint()), SAMPLE_US * 1000, 1e9, 8 * MiB);

      const after = { hot: pageState(pid, start, hotEnd), cold: pageState(pid, hotEnd, end) };
      const st = r.json.schemes[0]!.stats;
      const seen = `the reader read at least ${(hotSeen / MiB).toFixed(2)} MiB of its hot 8 MiB within one sampling interval of every second`;
      console.log(`cold: cold part active ${before.cold.active} -> ${after.cold.active} of ${after.cold.pages} pages; hot part active ${before.hot.active} -> ${after.hot.active} of ${after.hot.pages}; ${seen}; stats ${JSON.stringify(st)}`);
      expect([0, 130]).toContain(r.exitCode);  // 130: stopped once the effect was reached
      expect(after.cold.active / after.cold.pages).toBeLessThan(0.2);
      // The hot part the reader really read stays (a reader that barely ran proves nothing).
      expect(hotSeen, seen).toBeGreaterThanOrEqual(256 * 1024);
      expect(after.hot.active * PAGE, seen).toBeGreaterThanOrEqual(0.8 * hotSeen);
      expect(st.nr_applied).toBeGreaterThan(0);
      expect(st.sz_applied).toBeGreaterThanOrEqual(0.8 * 56 * MiB);
      expect(st.sz_tried).toBeGreaterThanOrEqual(st.sz_applied!);
      // The exact mapping: nothing failed.
      expect(r.json.schemes[0]!.process_madvise.failures).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('pageout: the idle 56 MiB leave memory, the hot 8 MiB stay (vaddr, with a trace)', async () => {
    const touchLog = join(dir, 'pageout.log');
    const { child, start, end } = await startChild(touchLog);
    try {
      const pid = child.pid!;
      const hotEnd = start + 8 * MiB;
      const rssBefore = mappingRssKiB(pid);
      expect(rssBefore).toBe(64 * 1024);
      const out = join(dir, 'pageout.data');
      const t0 = Number(process.hrtime.bigint());
      const r = await applySchemes('4K max 0 0 1s max pageout', pid, { out }, () => mappingRssKiB(pid) <= 16 * 1024 && pageState(pid, hotEnd, end).present / ((end - hotEnd) / PAGE) < 0.1);
      const hotSeen = leastTouchedPerWindow(readTouchLog(touchLog), t0, Number(process.hrtime.bigint()), SAMPLE_US * 1000, 1e9, 8 * MiB);

      const rssAfter = mappingRssKiB(pid);
      const hot = pageState(pid, start, hotEnd);
      const cold = pageState(pid, hotEnd, end);
      const st = r.json.schemes[0]!.stats;
      const seen = `the reader read at least ${(hotSeen / MiB).toFixed(2)} MiB of its hot 8 MiB within one sampling interval of every second`;
      console.log(`pageout: mapping Rss ${rssBefore} -> ${rssAfter} KiB; cold present ${cold.present}/${cold.pages}, hot present ${hot.present}/${hot.pages}; ${seen}; stats ${JSON.stringify(st)}; failures ${JSON.stringify(r.json.schemes[0]!.process_madvise.failures.map((f) => f.errno))}`);
      expect([0, 130]).toContain(r.exitCode);  // 130: stopped once the effect was reached
      expect(rssAfter).toBeLessThanOrEqual(16 * 1024);
      expect(cold.present / cold.pages).toBeLessThan(0.1);
      expect(hotSeen, seen).toBeGreaterThanOrEqual(256 * 1024);
      expect(hot.present * PAGE, seen).toBeGreaterThanOrEqual(0.9 * hotSeen);
      expect(st.nr_applied).toBeGreaterThan(0);
      expect(st.nr_tried).toBeGreaterThanOrEqual(st.nr_applied!);
      // The trace holds the monitoring and the statistics over time.
      const trace = await openProtobufTrace(out, { strict: true });
      let nrStats = 0;
      let nrSnaps = 0;
      for await (const x of trace.records()) {
        if (x.kind === 'scheme-stats') nrStats++;
        if (x.kind === 'snapshot') nrSnaps++;
      }
      expect(trace.header.source).toBe('native-clear_refs');
      // The pageout needs regions aged 1 s, so at least 10 aggregations of 100 ms ran before
      // it; under CPU starvation aggregations stretch, so more than that is not guaranteed.
      expect(nrSnaps).toBeGreaterThanOrEqual(10);
      expect(nrStats).toBeGreaterThanOrEqual(5);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
