// SPDX-License-Identifier: GPL-2.0-only
/**
 * One recording into the two Parquet tables (schema.ts), streamed: snapshots are read one at
 * a time through the format layer's TraceSource, their regions appended to a DuckDB table in
 * vector-sized chunks, and every PART_ROWS rows that table is written out with DuckDB's
 * `COPY ... TO (FORMAT parquet)` and dropped. Memory stays at one part (plus one snapshot)
 * whatever the recording's size; a recording larger than a part becomes several files.
 *
 * The columns that are the same for every row of a recording (labels, intervals, weight)
 * are not appended per row: the COPY's SELECT adds them as constants, and Parquet stores a
 * constant column in a few bytes per row group.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import type { DuckDBAppender, DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';

import type { Snapshot, TraceSource } from '../core/model.js';
import { estimatedMemoryBandwidth, idleMsPercentiles } from './damon_stat.js';
import { runOnThisThread } from './duckdb.js';
import { earlierPartitions, recordExport } from './export_ledger.js';
import { pathSafe, recordingLabels, type Label, type RecordingLabels } from './labels.js';
import { columnsOf, PART_ROWS, ROW_GROUP_ROWS, type Compression, type FleetTable, type LabelColumn } from './schema.js';
import { sqlNumberOrNull, sqlString, sqlStringMap, sqlVarcharOrNull } from './sql_text.js';

export interface ExportOptions {
  outDir: string;
  labels: readonly Label[];
  weight: number;
  compression: Compression;
  /** Aborts the export between snapshots; what it wrote of this recording is removed. */
  signal?: AbortSignal;
}

export interface ExportResult {
  recordingId: string;
  host: string;
  date: string;
  nrSnapshots: number;
  nrRegions: number;
  files: string[];
  bytes: number;
  /** host=/date= partitions whose files of this input were replaced (it was relabelled). */
  replacedPartitions: string[];
}

/** The nr_accesses threshold of wss_bytes: damo report wss's default (acc_thres 1). */
export const WSS_MIN_NR_ACCESSES = 1;

const ID_PREFIX_BYTES = 64 * 1024;

/** recording_id: size and the first 64 KiB of the file, hashed (schema.ts). */
export async function recordingIdOf(path: string): Promise<string> {
  const fh = await openFile(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.min(ID_PREFIX_BYTES, size));
    await fh.read(buf, 0, buf.length, 0);
    return createHash('sha256').update(`${size}\n`).update(buf).digest('hex').slice(0, 16);
  } finally {
    await fh.close();
  }
}

/** The labels a recording brings itself (docs/FLEET.md, Labels). */
export function recordingFacts(src: TraceSource): Record<LabelColumn, string | null> {
  const h = src.header;
  const wallMs = h.wallStartUnixNs !== undefined ? Number(h.wallStartUnixNs / 1_000_000n) : statSync(src.path).mtimeMs;
  const cmd = h.targets[0]?.cmdline?.trim().split(/\s+/)[0];
  return {
    host: h.host?.hostname || null,
    date: new Date(wallMs).toISOString().slice(0, 10),
    kernel: h.host?.kernelRelease || null,
    workload: cmd ? basename(cmd) : null,
    cgroup: null,
  };
}

interface Recording {
  id: string;
  labels: RecordingLabels;
  src: TraceSource;
  opts: ExportOptions;
  dirs: Record<FleetTable, string>;
}

