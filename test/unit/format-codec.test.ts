// SPDX-License-Identifier: GPL-2.0-only
import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';

import type { Snapshot, TraceHeader } from '../../src/core/model.js';
import {
  decodeHeader,
  decodeSnapshotFast,
  decodeSnapshotReference,
  encodeHeader,
  encodeSnapshot,
} from '../../src/format/codec.js';

const MAX_ADDR = 2 ** 53 - 1;

/** fc.integer is limited to 32 bits; this covers any safe integer range. */
const safeInt = (min: number, max: number): fc.Arbitrary<number> =>
  fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);

/** Random snapshots with sorted, non-overlapping regions (what every source produces). */
const snapshotArb: fc.Arbitrary<Snapshot> = fc
  .record({
    targetIndex: fc.nat(1000),
    startNs: fc.double({ min: -1e15, max: 1e15, noNaN: true, noDefaultInfinity: true }),
    durationNs: fc.double({ min: 0, max: 1e12, noNaN: true, noDefaultInfinity: true }),
    firstStart: fc.oneof(fc.nat(1 << 20), safeInt(0, Math.floor(MAX_ADDR / 2))),
    regions: fc.array(
      fc.record({
        gap: fc.oneof(fc.constant(0), fc.nat(1 << 30)),
        size: fc.oneof(fc.integer({ min: 1, max: 1 << 21 }), safeInt(1, 2 ** 40)),
        nr: fc.oneof(fc.nat(20), safeInt(0, 0xffffffff)),
        age: safeInt(0, 0xffffffff),
      }),
      { maxLength: 300 },
    ),
    agesKnown: fc.boolean(),
    extras: fc.record(
      {
        sampleIntervalUs: fc.nat(1e9),
        totalBytes: safeInt(0, MAX_ADDR),
        granularityBytes: fc.nat(1 << 30),
      },
      { requiredKeys: [] },
    ),
  })
  .map(({ targetIndex, startNs, durationNs, firstStart, regions, agesKnown, extras }) => {
    const n = regions.length;
    const snap: Snapshot = {
      targetIndex,
      startNs,
      endNs: startNs + durationNs,
      starts: new Float64Array(n),
      ends: new Float64Array(n),
      nrAccesses: new Float64Array(n),
      ages: new Float64Array(n),
    };
    let addr = firstStart;
    regions.forEach((r, i) => {
      const start = Math.min(addr + r.gap, MAX_ADDR - r.size);
      const end = Math.min(start + r.size, MAX_ADDR);
      snap.starts[i] = start;
      snap.ends[i] = end;
      snap.nrAccesses[i] = r.nr;
      snap.ages[i] = agesKnown ? r.age : -1;
      addr = end;
    });
    // Keep regions sorted even after clamping near the top of the address range.
    for (let i = 1; i < n; i++) {
      if ((snap.starts[i] as number) < (snap.ends[i - 1] as number)) {
        snap.starts[i] = snap.ends[i - 1] as number;
        snap.ends[i] = Math.max(snap.ends[i] as number, snap.starts[i] as number);
      }
    }
    if (extras.sampleIntervalUs !== undefined) snap.sampleIntervalUs = extras.sampleIntervalUs;
    if (extras.totalBytes !== undefined) snap.totalBytes = extras.totalBytes;
    if (extras.granularityBytes !== undefined) snap.granularityBytes = extras.granularityBytes;
    return snap;
  });

function plain(s: Snapshot): unknown {
  return {
    ...s,
    starts: Array.from(s.starts),
    ends: Array.from(s.ends),
    nrAccesses: Array.from(s.nrAccesses),
    ages: Array.from(s.ages),
    szFilterPassed: s.szFilterPassed ? Array.from(s.szFilterPassed) : undefined,
  };
}

