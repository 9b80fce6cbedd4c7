// SPDX-License-Identifier: GPL-2.0-only
/**
 * Deterministic synthetic recordings: a process-like address space (three areas with gaps,
 * like DAMON's three-region layout) split into regions, with a hot block that moves over
 * time. Tests, CLI fixtures and benchmarks use it to get traces of any size without a
 * kernel. The same seed always gives the same trace.
 */
import { DamoError } from '../core/errors.js';
import { formatSz } from '../core/fmt.js';
import { interruptCheck } from '../core/interrupts.js';
import { DEFAULT_INTERVALS, DEFAULT_NR_REGIONS } from '../core/damon_constants.js';
import { SYNTHETIC_PAGE_BYTES } from '../core/page_size.js';
import type { Snapshot, TraceHeader } from '../core/model.js';
import { emptyHeader } from '../core/model.js';

export interface SyntheticTraceSpec {
  nrSnapshots: number;
  nrRegionsPerSnapshot: number;
  seed?: number;
  /** Aggregation interval in µs; snapshots are this far apart. Default 100 ms. */
  aggrUs?: number;
  sampleUs?: number;
  /** Number of targets; snapshots cycle through them. Default 1. */
  nrTargets?: number;
  /** Snapshots between moves of the hot block. Default 50. */
  hotMoveEvery?: number;
  /** Bytes of the whole monitored space. Default 1 GiB. */
  spaceBytes?: number;
}

/** Small, fast, seedable PRNG (mulberry32); quality is plenty for test data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticHeader(spec: SyntheticTraceSpec): TraceHeader {
  const nrTargets = spec.nrTargets ?? 1;
  return emptyHeader({
    source: 'synthetic',
    ops: 'vaddr',
    intervals: { sampleUs: spec.sampleUs ?? DEFAULT_INTERVALS.sampleUs, aggrUs: spec.aggrUs ?? DEFAULT_INTERVALS.aggrUs, opsUpdateUs: DEFAULT_INTERVALS.opsUpdateUs },
    nrRegions: { min: DEFAULT_NR_REGIONS.min, max: Math.max(DEFAULT_NR_REGIONS.max, spec.nrRegionsPerSnapshot) },
    targets: Array.from({ length: nrTargets }, (_, i) => ({ id: BigInt(4242 + i), pid: 4242 + i, cmdline: `synthetic-${i}` })),
    baseTimeNs: 1_000_000_000_000n,
    clock: 'monotonic',
    host: { kernelRelease: 'synthetic', pageSizeBytes: SYNTHETIC_PAGE_BYTES, hostname: 'synthetic', nrCpus: 1 },
  });
}

/** The snapshots of a synthetic trace, generated lazily. */
export function* syntheticSnapshots(spec: SyntheticTraceSpec): Generator<Snapshot> {
  const rand = mulberry32(spec.seed ?? 1);
  const nrTargets = spec.nrTargets ?? 1;
  const n = spec.nrRegionsPerSnapshot;
  const aggrUs = spec.aggrUs ?? DEFAULT_INTERVALS.aggrUs;
  const aggrNs = aggrUs * 1000;
  const maxNrAccesses = Math.floor(aggrUs / (spec.sampleUs ?? DEFAULT_INTERVALS.sampleUs));
  const moveEvery = spec.hotMoveEvery ?? 50;
  const spacePages = Math.max(n, Math.floor((spec.spaceBytes ?? 1 << 30) / SYNTHETIC_PAGE_BYTES));
  // Heap-like base and a stack-like area far above, as in a real process.
  const bases = [0x5555_0000_0000, 0x7f00_0000_0000, 0x7ffc_0000_0000];

  // Region boundaries (in pages) are re-drawn slightly each snapshot, as DAMON's adaptive
  // split/merge does, while the layout of the three areas stays fixed.
  const ages = new Float64Array(n);
  const prevNr = new Float64Array(n);
  for (let s = 0; s < spec.nrSnapshots; s++) {
    const targetIndex = s % nrTargets;
    const snap: Snapshot = {
      targetIndex,
      startNs: s * aggrNs,
      endNs: (s + 1) * aggrNs,
      starts: new Float64Array(n),
      ends: new Float64Array(n),
      nrAccesses: new Float64Array(n),
      ages: new Float64Array(n),
    };
    const hotStart = ((Math.floor(s / moveEvery) * 7919) % 10) / 10;
    const perArea = Math.ceil(n / 3);
    let idx = 0;
    for (let area = 0; area < 3 && idx < n; area++) {
      const areaRegions = Math.min(perArea, n - idx);
      const areaPages = Math.floor(spacePages / 3);
      let page = 0;
      for (let r = 0; r < areaRegions; r++) {
        const remaining = areaRegions - r;
        const avg = (areaPages - page) / remaining;
        const pages = remaining === 1 ? areaPages - page : Math.max(1, Math.round(avg * (0.5 + rand())));
        const start = (bases[area] as number) + page * SYNTHETIC_PAGE_BYTES;
        const end = start + Math.max(1, pages) * SYNTHETIC_PAGE_BYTES;
        page += Math.max(1, pages);
        const pos = idx / n;
        const hot = pos >= hotStart && pos < hotStart + 0.0625;
        const nr = hot ? maxNrAccesses - Math.floor(rand() * 2) : rand() < 0.1 ? Math.floor(rand() * 3) : 0;
        // DAMON resets a region's age when its access count changes noticeably.
        ages[idx] = s === 0 || Math.abs((prevNr[idx] as number) - nr) > 2 ? 0 : (ages[idx] as number) + 1;
        prevNr[idx] = nr;
        snap.starts[idx] = start;
        snap.ends[idx] = end;
        snap.nrAccesses[idx] = Math.max(0, nr);
        snap.ages[idx] = ages[idx] as number;
        idx++;
      }
    }
    yield snap;
  }
}