/** The SELECT list that turns a buffer table into one table's columns, in schema order. */
function selectList(table: FleetTable, rec: Recording): string {
  const h = rec.src.header;
  const iv = h.intervals;
  const maxNr = iv !== null && iv.sampleUs > 0 ? Math.floor(iv.aggrUs / iv.sampleUs) : null;
  const pids = h.targets.map((t) => (t.pid === undefined ? 'NULL' : String(t.pid)));
  const c = rec.labels.columns;
  const expr: Record<string, string> = {
    recording_id: sqlString(rec.id),
    kernel: sqlVarcharOrNull(c.kernel),
    workload: sqlVarcharOrNull(c.workload),
    cgroup: sqlVarcharOrNull(c.cgroup),
    labels: sqlStringMap(rec.labels.extra),
    source: sqlString(h.source),
    weight: sqlNumberOrNull(rec.opts.weight, 'DOUBLE'),
    target: 'target',
    pid: pids.length === 0 ? 'NULL::INTEGER' : `([${pids.join(', ')}]::INTEGER[])[target + 1]`,
    snapshot: 'snapshot',
    snapshot_start_ns: 'round(snapshot_start_ns)::BIGINT',
    snapshot_end_ns: 'round(snapshot_end_ns)::BIGINT',
    sample_us: sqlNumberOrNull(iv?.sampleUs ?? null, 'BIGINT'),
    aggr_us: sqlNumberOrNull(iv?.aggrUs ?? null, 'BIGINT'),
    max_nr_accesses: sqlNumberOrNull(maxNr, 'INTEGER'),
    // regions
    start_addr: 'start_addr::BIGINT',
    end_addr: 'end_addr::BIGINT',
    sz_bytes: '(end_addr - start_addr)::BIGINT',
    nr_accesses: 'nr_accesses',
    age_aggrs: 'age_aggrs',
    age_ns: iv === null ? 'NULL::BIGINT' : `age_aggrs::BIGINT * ${Math.round(iv.aggrUs * 1000)}`,
    // snapshots
    recording_start_unix_ns: h.wallStartUnixNs === undefined ? 'NULL::BIGINT' : `${h.wallStartUnixNs}::BIGINT`,
    nr_regions: 'nr_regions',
    total_bytes: 'total_bytes::BIGINT',
    wss_bytes: 'wss_bytes::BIGINT',
    wss_min_nr_accesses: `${WSS_MIN_NR_ACCESSES}::INTEGER`,
    idle_ms_percentiles: 'idle_ms_percentiles::BIGINT[]',
    estimated_memory_bandwidth: 'estimated_memory_bandwidth::BIGINT',
  };
  return columnsOf(table)
    .map((col) => {
      const e = expr[col.name];
      if (e === undefined) throw new Error(`no export expression for ${table}.${col.name}`);
      return `${e} AS ${col.name}`;
    })
    .join(',\n  ');
}

const BUFFER_COLUMNS: Record<FleetTable, string> = {
  regions:
    'target INTEGER, snapshot INTEGER, snapshot_start_ns DOUBLE, snapshot_end_ns DOUBLE, ' +
    'start_addr DOUBLE, end_addr DOUBLE, nr_accesses INTEGER, age_aggrs INTEGER',
  snapshots:
    'target INTEGER, snapshot INTEGER, snapshot_start_ns DOUBLE, snapshot_end_ns DOUBLE, nr_regions INTEGER, ' +
    'total_bytes DOUBLE, wss_bytes DOUBLE, idle_ms_percentiles DOUBLE[], estimated_memory_bandwidth DOUBLE',
};

/** A buffer table, its appender and the rows it holds since the last part was written. */
class PartBuffer {
  private appender: DuckDBAppender | undefined;
  rows = 0;
  part = 0;
  readonly files: string[] = [];

  constructor(
    private readonly db: DuckDBConnection,
    private readonly table: FleetTable,
    private readonly rec: Recording,
  ) {}

  private get name(): string {
    return `buf_${this.table}`;
  }

  async open(): Promise<DuckDBAppender> {
    if (this.appender === undefined) {
      await runOnThisThread(this.db, `CREATE OR REPLACE TABLE ${this.name} (${BUFFER_COLUMNS[this.table]})`);
      this.appender = await this.db.createAppender(this.name);
    }
    return this.appender;
  }