describe('snapshot codec', () => {
  it('round-trips random snapshots, and the fast decoder equals the generated decoder', () => {
    fc.assert(
      fc.property(snapshotArb, (snap) => {
        const bytes = encodeSnapshot(snap);
        const fast = decodeSnapshotFast(bytes);
        const reference = decodeSnapshotReference(bytes);
        expect(plain(fast)).toEqual(plain(reference));
        expect(plain(fast)).toEqual(plain(snap));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps empty snapshots and their times', () => {
    const snap: Snapshot = {
      targetIndex: 3,
      startNs: 0.5,
      endNs: 100,
      starts: new Float64Array(0),
      ends: new Float64Array(0),
      nrAccesses: new Float64Array(0),
      ages: new Float64Array(0),
    };
    const back = decodeSnapshotFast(encodeSnapshot(snap));
    expect(plain(back)).toEqual(plain(snap));
  });

  it('decodes unpacked repeated fields and skips unknown fields like the generated decoder', () => {
    // Hand-built wire data: unpacked sizes/deltas, plus unknown fields 15 (varint) and 16 (bytes).
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 0).uint32(7);
    w.uint32((15 << 3) | 0).uint64(12345);
    w.uint32((4 << 3) | 0).sint64(4096);
    w.uint32((5 << 3) | 0).uint64(8192);
    w.uint32((16 << 3) | 2).bytes(Uint8Array.from([1, 2, 3]));
    w.uint32((4 << 3) | 0).sint64(0);
    w.uint32((5 << 3) | 0).uint64(4096);
    w.uint32((6 << 3) | 2).fork().uint32(3).uint32(0).ldelim();
    w.uint32((3 << 3) | 1).double(10);
    const bytes = w.finish();
    const fast = decodeSnapshotFast(bytes);
    expect(plain(fast)).toEqual(plain(decodeSnapshotReference(bytes)));
    expect(Array.from(fast.starts)).toEqual([4096, 12288]);
    expect(Array.from(fast.ends)).toEqual([12288, 16384]);
    expect(Array.from(fast.nrAccesses)).toEqual([3, 0]);
    expect(fast.targetIndex).toBe(7);
  });

  it('rejects a message cut inside a value', () => {
    const snap: Snapshot = {
      targetIndex: 1,
      startNs: 0,
      endNs: 1,
      starts: Float64Array.of(4096),
      ends: Float64Array.of(8192),
      nrAccesses: Float64Array.of(3),
      ages: Float64Array.of(1),
    };
    const bytes = encodeSnapshot(snap);
    let nrThrown = 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      let got: Snapshot | undefined;
      try {
        got = decodeSnapshotFast(bytes.subarray(0, cut));
      } catch {
        nrThrown += 1;
      }
      // A cut at a field boundary can decode, but must never look like the full snapshot.
      if (got !== undefined) expect(plain(got)).not.toEqual(plain(snap));
    }
    expect(nrThrown).toBeGreaterThan(0);
  });

  it('refuses to encode regions that cannot be represented', () => {
    const bad: Snapshot = {
      targetIndex: 0,
      startNs: 0,
      endNs: 1,
      starts: Float64Array.of(100),
      ends: Float64Array.of(50),
      nrAccesses: Float64Array.of(0),
      ages: Float64Array.of(-1),
    };
    expect(() => encodeSnapshot(bad)).toThrow(/invalid range/);
  });
});

describe('header codec', () => {
  it('keeps 64-bit target ids and times exact beyond 2^53', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 5 }),
        fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
        (ids, base) => {
          const header: TraceHeader = {
            formatVersion: 1,
            toolVersion: '1.2.3',
            source: 'kernel-tracefs',
            ops: 'vaddr',
            intervals: { sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 1000000 },
            nrRegions: { min: 10, max: 1000 },
            targets: ids.map((id, i) => ({ id, pid: i + 1, cmdline: `cmd ${i}`, kdamondIdx: 0, contextIdx: 0 })),
            baseTimeNs: base,
            clock: 'monotonic',
            host: { kernelRelease: '6.12.0', pageSizeBytes: 4096, hostname: 'h', nrCpus: 2 },
            wallStartUnixNs: 1_790_000_000_123_456_789n,
            argv: ['record', '-o', 'x'],
          };
          const back = decodeHeader(encodeHeader(header));
          expect(back).toEqual(header);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps a null target id distinct from 0', () => {
    const header: TraceHeader = {
      formatVersion: 1,
      toolVersion: '',
      source: 'damo-json',
      ops: '',
      intervals: null,
      nrRegions: null,
      targets: [{ id: null }, { id: 0n }],
      baseTimeNs: 0n,
      clock: 'unknown',
      host: null,
    };
    expect(decodeHeader(encodeHeader(header)).targets).toEqual([{ id: null }, { id: 0n }]);
  });
});
