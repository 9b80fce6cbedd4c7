// SPDX-License-Identifier: GPL-2.0-only
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { SEGMENT_MIN_REGIONS, SEGMENT_MIN_SNAPSHOTS } from '../../src/format/snapshot_block.js';
import { syntheticHeader, syntheticSnapshots, writeSyntheticTrace } from '../../src/format/synthetic.js';
import { TraceWriter } from '../../src/format/trace_writer.js';
import { runMain } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'damo-damaged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const full = join(dir, 'full.data');
const cut = join(dir, 'cut.data');
// Snapshots large enough that segments close at SEGMENT_MIN_SNAPSHOTS: the 40 snapshots
// make two segments (two blocks as written here), so a cut leaves the first one.
const NR_REGIONS = SEGMENT_MIN_REGIONS / SEGMENT_MIN_SNAPSHOTS;
await writeSyntheticTrace(full, { nrSnapshots: 40, nrRegionsPerSnapshot: NR_REGIONS, seed: 2 });
const bytes = readFileSync(full);
// Cut inside the last snapshot frames, as a killed recorder would leave it.
writeFileSync(cut, bytes.subarray(0, bytes.length - 300));

describe.each(['raw', 'wss', 'nr_regions', 'heats'])('report %s on a recording cut short', (report) => {
  it('reads the complete part and warns once on stderr', async () => {
    const r = await runMain(['report', report, '-i', cut]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('ends inside a frame'));
    expect(warnings.length).toBe(1);
  });

  it('fails with --strict', async () => {
    const r = await runMain(['report', report, '-i', cut, '--strict']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^damo: .*ends inside a frame/m);
  });
});

describe('14.4 reports on a recording with a flipped byte', () => {
  // Written as a recorder writes: one snapshot per block frame.
  const recorded = join(dir, 'recorded.data');
  const spec = { nrSnapshots: 40, nrRegionsPerSnapshot: NR_REGIONS, seed: 2 };
  const writer = TraceWriter.create(recorded, syntheticHeader(spec));
  for (const s of syntheticSnapshots(spec)) writer.writeSnapshot(s);
  writer.close('done');
  const copy = readFileSync(recorded);
  // A payload byte of the block of snapshot 5: it and the rest of its segment are lost.
  let offset = 8;
  for (let frame = 0; frame < 1 + 5; frame++) offset += 16 + copy.readUInt32LE(offset);
  copy[offset + 14] = (copy[offset + 14] as number) ^ 0xff;
  const bad = join(dir, 'bad.data');
  writeFileSync(bad, copy);

  it.each(['raw', 'wss', 'nr_regions', 'heats'])('report %s reads around the damaged frame with one warning', async (report) => {
    const r = await runMain(['report', report, '-i', bad]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('damaged byte(s) skipped at byte ranges'));
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toContain(`${SEGMENT_MIN_SNAPSHOTS - 5} snapshot(s) skipped`);
  });

  it('fails with --strict, naming the byte offset of the corrupt frame', async () => {
    const r = await runMain(['report', 'wss', '-i', bad, '--strict']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^damo: .*corrupt frame at byte offset \d+/m);
    expect(r.stderr).not.toContain('    at ');
  });
});
