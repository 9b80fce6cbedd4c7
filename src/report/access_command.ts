// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report access` (damo 3.3.0): the access pattern of every snapshot in one of damo's
 * styles or a user format, damo's raw text (`--raw_form`) or its JSON (`--json`).
 */
import { DamoError } from '../core/errors.js';
import { note, TextOut, type CliIO } from '../core/io.js';
import type { Snapshot, TraceSource } from '../core/model.js';
import { MemoryTraceSource } from '../format/damo/records.js';
import { openForReport } from '../format/open_for_report.js';
import { formatAccessRecords } from './access_format.js';
import type { AccessFormatOptions, RecordFilter } from './access_options.js';
import { readAccessRecords, type AccessRecord } from './access_records.js';
import { parseSnapshotDamosFilters, snapshotDamosFiltersText } from './snapshot_damos_filter.js';
import { checkFilterRanges, filterRecord, isEmptyFilter } from './record_filter.js';

export interface AccessRequest {
  input: string;
  /** Already open records (a live kdamond snapshot); `input` then only names them. */
  source?: TraceSource | undefined;
  strict: boolean;
  rawForm: boolean;
  json: boolean;
  filter: RecordFilter;
  format: AccessFormatOptions;
  /** --snapshot_damos_filter words, every use together; undefined when not given. */
  snapshotDamosFilter?: string[] | undefined;
}

/** damo's pager rule: text with more newlines than the terminal has lines gets no final newline. */
export function pagerLinesOf(io: CliIO): number {
  return io.stdoutIsTTY && io.rows !== undefined ? io.rows : 50;
}

/** The filtered records as a source again, for the raw and JSON writers. */
function sourceOf(src: TraceSource, records: AccessRecord[]): TraceSource {
  const base = src.header.baseTimeNs === 0n ? 0 : Number(src.header.baseTimeNs);
  const perTarget: Snapshot[][] = records.map((rec, t) =>
    rec.snapshots.map((s) => {
      const snap: Snapshot = {
        targetIndex: t,
        startNs: s.startNs - base,
        endNs: s.endNs - base,
        starts: s.starts,
        ends: s.ends,
        nrAccesses: s.samples,
        ages: s.ages,
        totalBytes: s.totalBytes,
      };
      if (s.szFilterPassed !== undefined) snap.szFilterPassed = s.szFilterPassed;
      if (s.sampleIntervalUs !== undefined) snap.sampleIntervalUs = s.sampleIntervalUs;
      if (s.damosStats !== undefined) snap.damosStats = s.damosStats;
      return snap;
    }),
  );
  return new MemoryTraceSource(src.path, src.header, perTarget, src.warnings);
}

export async function runAccessCommand(io: CliIO, r: AccessRequest): Promise<number> {
  if (r.snapshotDamosFilter !== undefined) {
    // Checked before the recording is read, and then, as damo 3.3.0 does on a recording, not applied.
    const filters = parseSnapshotDamosFilters(r.snapshotDamosFilter);
    if (r.source === undefined) {
      note(
        io,
        `--snapshot_damos_filter ${snapshotDamosFiltersText(filters)} changes nothing on a recording: the filters apply when a ` +
          "snapshot is taken live through DAMOS, and a recording's df-passed bytes are the ones its own scheme filters gave",
      );
    } else {
      note(
        io,
        `--snapshot_damos_filter ${snapshotDamosFiltersText(filters)} is not applied to a live snapshot by this version: ` +
          'the snapshot scheme is added without filters',
      );
    }
  }
  // The raw and JSON forms of an unfiltered recording take one pass: damo's JSON streams.
  const onePass = (r.rawForm || r.json) && isEmptyFilter(r.filter);
  let src = r.source ?? (await openForReport(io, r.input, { strict: r.strict, showsAddresses: true, ...(onePass ? { streamDamoJson: 'grow' as const } : {}) }));
  const out = new TextOut(io.stdout);
  const pagerLines = pagerLinesOf(io);
  try {
    if (r.rawForm || r.json) {
      if (!isEmptyFilter(r.filter)) {
        const records = await readAccessRecords(src);
        checkFilterRanges(records, r.filter, r.input);
        for (const rec of records) filterRecord(rec, r.filter);
        src = sourceOf(src, records);
      }
      if (r.json) {
        const { damoJsonText } = await import('../format/damo/json_writer.js');
        await damoJsonText(src, { raw: r.format.raw, pagerLines, regionUnits: src.header.intervals ?? undefined }, out);
      } else {
        const { reportRaw } = await import('./raw.js');
        await reportRaw(src, { rawNumber: r.format.raw, pagerLines }, out);
      }
      return 0;
    }
    const records = await readAccessRecords(src);
    checkFilterRanges(records, r.filter, r.input);
    for (const rec of records) filterRecord(rec, r.filter);
    if (records.length === 0) {
      await out.write(`No record in ${r.input}\n`);
      return 0;
    }
    if (records.some((rec) => rec.intervals === null)) {
      throw new DamoError(
        'E_FORMAT',
        `${r.input} has no monitoring intervals (sampling and aggregation), which every --style needs for access rates and ages; ` +
          'record with damo 3.x or damo-ts (they store them), or use --raw_form or --json, which do not need them',
      );
    }
    const newlines = await formatAccessRecords(records, r.format, (bytes) => out.writeBytes(bytes));
    if (newlines <= pagerLines) await out.write('\n');
    return 0;
  } finally {
    await out.flush();
  }
}
