// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo convert`: reads a recording in any format and writes it in another. The output goes
 * to a temporary file next to the destination and is renamed over it at the end, so a
 * failed conversion never leaves a half-written file. An output that is the input is refused
 * (it would destroy the input), except where the caller asks for damo's in-place rewrite
 * (`convert_record_format` without --output_file): then the input is read to the end before
 * the new file replaces it.
 */

import { DamoError } from '../core/errors.js';
import { PendingOutput, refuseOutputsThatAreInputs } from '../core/output_file.js';
import type { Snapshot, TraceSource } from '../core/model.js';
import { toolVersion } from '../core/version.js';
import { openTrace } from './open.js';
import { withProgress } from './progress_source.js';
import type { OutputFormat } from './output_formats.js';

export { formatForOutputName } from './output_formats.js';

export interface ConvertOptions {
  format: OutputFormat;
  /** File mode of the output (default 0o600: recordings reveal memory layouts). */
  mode?: number;
  strict?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Where to show progress of a long conversion (a terminal's stderr); none when absent. */
  progress?: NodeJS.WritableStream;
  /** Hears that an existing output file was replaced. */
  notify?: (message: string) => void;
  /** The output may be the input: rewrite it in place (damo's convert_record_format). */
  inPlace?: boolean;
}

export interface ConvertResult {
  inputFormat: string;
  nrTargets: number;
  nrSnapshots: number;
  nrRegions: number;
  warnings: string[];
  /** What the output format could not hold, one sentence each (empty: nothing lost). */
  dropped: string[];
}

/**
 * Counts what a format without ages, start times or intervals loses of this recording.
 * legacy and perf_script store one time per snapshot (its end): a reader takes a snapshot's
 * start to be the previous end of its target, so a snapshot that started elsewhere moves.
 */
class LossCounter {
  private nrAges = 0;
  private nrMoved = 0;
  private nrSubUs = 0;
  private readonly lastEnd = new Map<number, number>();
  private readonly firstOf = new Map<number, { startNs: number; endNs: number; n: number }>();

  add(s: Snapshot): void {
    for (let i = 0; i < s.ages.length; i++) if ((s.ages[i] as number) >= 0) this.nrAges++;
    const prev = this.lastEnd.get(s.targetIndex);
    if (prev !== undefined && Math.abs(prev - s.startNs) >= 1) this.nrMoved++;
    this.lastEnd.set(s.targetIndex, s.endNs);
    const first = this.firstOf.get(s.targetIndex);
    if (first === undefined) this.firstOf.set(s.targetIndex, { startNs: s.startNs, endNs: s.endNs, n: 1 });
    else first.n++;
    if (Math.abs(s.endNs - Math.round(s.endNs / 1000) * 1000) >= 1) this.nrSubUs++;
  }

  /**
   * Targets whose first snapshot a reader will not start where it did: damo's readers take
   * the mean snapshot length of the target back from the first end (format/damo/records.ts).
   */
  private nrFirstMoved(): number {
    let n = 0;
    for (const [t, first] of this.firstOf) {
      if (first.n < 2) continue;
      const deducedNs = first.endNs - ((this.lastEnd.get(t) as number) - first.endNs) / (first.n - 1);
      if (Math.abs(deducedNs - first.startNs) >= 1000) n++;
    }
    return n;
  }

