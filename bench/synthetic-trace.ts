/**
 * A deterministic synthetic recording for benchmarks and picture checks: a vaddr-like
 * target with a heap, a large mmap area and a stack, whose region boundaries wobble every
 * snapshot (as DAMON's split/merge does) and whose hot spot climbs the mmap area in
 * stairs (like masim's "stairs" workload in damo's demos). Snapshots are generated on
 * the fly on every pass, so memory stays at one snapshot whatever the size.
 */
import { emptyHeader, type Snapshot, type TraceSource } from '../src/core/model.js';

export interface SyntheticOptions {
  nrSnapshots: number;
  regionsPerSnapshot: number;
  seed?: number;
  aggrUs?: number;
}

const PAGE = 4096;
const HEAP = { start: 0x5555_5555_0000, size: 64 * 2 ** 20 };
const MMAP = { start: 0x7f00_0000_0000, size: 1024 * 2 ** 20 };
const STACK = { start: 0x7ffc_0000_0000, size: 1 * 2 ** 20 };

/** xorshift32: tiny, seedable, good enough for jitter. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Access count of address `a` at snapshot `k` of `n`: the stairs pattern plus background. */
function samplesAt(a: number, k: number, n: number, noise: number): number {
  if (a >= MMAP.start && a < MMAP.start + MMAP.size) {
    const steps = 8;
    const step = Math.min(steps - 1, Math.floor((k / n) * steps));
    const off = (a - MMAP.start) / MMAP.size;
    if (off >= step / steps && off < (step + 1) / steps) return 16 + Math.floor(noise * 4);
    if (off < 0.05) return 6 + Math.floor(noise * 3); // always-warm header of the area
    return noise < 0.1 ? 1 : 0;
  }
  if (a >= HEAP.start && a < HEAP.start + HEAP.size) return noise < 0.3 ? 1 + Math.floor(noise * 10) : 0;
  return noise < 0.5 ? 1 : 0;
}

export function syntheticTrace(opts: SyntheticOptions): TraceSource {
  const { nrSnapshots, regionsPerSnapshot } = opts;
  const aggrNs = (opts.aggrUs ?? 100_000) * 1000;
  const nHeap = Math.max(1, Math.round(regionsPerSnapshot * 0.1));
  const nStack = Math.max(1, Math.round(regionsPerSnapshot * 0.02));
  const nMmap = Math.max(1, regionsPerSnapshot - nHeap - nStack);
  const header = emptyHeader({
    source: 'synthetic',
    ops: 'vaddr',
    intervals: { sampleUs: 5000, aggrUs: aggrNs / 1000, opsUpdateUs: 1_000_000 },
    nrRegions: { min: 10, max: regionsPerSnapshot },
    targets: [{ id: 4242n, pid: 4242, cmdline: 'synthetic-stairs' }],
    clock: 'monotonic',
  });

  async function* snapshots(): AsyncGenerator<Snapshot> {
    const rand = rng(opts.seed ?? 42);
    const n = nHeap + nMmap + nStack;
    for (let k = 0; k < nrSnapshots; k++) {
      const snap: Snapshot = {
        targetIndex: 0,
        startNs: k * aggrNs,
        endNs: (k + 1) * aggrNs,
        starts: new Float64Array(n),
        ends: new Float64Array(n),
        nrAccesses: new Float64Array(n),
        ages: new Float64Array(n).fill(-1),
      };
      let r = 0;
      for (const [area, count] of [
        [HEAP, nHeap],
        [MMAP, nMmap],
        [STACK, nStack],
      ] as const) {
        const pages = area.size / PAGE;
        let prev = area.start;
        for (let i = 0; i < count; i++) {
          let end: number;
          if (i === count - 1) end = area.start + area.size;
          else {
            const jitter = (rand() - 0.5) * 0.8;
            const page = Math.round(((i + 1 + jitter) * pages) / count);
            end = Math.max(prev + PAGE, area.start + page * PAGE);
          }
          snap.starts[r] = prev;
          snap.ends[r] = end;
          snap.nrAccesses[r] = samplesAt((prev + end) / 2, k, nrSnapshots, rand());
          prev = end;
          r += 1;
        }
      }
      yield snap;
    }
  }

  return {
    path: `synthetic(${nrSnapshots}x${regionsPerSnapshot})`,
    header,
    snapshots: () => snapshots(),
    trailer: () => null,
    warnings: [],
  };
}
