// SPDX-License-Identifier: GPL-2.0-only
/**
 * Opening a recording for a report: any format openTrace() knows, with its warnings and
 * notes about what the recording can and cannot tell printed on stderr.
 */
import { interruptible } from '../core/interrupts.js';
import { note, warn, type CliIO } from '../core/io.js';
import { refuseOutputsThatAreInputs, type NamedPath } from '../core/output_file.js';
import { heldListsOf, type TraceSource } from '../core/model.js';
import type { DamoJsonStreaming } from './damo/json_source.js';
import { openTrace } from './open.js';
import { withProgress } from './progress_source.js';

export interface OpenForReportOptions {
  strict: boolean;
  /**
   * The report shows where in the address space accesses happened (raw, heats); the note on
   * recordings whose access check cannot place accesses inside a mapping then says so too.
   */
  showsAddresses?: boolean;
  /**
   * Show progress of long passes on stderr (core/progress.ts). Default: when stderr is a
   * terminal and stdout is not (a report streaming to the terminal would run into it).
   */
  progress?: boolean;
  /**
   * Large damo json files are streamed pass by pass (memory flat in the file's size)
   * instead of read whole: 'grow' for reports that take one pass and targets appearing
   * during it (core/trace_walk.ts), 'passes' for those that take several and whose first
   * pass takes targets appearing during it, 'complete' for those that need every target
   * before their first pass (opening then takes a pass). With 'passes' and 'complete', the
   * first complete pass keeps the file in memory when it is not too large.
   */
  streamDamoJson?: 'grow' | 'passes' | 'complete';
  /** Files the command will write: refused before anything is read when one is this input. */
  outputs?: readonly (NamedPath | { path: string | undefined; what: string })[];
}

/**
 * How a report streams large damo json files. DAMO_JSON_IN_MEMORY_MAX_BYTES changes how
 * long a JSON text is still read whole (0 streams every file; the tests use it).
 */
function damoJsonStreaming(env: NodeJS.ProcessEnv, mode: OpenForReportOptions['streamDamoJson']): DamoJsonStreaming | undefined {
  if (mode === undefined) return undefined;
  // 'grow' reports take one pass: keeping snapshots for a next pass would only cost memory.
  const streaming: DamoJsonStreaming = mode === 'grow' ? { completeTargets: false, keptMaxRegions: 0 } : { completeTargets: mode === 'complete' };
  const text = env['DAMO_JSON_IN_MEMORY_MAX_BYTES'];
  if (text !== undefined && /^\d+$/.test(text)) streaming.inMemoryMaxBytes = Number(text);
  return streaming;
}

/**
 * Some readers only find problems while streaming (a trace cut short is noticed at its
 * end), so warnings are printed at open and again whenever a pass over the snapshots ends,
 * each one once.
 */
export async function openForReport(io: CliIO, path: string, options: OpenForReportOptions): Promise<TraceSource> {
  const outputs = (options.outputs ?? []).filter((o): o is NamedPath => o.path !== undefined);
  refuseOutputsThatAreInputs([{ path, what: 'the input' }], outputs);
  const opened0 = await openTrace(path, { strict: options.strict, env: io.env, streamDamoJson: damoJsonStreaming(io.env, options.streamDamoJson) });
  const source = withProgress(opened0, io.stderr, `reading ${path}`, options.progress ?? (io.stderrIsTTY && !io.stdoutIsTTY));
  let nrPrinted = 0;
  const printNewWarnings = (): void => {
    while (nrPrinted < source.warnings.length) warn(io, source.warnings[nrPrinted++] as string);
  };
  printNewWarnings();
  if (source.header.source === 'native-clear_refs') {
    // What the note says is measured in docs/NATIVE-ENGINE.md ("Why clear_refs missed accesses").
    note(
      io,
      `${path} was recorded with the clear_refs access check, which sees how much of each mapping ` +
        'was accessed in a sampling interval but not where' +
        (options.showsAddresses === true
          ? ': accessed bytes are shown at the start of their mapping, so addresses inside a mapping are approximate. '
          : '. ') +
        'Sizes and working sets are estimates at the granularity of a mapping: they count what was ' +
        'touched within one sampling interval, so they are low for a workload that takes longer than ' +
        'that to sweep its memory, and, on kernels that track soft-dirty bits (where the TLB is not ' +
        'flushed), for memory reached through cached translations. Record with a kernel source or ' +
        '--primitive page_idle to sample at page granularity (still an estimate: DAMON checks one page per region per sample).',
    );
  }
  const opened: TraceSource = {
    path: source.path,
    header: source.header,
    warnings: source.warnings,
    trailer: () => source.trailer(),
    snapshots() {
      // Lets SIGINT/SIGTERM end the report between snapshots (core/interrupts.ts).
      return afterPass(interruptible(source.snapshots()), printNewWarnings);
    },
  };
  // Recordings held in memory (damo's formats) keep their per-target lists for the reports;
  // a streamed damo file may come to hold them after its first pass.
  heldListsOf(source, opened);
  const columns = source.snapshotColumns?.bind(source);
  if (columns !== undefined) {
    opened.snapshotColumns = () => afterPass(interruptible(columns()), printNewWarnings);
  }
  const counts = source.snapshotCounts?.bind(source);
  if (counts !== undefined) {
    opened.snapshotCounts = () => afterPass(interruptible(counts()), printNewWarnings);
  }
  return opened;
}

/**
 * `items`, calling `done` once when the pass ends (completed, stopped early or failed). A
 * pass-through iterator, not an async generator, so it adds no promise round trip per item.
 */
function afterPass<T>(items: AsyncIterableIterator<T>, done: () => void): AsyncIterableIterator<T> {
  let ended = false;
  const end = (): void => {
    if (!ended) {
      ended = true;
      done();
    }
  };
  return {
    next(): Promise<IteratorResult<T>> {
      return items.next().then(
        (r) => {
          if (r.done === true) end();
          return r;
        },
        (err: unknown) => {
          end();
          throw err;
        },
      );
    },
    async return(value?: unknown): Promise<IteratorResult<T>> {
      try {
        if (items.return !== undefined) await items.return(value);
      } finally {
        end();
      }
      return { done: true, value: value as T };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
