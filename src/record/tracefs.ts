// SPDX-License-Identifier: GPL-2.0-only
/**
 * A tracefs instance of our own that streams `damon:damon_aggregated` (kernel.md §3).
 *
 * An instance (`instances/damo-ts.<pid>`) has its own ring buffer, event switches, clock
 * and pid filter, so recording never changes the top-level trace settings other tools
 * use. Writes, in order: mkdir the instance; `trace_clock` = mono (so timestamps are
 * CLOCK_MONOTONIC, the clock of our snapshot times); enable damon_aggregated (and
 * damon_monitor_intervals_tune when the kernel has it); after the kdamond starts,
 * `set_event_pid` = its pid. On close: the pipe is drained and closed and the instance
 * removed with rmdir. The events are read with O_NONBLOCK on a timer, so stopping never
 * waits on a read blocked in the thread pool: the binary pages of each CPU's
 * `per_cpu/cpuN/trace_pipe_raw` when the instance describes them in a layout we decode
 * (trace_raw.ts), else the text of `trace_pipe`; DAMO_TRACE_READER=text asks for the text.
 */
import { errnoCode, errorMessage } from '../core/errors.js';
import type { Guardian } from './guardian.js';
import { readTrim, sleepMs, type KernelFs } from './kfs.js';
import { TRACE_INSTANCE_PREFIX } from './roots.js';
import { TRACE_READER_ENV } from './source_names.js';
import { decodePage, RawEventMerger, rawDamonLayout, type RawDamonLayout, type RawEvent } from './trace_raw.js';

const READ_CHUNK = 1 << 16;
/** Text read from trace_pipe in one poll at most, so a flood cannot hold the event loop. */
const MAX_TEXT_BYTES_PER_POLL = 64 << 20;
/** Pages read from one CPU in one poll at most, so a flood cannot hold the event loop. */
const MAX_PAGES_PER_POLL = 4096;

/** The per-CPU binary pipes of an instance, with their layout. */
interface RawPipes {
  layout: RawDamonLayout;
  cpus: Array<{ cpu: number; fd: number }>;
  page: Buffer;
  merger: RawEventMerger;
}

