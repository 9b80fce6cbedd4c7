// SPDX-License-Identifier: GPL-2.0-only
/**
 * Access patterns for the native engine's synthetic primitive. A pattern is a list of
 * entries "during [t0Ns, t1Ns) each sample of an address in [start, end) is an access with
 * probability p" (overlaps: the highest p wins). Times are ns since monitoring started, by
 * sample count, so runs are deterministic for a given seed.
 *
 *   syntheticMovingHotBlock({ start, spaceBytes, blockBytes, moveEveryNs, durationNs, seed })
 *   await syntheticPatternFromTrace(traceSource, { targetIndex })   // replay nr_accesses
 *   new SyntheticPattern(entries)
 */
import { DamoError } from '../core/errors.js';
import type { TraceSource } from '../core/model.js';
import { SYNTHETIC_PAGE_BYTES } from '../core/page_size.js';

export interface SyntheticEntry {
  t0Ns: number;
  t1Ns: number;
  start: number;
  end: number;
  /** Probability that one sample of an address in [start, end) is an access, 0..1. */
  p: number;
}

function bad(message: string): DamoError {
  return new DamoError('E_USAGE', `synthetic pattern: ${message}`);
}

export class SyntheticPattern {
  readonly entries: readonly SyntheticEntry[];

  constructor(entries: readonly SyntheticEntry[]) {
    entries.forEach((e, i) => {
      const ok = [e.t0Ns, e.t1Ns, e.start, e.end, e.p].every((v) => typeof v === 'number' && Number.isFinite(v));
      if (!ok) throw bad(`entry ${i} has a non-numeric field`);
      if (e.t1Ns <= e.t0Ns) throw bad(`entry ${i}: t1Ns (${e.t1Ns}) must be after t0Ns (${e.t0Ns})`);
      if (!Number.isSafeInteger(e.start) || !Number.isSafeInteger(e.end) || e.start < 0 || e.end <= e.start) {
        throw bad(`entry ${i}: [start, end) must be a non-empty range of integer addresses`);
      }
      if (e.p < 0 || e.p > 1) throw bad(`entry ${i}: p must be between 0 and 1, got ${e.p}`);
    });
    this.entries = entries.map((e) => ({ ...e }));
  }

  /** The access probability at an address and time (the highest covering p, else 0). */
  probabilityAt(addr: number, tNs: number): number {
    let p = 0;
    for (const e of this.entries) {
      if (e.t0Ns <= tNs && tNs < e.t1Ns && e.start <= addr && addr < e.end && e.p > p) p = e.p;
    }
    return p;
  }

  /** Bytes with a non-zero access probability at any time in [t0Ns, t1Ns): the true working set. */
  accessedBytes(t0Ns: number, t1Ns: number): number {
    const live = this.entries
      .filter((e) => e.p > 0 && e.t0Ns < t1Ns && t0Ns < e.t1Ns)
      .map((e) => [e.start, e.end] as const)
      .sort((a, b) => a[0] - b[0]);
    let total = 0;
    let curStart = -1;
    let curEnd = -1;
    for (const [s, e] of live) {
      if (s > curEnd) {
        if (curEnd > curStart) total += curEnd - curStart;
        curStart = s;
        curEnd = e;
      } else if (e > curEnd) {
        curEnd = e;
      }
    }
    if (curEnd > curStart) total += curEnd - curStart;
    return total;
  }

  toRaw(): { t0Ns: Float64Array; t1Ns: Float64Array; starts: Float64Array; ends: Float64Array; probs: Float64Array } {
    const n = this.entries.length;
    const raw = {
      t0Ns: new Float64Array(n),
      t1Ns: new Float64Array(n),
      starts: new Float64Array(n),
      ends: new Float64Array(n),
      probs: new Float64Array(n),
    };
    this.entries.forEach((e, i) => {
      raw.t0Ns[i] = e.t0Ns;
      raw.t1Ns[i] = e.t1Ns;
      raw.starts[i] = e.start;
      raw.ends[i] = e.end;
      raw.probs[i] = e.p;
    });
    return raw;
  }
}

export function validateSyntheticPattern(p: unknown): asserts p is SyntheticPattern {
  if (!(p instanceof SyntheticPattern)) throw bad('options.synthetic must be a SyntheticPattern');
}

