// SPDX-License-Identifier: GPL-2.0-only
// `report raw`'s region lines: the usual ones written in one go, and the numbers that take the
// general path (addresses of 2^48 and more, fractional or large counts), the same either way.
import { describe, expect, it } from 'vitest';

import { emptyHeader, snapshotFromRegions, type Snapshot, type TraceSource } from '../../src/core/model.js';
import { reportRaw } from '../../src/report/raw.js';

function source(snapshots: Snapshot[]): TraceSource {
  return {
    path: 'raw-test',
    header: emptyHeader({ targets: [{ id: 42n }] }),
    warnings: [],
    trailer: () => null,
    snapshots: async function* () {
      yield* snapshots;
    },
  };
}

async function rawText(src: TraceSource): Promise<string> {
  let text = '';
  await reportRaw(src, { rawNumber: true, pagerLines: 50 }, { writeBytes: async (b) => void (text += Buffer.from(b).toString('latin1')) });
  return text;
}

describe('report raw region lines', () => {
  it("prints every region as damo's '%012x-%012x (%12s) %11d %5d'", async () => {
    const regions = [
      { start: 0x1000, end: 0x3000, nrAccesses: 3, age: -1 },
      { start: 2 ** 48, end: 2 ** 48 + 4096, nrAccesses: 2.5, age: 7 },
      { start: 2 ** 48 + 4096, end: 2 ** 49, nrAccesses: 1e12, age: 123456789012 },
    ];
    const snap = snapshotFromRegions(0, 0, 100_000_000, regions);
    regions.forEach((r, i) => (snap.ages[i] = r.age));
    const text = await rawText(source([snap]));
    const lines = text.split('\n').filter((l) => /^[0-9a-f]{12,}-/.test(l));
    const want = regions.map(
      (r) =>
        `${r.start.toString(16).padStart(12, '0')}-${r.end.toString(16).padStart(12, '0')} (${String(r.end - r.start).padStart(12)}) ` +
        `${String(Math.trunc(r.nrAccesses)).padStart(11)} ${String(r.age).padStart(5)}`,
    );
    expect(lines).toEqual(want);
    // Short text ends with damo's extra newline.
    expect(text.endsWith('\n\n\n')).toBe(true);
  });

  it('prints counts and ages from -1 to beyond 1000 the same whether their text comes from the table or not', async () => {
    const values = [-1, 0, 1, 9, 10, 99, 100, 998, 999, 1000, 1001, 12345, 99999, 123456];
    const regions = values.flatMap((nr, i) =>
      values.map((age, j) => ({ start: 0x1000 * (i * values.length + j + 1), end: 0x1000 * (i * values.length + j + 2), nrAccesses: Math.max(nr, 0), age })),
    );
    const snap = snapshotFromRegions(0, 0, 100_000_000, regions);
    regions.forEach((r, i) => (snap.ages[i] = r.age));
    const lines = (await rawText(source([snap]))).split('\n').filter((l) => /^[0-9a-f]{12,}-/.test(l));
    expect(lines.map((l) => l.slice(l.indexOf(') ') + 2))).toEqual(regions.map((r) => `${String(r.nrAccesses).padStart(11)} ${String(r.age).padStart(5)}`));
  });
});