export class TraceInstance {
  readonly dir: string;
  private fd: number | null = null;
  private raw: RawPipes | null = null;
  /** Why trace_pipe_raw could not be decoded, when it was tried and failed. */
  private rawWhyNot: string | undefined;
  private created = false;
  private readonly buffer = Buffer.allocUnsafe(READ_CHUNK);
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly kfs: KernelFs,
    readonly root: string,
    private readonly guardian: Guardian,
    readonly name: string = `${TRACE_INSTANCE_PREFIX}${process.pid}`,
  ) {
    this.dir = `${root}/instances/${name}`;
  }

  /** Creates the instance and enables the events; does not start reading yet. */
  create(): void {
    this.guardian.add({ kind: 'rmdir', path: this.dir });
    this.kfs.mkdir(this.dir);
    this.created = true;
    const clocks = readTrim(this.kfs, `${this.dir}/trace_clock`) ?? '';
    if (/(^|\s|\[)mono(\]|\s|$)/.test(clocks)) this.kfs.write(`${this.dir}/trace_clock`, 'mono');
    else throw new Error(`the tracefs instance has no 'mono' trace clock (${clocks})`);
    this.kfs.write(`${this.dir}/events/damon/damon_aggregated/enable`, '1');
    if (this.kfs.exists(`${this.dir}/events/damon/damon_monitor_intervals_tune/enable`)) {
      this.kfs.write(`${this.dir}/events/damon/damon_monitor_intervals_tune/enable`, '1');
    }
    if (process.env[TRACE_READER_ENV] !== 'text') {
      try {
        this.raw = this.openRaw();
      } catch (err) {
        this.rawWhyNot = errorMessage(err);
      }
    }
    if (this.raw === null) this.fd = this.kfs.openStream(`${this.dir}/trace_pipe`);
  }

  /** Whether events come from trace_pipe_raw (readRaw) rather than trace_pipe (read). */
  get readsRaw(): boolean {
    return this.raw !== null;
  }

  /** The pipe read, for the summary line; with why the pages were not, when they were tried. */
  get readerDescription(): string {
    if (this.raw !== null) return 'trace_pipe_raw';
    return this.rawWhyNot === undefined ? 'trace_pipe' : `trace_pipe, as trace_pipe_raw cannot be decoded: ${this.rawWhyNot}`;
  }

  private openRaw(): RawPipes {
    const events = `${this.dir}/events`;
    const text = (path: string): string => {
      if (!this.kfs.exists(path)) throw new Error(`no ${path.slice(this.dir.length + 1)}`);
      return this.kfs.read(path);
    };
    const tune = `${events}/damon/damon_monitor_intervals_tune`;
    const layout = rawDamonLayout({
      headerPage: text(`${events}/header_page`),
      headerEvent: text(`${events}/header_event`),
      aggregatedFormat: text(`${events}/damon/damon_aggregated/format`),
      tuneFormat: this.kfs.exists(`${tune}/enable`) ? text(`${tune}/format`) : undefined,
    });
    const cpus = this.kfs
      .list(`${this.dir}/per_cpu`)
      .map((name) => /^cpu(\d+)$/.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    if (cpus.length === 0) throw new Error('no per_cpu/cpuN directories');
    const pipes: RawPipes = { layout, cpus: [], page: Buffer.alloc(layout.page.pageBytes), merger: new RawEventMerger() };
    try {
      for (const cpu of cpus) pipes.cpus.push({ cpu, fd: this.kfs.openStream(`${this.dir}/per_cpu/cpu${cpu}/trace_pipe_raw`) });
    } catch (err) {
      for (const { fd } of pipes.cpus) this.kfs.closeStream(fd);
      throw err;
    }
    return pipes;
  }

  /**
   * The events of every CPU's pages available now, merged in time order, up to `untilNs`
   * after `baseNs` (later ones wait for the next call; Infinity takes all). Times are ns
   * after `baseNs`, in the instance's clock.
   */
  readRaw(baseNs: bigint, untilNs: number): RawEvent[] {
    const raw = this.raw;
    if (raw === null) return [];
    const batch: RawEvent[] = [];
    for (const { cpu, fd } of raw.cpus) {
      for (let i = 0; i < MAX_PAGES_PER_POLL; i++) {
        let n: number | null;
        try {
          n = this.kfs.readStream(fd, raw.page);
        } catch (err) {
          // per_cpu lists every possible CPU; one that never came online has no buffer
          // (ring_buffer_alloc_read_page: ENODEV), and nothing to read.
          if (errnoCode(err) === 'ENODEV') break;
          throw err;
        }
        if (n === null) break;
        decodePage(raw.page, n, cpu, raw.layout, baseNs, batch);
      }
    }
    raw.merger.add(batch);
    return raw.merger.take(untilNs);
  }

  /** Limits the instance to the kdamond's events (we also filter by pid when parsing). */
  setEventPid(pid: number): void {
    if (this.kfs.exists(`${this.dir}/set_event_pid`)) this.kfs.write(`${this.dir}/set_event_pid`, String(pid));
  }

  /**
   * Everything available now, as text; '' when nothing is. One read() of trace_pipe returns
   * at most TRACE_SEQ_BUFFER_SIZE - 1 bytes (8 KiB, kernel/trace/trace.c:
   * tracing_read_pipe) however large the buffer, so a short read does not mean the pipe is
   * empty: it is read until it says EAGAIN.
   */
  read(): string {
    if (this.fd === null) return '';
    let out = '';
    for (let total = 0; total < MAX_TEXT_BYTES_PER_POLL; ) {
      const n = this.kfs.readStream(this.fd, this.buffer);
      if (n === null) break;
      out += this.decoder.decode(this.buffer.subarray(0, n), { stream: true });
      total += n;
    }
    return out;
  }

  /** Closes the pipe and removes the instance. Idempotent; returns warnings. */
  remove(): string[] {
    const warnings: string[] = [];
    if (this.fd !== null) {
      try {
        this.kfs.closeStream(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
    if (this.raw !== null) {
      for (const { fd } of this.raw.cpus) {
        try {
          this.kfs.closeStream(fd);
        } catch {
          // already closed
        }
      }
      this.raw = null;
    }
    if (!this.created) return warnings;
    // rmdir is EBUSY for a moment while a reader still holds the instance.
    for (let i = 0; ; i++) {
      try {
        this.kfs.rmdir(this.dir);
        break;
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') break;
        if (errnoCode(err) === 'EBUSY' && i < 10) {
          sleepMs(50);
          continue;
        }
        warnings.push(`could not remove the tracefs instance ${this.dir} (${errorMessage(err)}); remove it with 'rmdir ${this.dir}'`);
        break;
      }
    }
    this.created = false;
    return warnings;
  }
}

/** Removes instances left by recorders that were killed before cleaning up. */
export function removeStaleInstances(kfs: KernelFs, root: string, names: string[]): string[] {
  const notes: string[] = [];
  for (const name of names) {
    try {
      kfs.rmdir(`${root}/instances/${name}`);
      notes.push(`removed the tracefs instance ${name} left by a recorder that no longer runs`);
    } catch (err) {
      notes.push(`could not remove the stale tracefs instance ${name}: ${errorMessage(err)}`);
    }
  }
  return notes;
}