/** splitmix64-style generator on two 32-bit halves: small, seeded, good enough for layouts. */
function seededRandom(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  let b = Math.floor(seed / 2 ** 32) ^ 0x85ebca6b;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    b = (b + 0x68e31da4) | 0;
    const u = ((t ^ (t >>> 14)) >>> 0) ^ (Math.imul(b, 0x27d4eb2d) >>> 0);
    return (u >>> 0) / 2 ** 32;
  };
}

export interface MovingHotBlockOptions {
  /** First address of the space. Default 1 GiB. */
  start?: number;
  spaceBytes: number;
  blockBytes: number;
  /** The block jumps to a new random (page-aligned) place this often. */
  moveEveryNs: number;
  durationNs: number;
  seed?: number;
  /** Per-sample access probability inside the block. Default 1. */
  hotP?: number;
  /** Per-sample access probability of the rest of the space. Default 0. */
  coldP?: number;
  pageBytes?: number;
}

export interface MovingHotBlock extends SyntheticPattern {
  /** Where the block is in each period. */
  readonly blocks: ReadonlyArray<{ t0Ns: number; t1Ns: number; start: number; end: number }>;
}

/** A hot block of `blockBytes` that moves to a new random place every `moveEveryNs`. */
export function syntheticMovingHotBlock(o: MovingHotBlockOptions): MovingHotBlock {
  const start = o.start ?? 2 ** 30;
  const page = o.pageBytes ?? SYNTHETIC_PAGE_BYTES;
  const hotP = o.hotP ?? 1;
  const coldP = o.coldP ?? 0;
  if (!(o.blockBytes > 0 && o.blockBytes <= o.spaceBytes)) throw bad('blockBytes must be positive and fit in spaceBytes');
  if (!(o.moveEveryNs > 0 && o.durationNs > 0)) throw bad('moveEveryNs and durationNs must be positive');
  const rand = seededRandom(o.seed ?? 0);
  const slots = Math.floor((o.spaceBytes - o.blockBytes) / page) + 1;
  const blocks: Array<{ t0Ns: number; t1Ns: number; start: number; end: number }> = [];
  for (let t = 0; t < o.durationNs; t += o.moveEveryNs) {
    const off = Math.floor(rand() * slots) * page;
    blocks.push({ t0Ns: t, t1Ns: Math.min(t + o.moveEveryNs, o.durationNs), start: start + off, end: start + off + o.blockBytes });
  }
  const entries: SyntheticEntry[] = blocks.map((b) => ({ ...b, p: hotP }));
  if (coldP > 0) entries.push({ t0Ns: 0, t1Ns: o.durationNs, start, end: start + o.spaceBytes, p: coldP });
  const pattern = new SyntheticPattern(entries) as SyntheticPattern & { blocks: MovingHotBlock['blocks'] };
  Object.defineProperty(pattern, 'blocks', { value: blocks, enumerable: true });
  return pattern;
}

/**
 * Replays a recording: each snapshot's regions become entries with p = nrAccesses / (samples
 * per aggregation), at the snapshot's time relative to the first snapshot. Gives a pattern
 * with a realistic spatial and temporal shape whose truth is known.
 */
export async function syntheticPatternFromTrace(
  source: TraceSource,
  opts: { targetIndex?: number; maxNrAccesses?: number } = {},
): Promise<SyntheticPattern> {
  const targetIndex = opts.targetIndex ?? 0;
  const iv = source.header.intervals;
  let maxNr = opts.maxNrAccesses ?? (iv && iv.sampleUs > 0 ? Math.floor(iv.aggrUs / iv.sampleUs) : 0);
  const entries: SyntheticEntry[] = [];
  let t0: number | null = null;
  let observedMax = 0;
  for await (const s of source.snapshots()) {
    if (s.targetIndex !== targetIndex) continue;
    t0 ??= s.startNs;
    for (let i = 0; i < s.starts.length; i++) {
      const nr = s.nrAccesses[i]!;
      if (nr > observedMax) observedMax = nr;
      entries.push({ t0Ns: s.startNs - t0, t1Ns: s.endNs - t0, start: s.starts[i]!, end: s.ends[i]!, p: nr });
    }
  }
  if (entries.length === 0) throw bad(`${source.path} has no snapshots of target ${targetIndex}`);
  if (maxNr <= 0) maxNr = Math.max(1, observedMax);
  for (const e of entries) e.p = Math.min(1, e.p / maxNr);
  return new SyntheticPattern(entries.filter((e) => e.t1Ns > e.t0Ns));
}
