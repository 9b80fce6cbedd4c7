// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo export -i REC... -o DIR --to parquet`: recordings into the fleet tables
 * (docs/FLEET.md). One embedded DuckDB writes every file; each recording is read once.
 */
import { DamoError } from '../core/errors.js';
import { humanBytes } from '../core/human.js';
import { SIGNAL_EXIT_CODES, type InterruptSignal, type OnInterrupt } from '../core/interrupts.js';
import { note, warn, type CliIO } from '../core/io.js';
import { openTrace } from '../format/open.js';
import { openDuck } from './duckdb.js';
import { exportRecording } from './export.js';
import { checkLabels, type Label } from './labels.js';
import type { Compression } from './schema.js';

export interface ExportRequest {
  inputs: string[];
  outDir: string;
  labels: Label[];
  weight: number;
  compression: Compression;
  strict: boolean;
  /**
   * Hears of Ctrl-C / SIGTERM: the recording being exported stops at its next snapshot and
   * its part files (and DuckDB's temporary directory) are removed before the exit; the
   * recordings exported before it stay. Without it, a signal ends the process at once.
   */
  onInterrupt?: OnInterrupt;
}

export async function runExportCommand(io: CliIO, r: ExportRequest): Promise<number> {
  checkLabels(r.labels);
  // One writer thread: the export is bound by reading and appending in JavaScript, and each
  // more thread buffers row groups of its own (measured on 1M regions: 344 MB peak RSS with
  // one thread, 522 MB with two, for no faster export on this 2-CPU machine).
  const duck = await openDuck({ threads: 1 });
  let exported = 0;
  const abort = new AbortController();
  let interruptedBy: InterruptSignal | null = null;
  const offInterrupt = r.onInterrupt?.((signal) => {
    interruptedBy = signal;
    abort.abort();
  });
  try {
    for (const input of r.inputs) {
      const src = await openTrace(input, { strict: r.strict, env: io.env });
      const res = await exportRecording(duck.connection, src, {
        outDir: r.outDir,
        labels: r.labels,
        weight: r.weight,
        compression: r.compression,
        signal: abort.signal,
      });
      for (const w of src.warnings) warn(io, `${input}: ${w}`);
      if (res === null) {
        note(io, `${input} holds no region (an empty recording): wrote no file for it`);
        continue;
      }
      exported += 1;
      note(
        io,
        `exported ${input}: ${res.nrSnapshots} snapshots, ${res.nrRegions} regions as recording ${res.recordingId} ` +
          `into ${r.outDir} (host=${res.host}/date=${res.date}, ${res.files.length} files, ${humanBytes(res.bytes)})`,
      );
      for (const p of res.replacedPartitions) note(io, `${input} was exported before under ${p}: removed those files, so its rows are not counted twice`);
    }
  } catch (e) {
    if (interruptedBy === null) throw e;
    note(io, `interrupted: ${exported} recording(s) exported; the one in progress was removed`);
    return SIGNAL_EXIT_CODES[interruptedBy];
  } finally {
    offInterrupt?.();
    duck.close();
  }
  if (exported === 0) {
    throw new DamoError('E_FORMAT', r.inputs.length === 1 ? `nothing exported: ${r.inputs[0]} is empty` : 'nothing exported: every recording is empty', {
      hint: 'a recording needs at least one snapshot with regions',
    });
  }
  return 0;
}