  dropped(format: OutputFormat, header: TraceSource['header']): string[] {
    const out: string[] = [];
    if (format !== 'legacy' && format !== 'perf_script') return out;
    if (format === 'legacy' && this.nrAges > 0) out.push(`the ages of ${this.nrAges} regions (the legacy format has no ages; they read back as unknown)`);
    if (this.nrMoved > 0) {
      out.push(`the start times of ${this.nrMoved} snapshots that did not begin where the previous one ended (${format} stores one time per snapshot; a reader starts each at the previous end)`);
    }
    const nrFirst = this.nrFirstMoved();
    if (nrFirst > 0) out.push(`the start time of the first snapshot of ${nrFirst} target(s) (a reader deduces it from the mean snapshot length)`);
    if (format === 'perf_script' && this.nrSubUs > 0) out.push(`the sub-microsecond part of ${this.nrSubUs} snapshot times (perf_script prints microseconds)`);
    if (header.intervals !== null) out.push(`the monitoring intervals (${format} has no place for them)`);
    return out;
  }
}

/**
 * Our trace format stores what DAMON can produce: non-negative integer nr_accesses, and
 * ages for all regions of a snapshot or none. damo files may hold other values; fix them
 * up the way that loses least and say so.
 */
function protobufSafe(s: Snapshot, warn: (m: string) => void): Snapshot {
  const n = s.starts.length;
  let nrFix = false;
  let agesKnown = 0;
  for (let i = 0; i < n; i++) {
    const start = s.starts[i] as number;
    const end = s.ends[i] as number;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new DamoError('E_FORMAT', `a region [${start}, ${end}) cannot be stored in a damo-ts trace (addresses must be integers below 2^53, end >= start)`);
    }
    const nr = s.nrAccesses[i] as number;
    if (!Number.isInteger(nr) || nr < 0 || nr > 0xffffffff) nrFix = true;
    if ((s.ages[i] as number) >= 0) agesKnown++;
  }
  if (!nrFix && (agesKnown === 0 || agesKnown === n)) return s;
  const out: Snapshot = { ...s };
  if (nrFix) {
    warn('nr_accesses values outside 0..2^32-1 or not integers were clamped');
    out.nrAccesses = s.nrAccesses.map((v) => Math.min(0xffffffff, Math.max(0, Math.trunc(v))));
  }
  if (agesKnown !== 0 && agesKnown !== n) {
    warn('snapshots with ages for only some regions lost their ages');
    out.ages = new Float64Array(n).fill(-1);
  } else if (agesKnown === n) {
    out.ages = s.ages.map((v) => Math.min(0xffffffff, Math.trunc(v)));
  }
  return out;
}

async function writeProtobuf(src: TraceSource, path: string, mode: number, warn: (m: string) => void): Promise<void> {
  const { TraceWriter } = await import('./trace_writer.js');
  const { SEGMENT_MAX_SNAPSHOTS } = await import('./snapshot_block.js');
  const header = { ...src.header, toolVersion: src.header.toolVersion || `damo-ts ${toolVersion()}` };
  // A conversion can be redone, so snapshots are grouped into whole segments (smaller, faster).
  const writer = TraceWriter.create(path, header, { mode, snapshotsPerBlock: SEGMENT_MAX_SNAPSHOTS });
  try {
    for await (const s of src.snapshots()) writer.writeSnapshot(protobufSafe(s, warn));
    writer.close('converted');
  } catch (e) {
    writer.abandon();
    throw e;
  }
}

export async function convertTrace(inPath: string, outPath: string, opts: ConvertOptions): Promise<ConvertResult> {
  if (opts.inPlace !== true) refuseOutputsThatAreInputs([{ path: inPath, what: 'the input' }], [{ path: outPath, what: 'the output' }]);
  const opened = await openTrace(inPath, { strict: opts.strict === true, env: opts.env ?? process.env });
  const src = opts.progress === undefined ? opened : withProgress(opened, opts.progress, `converting ${inPath}`, true);
  const warnings = [...src.warnings];
  const warned = new Set<string>();
  const warn = (m: string): void => {
    if (!warned.has(m)) {
      warned.add(m);
      warnings.push(m);
    }
  };
  const pending = new PendingOutput(outPath, 'the output');
  const tmp = pending.tmp;
  const mode = opts.mode ?? 0o600;
  let nrSnapshots = 0;
  let nrRegions = 0;
  try {
    switch (opts.format) {
      case 'protobuf':
        await writeProtobuf(src, tmp, mode, warn);
        break;
      case 'json':
      case 'json_compressed': {
        const { writeDamoJson } = await import('./damo/json_writer.js');
        await writeDamoJson(src, tmp, { compressed: opts.format === 'json_compressed', mode });
        break;
      }
      case 'perf_script': {
        const { writePerfScript } = await import('./damo/perf_script_writer.js');
        await writePerfScript(src, tmp, { mode });
        break;
      }
      case 'legacy': {
        const { writeLegacy } = await import('./damo/legacy_writer.js');
        await writeLegacy(src, tmp, { mode });
        break;
      }
    }
  } catch (e) {
    await pending.abandon();
    throw pending.failure(e);
  }
  // Counted from the input before the output replaces anything (it may be the input).
  const loss = new LossCounter();
  try {
    for await (const s of src.snapshots()) {
      nrSnapshots++;
      nrRegions += s.starts.length;
      loss.add(s);
    }
  } catch (e) {
    await pending.abandon();
    throw pending.failure(e);
  }
  await pending.commit(opts.notify);
  return { inputFormat: src.header.source, nrTargets: src.header.targets.length, nrSnapshots, nrRegions, warnings, dropped: loss.dropped(opts.format, src.header) };
}