  /** Writes the rows held so far as the next part file and empties the buffer. */
  async writePart(): Promise<void> {
    if (this.appender === undefined) return;
    this.appender.flushSync();
    this.appender.closeSync();
    this.appender = undefined;
    if (this.rows > 0) {
      const dir = this.rec.dirs[this.table];
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${this.rec.id}-${String(this.part).padStart(4, '0')}.parquet`);
      const tmp = `${file}.tmp`;
      await runOnThisThread(
        this.db,
        `COPY (SELECT\n  ${selectList(this.table, this.rec)}\nFROM ${this.name}) TO ${sqlString(tmp)} ` +
          `(FORMAT parquet, COMPRESSION ${this.rec.opts.compression}, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`,
      );
      renameSync(tmp, file);
      this.files.push(file);
      this.part += 1;
      this.rows = 0;
    }
    await runOnThisThread(this.db, `DROP TABLE IF EXISTS ${this.name}`);
  }

  async drop(): Promise<void> {
    this.appender?.closeSync();
    this.appender = undefined;
    await runOnThisThread(this.db, `DROP TABLE IF EXISTS ${this.name}`);
  }
}

/** DuckDB's vector size: one data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

interface NumberVector {
  setItem(i: number, v: number | null): void;
  flush(): void;
}

/**
 * Appends a snapshot's regions through one reused data chunk: a chunk per 2048 rows would
 * hold native memory until the garbage collector finalises it (measured: +200 MB of peak RSS
 * for 1M regions).
 */
function appendRegions(chunk: DuckDBDataChunk, appender: DuckDBAppender, s: Snapshot, snapshotIndex: number): void {
  const n = s.starts.length;
  for (let off = 0; off < n; off += CHUNK_ROWS) {
    const m = Math.min(CHUNK_ROWS, n - off);
    chunk.reset();
    chunk.rowCount = m;
    const v = Array.from({ length: chunk.columnCount }, (_, i) => chunk.getColumnVector(i) as unknown as NumberVector);
    const [target, snap, t0, t1, start, end, nr, age] = v as [NumberVector, NumberVector, NumberVector, NumberVector, NumberVector, NumberVector, NumberVector, NumberVector];
    for (let j = 0; j < m; j++) {
      const i = off + j;
      target.setItem(j, s.targetIndex);
      snap.setItem(j, snapshotIndex);
      t0.setItem(j, s.startNs);
      t1.setItem(j, s.endNs);
      start.setItem(j, s.starts[i] as number);
      end.setItem(j, s.ends[i] as number);
      nr.setItem(j, s.nrAccesses[i] as number);
      const a = s.ages[i] as number;
      age.setItem(j, a < 0 ? null : a);
    }
    for (const x of v) x.flush();
    appender.appendDataChunk(chunk);
  }
}

function snapshotRow(s: Snapshot, aggrUs: number | null): { total: number; wss: number; idle: number[] | null; bw: number | null } {
  let total = 0;
  let wss = 0;
  const n = s.starts.length;
  for (let i = 0; i < n; i++) {
    const sz = (s.ends[i] as number) - (s.starts[i] as number);
    total += sz;
    if ((s.nrAccesses[i] as number) >= WSS_MIN_NR_ACCESSES && sz >= 1) wss += sz;
  }
  return {
    total,
    wss,
    idle: aggrUs === null ? null : idleMsPercentiles(s, aggrUs),
    bw: aggrUs === null ? null : estimatedMemoryBandwidth(s, aggrUs),
  };
}

/** Removes the parts an earlier export of the same recording left in these directories. */
function removeEarlierParts(dir: string, id: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(`${id}-`) && (n.endsWith('.parquet') || n.endsWith('.parquet.tmp'))) rmSync(join(dir, n), { force: true });
}

/** Removes an earlier export of the recording from another partition, and its empty directories. */
function removeRelabelled(outDir: string, id: string, partition: string): void {
  for (const table of ['regions', 'snapshots'] as const) {
    const dir = join(outDir, table, partition);
    removeEarlierParts(dir, id);
    // The date= and host= directories, when nothing else is left in them.
    for (const d of [dir, join(dir, '..')]) {
      try {
        rmdirSync(d);
      } catch {
        break;
      }
    }
  }
}

/**
 * Exports one recording; returns null, writing nothing, when it holds no region (the
 * caller says so).
 */
export async function exportRecording(db: DuckDBConnection, src: TraceSource, opts: ExportOptions): Promise<ExportResult | null> {
  const api = await import('@duckdb/node-api');
  const labels = recordingLabels(recordingFacts(src), opts.labels);
  const host = pathSafe(labels.columns.host ?? 'unknown');
  const date = labels.columns.date as string;
  const id = await recordingIdOf(src.path);
  const partition = `host=${host}/date=${date}`;
  const rec: Recording = {
    id,
    labels,
    src,
    opts,
    dirs: { regions: join(opts.outDir, 'regions', partition), snapshots: join(opts.outDir, 'snapshots', partition) },
  };
  const regions = new PartBuffer(db, 'regions', rec);
  const snapshots = new PartBuffer(db, 'snapshots', rec);
  const regionChunk = api.DuckDBDataChunk.create([api.INTEGER, api.INTEGER, api.DOUBLE, api.DOUBLE, api.DOUBLE, api.DOUBLE, api.INTEGER, api.INTEGER], CHUNK_ROWS);
  const aggrUs = src.header.intervals?.aggrUs ?? null;
  let nrSnapshots = 0;
  let nrRegions = 0;
  let removed = false;
  try {
    for await (const s of src.snapshots()) {
      opts.signal?.throwIfAborted();
      const n = s.starts.length;
      if (n > 0 && !removed) {
        removeEarlierParts(rec.dirs.regions, id);
        removeEarlierParts(rec.dirs.snapshots, id);
        removed = true;
      }
      if (n > 0) appendRegions(regionChunk, await regions.open(), s, nrSnapshots);
      const row = snapshotRow(s, aggrUs);
      const sa = await snapshots.open();
      sa.appendInteger(s.targetIndex);
      sa.appendInteger(nrSnapshots);
      sa.appendDouble(s.startNs);
      sa.appendDouble(s.endNs);
      sa.appendInteger(n);
      sa.appendDouble(row.total);
      sa.appendDouble(row.wss);
      if (row.idle === null) sa.appendNull();
      else sa.appendList(row.idle, api.LIST(api.DOUBLE));
      if (row.bw === null) sa.appendNull();
      else sa.appendDouble(row.bw);
      sa.endRow();
      nrSnapshots += 1;
      nrRegions += n;
      regions.rows += n;
      snapshots.rows += 1;
      if (regions.rows >= PART_ROWS.regions) await regions.writePart();
      if (snapshots.rows >= PART_ROWS.snapshots) await snapshots.writePart();
    }
    if (nrRegions === 0) {
      await regions.drop();
      await snapshots.drop();
      return null;
    }
    await regions.writePart();
    await snapshots.writePart();
  } catch (e) {
    await regions.drop().catch(() => undefined);
    await snapshots.drop().catch(() => undefined);
    for (const f of [...regions.files, ...snapshots.files]) rmSync(f, { force: true });
    // Only once this export has replaced the earlier one: an export that fails or is
    // interrupted before its first region leaves the earlier export of the file in place.
    if (removed) for (const d of Object.values(rec.dirs)) removeEarlierParts(d, id);
    throw e;
  }
  const files = [...regions.files, ...snapshots.files];
  // The same file exported before under other host/date labels: its old files go, now that
  // the new ones are complete (export_ledger.ts).
  const input = realpathSync(src.path);
  const replacedPartitions = earlierPartitions(opts.outDir, id, input, partition);
  for (const p of replacedPartitions) removeRelabelled(opts.outDir, id, p);
  recordExport(opts.outDir, id, input, partition);
  return { recordingId: id, host, date, nrSnapshots, nrRegions, files, bytes: files.reduce((a, f) => a + statSync(f).size, 0), replacedPartitions };
}
