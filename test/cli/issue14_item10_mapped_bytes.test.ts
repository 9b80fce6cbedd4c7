// SPDX-License-Identifier: GPL-2.0-only
/**
 * Issue 14 item 10: simulate and tune counted unmapped address space (a 128 MiB process was
 * "paged out: 441.930 MiB" because the gap between its binary and its heap counted). With
 * the recorded mappings they count only mapped bytes; without them they say so, and the
 * effect figures are flagged as estimates.
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { snapshotFromRegions, type TraceHeader } from '../../src/core/model.js';
import { formatMappings, MAPPINGS_EVENT_KIND } from '../../src/format/mappings.js';
import { TraceWriter } from '../../src/format/trace_writer.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runBin } from './helpers.js';

const dir = fileTempDir('damo-issue14-10-');
const MiB = 1 << 20;
// A binary (2 MiB), a 512 MiB gap, a heap (8 MiB); DAMON's first region spans all of it,
// and a 128 MiB buffer elsewhere. Nothing is accessed, so a pageout scheme takes everything.
const BIN = 0x555500000000;
const HEAP = BIN + 514 * MiB;
const BUF = 0x7f0000000000;

function write(path: string, withMappings: boolean): void {
  const header: TraceHeader = {
    formatVersion: 0,
    toolVersion: 'test',
    source: 'native-page_idle',
    ops: 'vaddr',
    intervals: { sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 1000000 },
    nrRegions: { min: 10, max: 1000 },
    targets: [{ id: 42n, pid: 42, cmdline: 'x' }],
    baseTimeNs: 0n,
    clock: 'monotonic',
    host: null,
  };
  const w = TraceWriter.create(path, header);
  if (withMappings) {
    w.writeEvent({ timeNs: 0, kind: MAPPINGS_EVENT_KIND, targetIndex: 0, message: formatMappings([[BIN, BIN + 2 * MiB], [HEAP, HEAP + 8 * MiB], [BUF, BUF + 128 * MiB]]) });
  }
  for (let i = 0; i < 30; i++) {
    w.writeSnapshot(
      snapshotFromRegions(0, i * 100e6, (i + 1) * 100e6, [
        { start: BIN, end: HEAP + 8 * MiB, nrAccesses: 0, age: i },
        { start: BUF, end: BUF + 128 * MiB, nrAccesses: 0, age: i },
      ]),
    );
  }
  w.close('done');
}

function pagedOutBytes(stdout: string): number {
  const doc = JSON.parse(stdout) as { schemes: Array<{ effects: { finalBytes?: number; final_bytes?: number } }> };
  const e = doc.schemes[0]?.effects as Record<string, number>;
  return e.finalBytes ?? e.final_bytes ?? NaN;
}

describe('issue 14 item 10: simulate and tune count only mapped bytes', () => {
  it('simulate pages out the mapped 138 MiB, not the 650 MiB the regions span, and says the figures are estimates', () => {
    const path = join(dir, 'mapped.data');
    write(path, true);
    const r = runBin(['report', 'schemes', '-i', path, '-c', '4K max 0 0 1s max pageout']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/paged out: 138\.000 MiB in total/);
    expect(r.stdout).toMatch(/effect bytes are estimates .*only bytes the process had mapped count/);
    const j = runBin(['report', 'schemes', '-i', path, '-c', '4K max 0 0 1s max pageout', '--json']);
    expect(pagedOutBytes(j.stdout)).toBe(138 * MiB);
  });

  it('without recorded mappings, says that whole regions count', () => {
    const path = join(dir, 'unmapped.data');
    write(path, false);
    const r = runBin(['report', 'schemes', '-i', path, '-c', '4K max 0 0 1s max pageout']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/paged out: 650\.000 MiB in total/);
    expect(r.stdout).toMatch(/has no record of the process's mappings, so whole regions count/);
  });

  it('tune says what it counts', () => {
    const path = join(dir, 'mapped.data');
    const r = runBin(['schemes', 'tune', '-i', path, '--template', '4K max 0 0 1s|2s max pageout']);
    expect(r.stderr).toMatch(/only bytes the process had mapped count/);
    expect(r.stdout).not.toMatch(/650\.000 MiB/);
  });
});