/** The most regions one snapshot may have: 4,194,304 (48 bytes of memory each while generating). */
export const MAX_SYNTHETIC_REGIONS_PER_SNAPSHOT = 4 * 1024 * 1024;
/** The most regions a synthetic trace may have in all: 2^30 (about 9 GB of file). */
export const MAX_SYNTHETIC_REGIONS = 1024 * 1024 * 1024;
/** Generating keeps 6 arrays of 8 bytes per region of a snapshot. */
const GENERATOR_BYTES_PER_REGION = 48;
/** Measured on `damo synth` output: 8,351,325 bytes for 10,000 snapshots of 100 regions. */
const FILE_BYTES_PER_REGION = 8.35;

/**
 * Refuses a trace too large to generate (issue 14 item 5), saying the memory or the file
 * size it would take and the limit, before anything is allocated or written.
 */
export function checkSyntheticSpec(spec: SyntheticTraceSpec): void {
  const perSnapshot = spec.nrRegionsPerSnapshot;
  if (perSnapshot > MAX_SYNTHETIC_REGIONS_PER_SNAPSHOT) {
    throw new DamoError(
      'E_USAGE',
      `--regions ${perSnapshot} would need ${formatSz(perSnapshot * GENERATOR_BYTES_PER_REGION, false)} of memory per snapshot; ` +
        `the most is ${MAX_SYNTHETIC_REGIONS_PER_SNAPSHOT.toLocaleString('en-US')} regions per snapshot`,
    );
  }
  const total = spec.nrSnapshots * perSnapshot * Math.max(1, spec.nrTargets ?? 1);
  if (total > MAX_SYNTHETIC_REGIONS) {
    throw new DamoError(
      'E_USAGE',
      `--snapshots x --regions x --targets is ${total.toLocaleString('en-US')} regions, about ` +
        `${formatSz(total * FILE_BYTES_PER_REGION, false)} of file (${FILE_BYTES_PER_REGION} bytes a region, measured); ` +
        `the most is ${MAX_SYNTHETIC_REGIONS.toLocaleString('en-US')} regions`,
    );
  }
}

/** Writes a synthetic trace to `path` in our format; returns the number of bytes written. */
export async function writeSyntheticTrace(path: string, spec: SyntheticTraceSpec, notify?: (message: string) => void): Promise<number> {
  checkSyntheticSpec(spec);
  const { TraceWriter } = await import('./trace_writer.js');
  const { PendingOutput } = await import('../core/output_file.js');
  const { SEGMENT_MAX_SNAPSHOTS } = await import('./snapshot_block.js');
  const pending = new PendingOutput(path, 'the output');
  let writer;
  try {
    // Written to a temporary file and renamed when complete, so snapshots can go out in
    // whole segments (src/format/snapshot_block.ts).
    writer = TraceWriter.create(pending.tmp, syntheticHeader(spec), { snapshotsPerBlock: SEGMENT_MAX_SNAPSHOTS });
    try {
      for (const snapshot of syntheticSnapshots(spec)) {
        writer.writeSnapshot(snapshot);
        // The writer is synchronous: let SIGINT/SIGTERM in between snapshots.
        const turn = interruptCheck();
        if (turn !== undefined) await turn;
      }
    } catch (err) {
      writer.abandon();
      throw err;
    }
    writer.close('synthetic');
  } catch (err) {
    pending.abandonSync();
    throw pending.failure(err);
  }
  await pending.commit(notify);
  return writer.bytesWritten;
}
