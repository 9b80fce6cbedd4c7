// SPDX-License-Identifier: GPL-2.0-only
/**
 * The two tables `damo export --to parquet` writes and `damo fleet` reads: their columns,
 * types and meaning, in one place. docs/FLEET.md documents the same list (a test checks
 * that every column here is in it), and export.ts builds its SELECT lists from it.
 *
 * Layout on disk (hive partitions, which DuckDB, Spark, Trino and Hive all understand):
 *
 *   DIR/regions/host=<host>/date=<YYYY-MM-DD>/<recording_id>-<part>.parquet
 *   DIR/snapshots/host=<host>/date=<YYYY-MM-DD>/<recording_id>-<part>.parquet
 *
 * `host` and `date` live in the path only, never inside the files: Spark refuses a column
 * that is both in the files and in the partition path.
 */

export type FleetTable = 'regions' | 'snapshots';
export const FLEET_TABLES: readonly FleetTable[] = ['regions', 'snapshots'];

export interface ColumnSpec {
  name: string;
  /** DuckDB type written to Parquet; each maps to a Spark type in docs/FLEET.md. */
  type: 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'MAP(VARCHAR, VARCHAR)' | 'BIGINT[]';
  doc: string;
}

/** Labels with a column of their own; `--label` may set them, the recording gives defaults. */
export const LABEL_COLUMNS = ['host', 'date', 'kernel', 'workload', 'cgroup'] as const;
export type LabelColumn = (typeof LABEL_COLUMNS)[number];

/** The hive partition columns: in the directory names, not in the files. */
export const PARTITION_COLUMNS = ['host', 'date'] as const;

/** Columns every row of both tables carries: who, what and how the recording was made. */
const RECORDING_COLUMNS: ColumnSpec[] = [
  { name: 'recording_id', type: 'VARCHAR', doc: 'id of the recording file: the first 16 hex digits of a SHA-256 over its size and first 64 KiB, so exporting the same file again replaces its rows' },
  { name: 'kernel', type: 'VARCHAR', doc: 'label: kernel release (from the recording, or --label kernel=)' },
  { name: 'workload', type: 'VARCHAR', doc: "label: the workload (the first target's program name, or --label workload=)" },
  { name: 'cgroup', type: 'VARCHAR', doc: 'label: cgroup (only from --label cgroup=)' },
  { name: 'labels', type: 'MAP(VARCHAR, VARCHAR)', doc: 'every other --label key=value' },
  { name: 'source', type: 'VARCHAR', doc: 'where the snapshots came from: kernel-sysfs, native-clear_refs, damo-json, ...' },
  { name: 'weight', type: 'DOUBLE', doc: 'how many hosts this recording stands for (--weight, default 1): multiply by it in fleet sums when hosts are sampled at different rates' },
  { name: 'target', type: 'INTEGER', doc: 'index of the monitoring target in the recording' },
  { name: 'pid', type: 'INTEGER', doc: "the target's pid, when known" },
  { name: 'snapshot', type: 'INTEGER', doc: "index of the snapshot in the recording (joins regions to snapshots with recording_id)" },
  { name: 'snapshot_start_ns', type: 'BIGINT', doc: 'start of the aggregation interval, ns since the recording started' },
  { name: 'snapshot_end_ns', type: 'BIGINT', doc: 'end of the aggregation interval, ns since the recording started' },
  { name: 'sample_us', type: 'BIGINT', doc: 'sampling interval, µs (null when the recording does not say)' },
  { name: 'aggr_us', type: 'BIGINT', doc: 'aggregation interval, µs (null when the recording does not say)' },
  { name: 'max_nr_accesses', type: 'INTEGER', doc: 'largest nr_accesses an aggregation can count: aggr_us / sample_us' },
];

export const REGIONS_COLUMNS: readonly ColumnSpec[] = [
  ...RECORDING_COLUMNS,
  { name: 'start_addr', type: 'BIGINT', doc: 'first address of the region' },
  { name: 'end_addr', type: 'BIGINT', doc: 'address just past the region' },
  { name: 'sz_bytes', type: 'BIGINT', doc: 'end_addr - start_addr' },
  { name: 'nr_accesses', type: 'INTEGER', doc: "DAMON's nr_accesses: samples of the aggregation interval that found the region accessed" },
  { name: 'age_aggrs', type: 'INTEGER', doc: "DAMON's age: aggregation intervals the region kept its access pattern (null when unknown)" },
  { name: 'age_ns', type: 'BIGINT', doc: 'age_aggrs * aggr_us * 1000 (null when unknown)' },
];

export const SNAPSHOTS_COLUMNS: readonly ColumnSpec[] = [
  ...RECORDING_COLUMNS,
  { name: 'recording_start_unix_ns', type: 'BIGINT', doc: 'wall-clock start of the recording, ns since the Unix epoch (null when unknown)' },
  { name: 'nr_regions', type: 'INTEGER', doc: 'regions in the snapshot' },
  { name: 'total_bytes', type: 'BIGINT', doc: 'bytes the regions cover' },
  { name: 'wss_bytes', type: 'BIGINT', doc: 'working set: bytes of regions with nr_accesses >= wss_min_nr_accesses (damo report wss with its defaults)' },
  { name: 'wss_min_nr_accesses', type: 'INTEGER', doc: 'the nr_accesses threshold wss_bytes used (1)' },
  { name: 'idle_ms_percentiles', type: 'BIGINT[]', doc: "101 values, DAMON_STAT's memory_idle_ms_percentiles: the idle time in ms at each byte percentile 0..100, negative for accessed memory (-(age+1) aggregations); null when ages are unknown" },
  { name: 'estimated_memory_bandwidth', type: 'BIGINT', doc: "DAMON_STAT's estimated_memory_bandwidth: sum of sz_bytes * nr_accesses per second of aggregation interval" },
];

export function columnsOf(table: FleetTable): readonly ColumnSpec[] {
  return table === 'regions' ? REGIONS_COLUMNS : SNAPSHOTS_COLUMNS;
}

/**
 * Keys `--label` may not use: every column name (a label would shadow it), except the
 * label columns themselves, which `--label` is how one sets them.
 */
export const RESERVED_LABEL_KEYS: ReadonlySet<string> = new Set(
  [...REGIONS_COLUMNS, ...SNAPSHOTS_COLUMNS].map((c) => c.name).filter((n) => !(LABEL_COLUMNS as readonly string[]).includes(n)),
);

/** Rows of one part file: bounds the memory an export holds, whatever the recording's size. */
export const PART_ROWS = { regions: 1 << 20, snapshots: 1 << 16 } as const;

/**
 * Rows per Parquet row group. DuckDB splits its scans by row group and Spark by byte ranges
 * of about 128 MiB that it aligns to row groups; 2^18 rows of regions are 1-3 MB compressed
 * (docs/FLEET.md), small enough to parallelise one file and large enough to keep the
 * footers small.
 */
export const ROW_GROUP_ROWS = 1 << 18;

export const COMPRESSIONS = ['zstd', 'snappy'] as const;
export type Compression = (typeof COMPRESSIONS)[number];
