// SPDX-License-Identifier: GPL-2.0-only
/**
 * Issue 14 item 9: aggregation intervals stretch silently (100 ms asked, 166-169 ms
 * recorded on this host). record's summary gives the mean real interval when it differs from
 * the asked one by more than 10%, and reports (heatmap colour bar, wss) use the recorded ones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { snapshotFromRegions, type TraceHeader } from '../../src/core/model.js';
import { TraceWriter } from '../../src/format/trace_writer.js';
import { aggregationStretchText, recordSummaryText, type RecordSummary } from '../../src/record/summary.js';
import { heatTitle } from '../../src/report/heats_image.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runBin } from './helpers.js';

const dir = fileTempDir('damo-issue14-9-');

const header: TraceHeader = {
  formatVersion: 0,
  toolVersion: 'test',
  source: 'native-page_idle',
  ops: 'vaddr',
  intervals: { sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 1000000 },
  nrRegions: { min: 10, max: 1000 },
  targets: [{ id: 1n, pid: 1, cmdline: 'x' }],
  baseTimeNs: 0n,
  clock: 'monotonic',
  host: null,
};

function writeTrace(path: string, aggrNs: number): void {
  const w = TraceWriter.create(path, header);
  for (let i = 0; i < 20; i++) {
    w.writeSnapshot(snapshotFromRegions(0, i * aggrNs, (i + 1) * aggrNs, [{ start: 0x10000, end: 0x110000, nrAccesses: i % 5, age: 0 }]));
  }
  w.close('done');
}

function summary(meanNs: number | null): RecordSummary {
  return {
    out: 'x.data',
    outputType: 'protobuf' as RecordSummary['outputType'],
    source: 'native-clear_refs',
    sourceLabel: 'the native engine',
    ops: 'vaddr',
    targets: [],
    nrSnapshots: 10,
    nrRegions: 10,
    bytes: 100,
    elapsedNs: 1e9,
    endReason: 'target-exit',
    targetExit: null,
    warnings: [],
    skippedSources: [],
    askedAggrUs: 100000,
    meanAggrIntervalNs: meanNs,
  };
}

describe('issue 14 item 9: stretched aggregation intervals are reported', () => {
  it("record's summary gives the mean real interval only when it is more than 10% off", () => {
    expect(aggregationStretchText(summary(167e6))).toMatch(/aggregation intervals averaged 167 ms, not the 100 ms asked/);
    expect(recordSummaryText(summary(167e6), 'the target exited')).toMatch(/averaged 167 ms/);
    expect(aggregationStretchText(summary(105e6))).toBeNull();
    expect(aggregationStretchText(summary(null))).toBeNull();
    expect(recordSummaryText(summary(105e6), 'the target exited')).not.toMatch(/averaged/);
  });

  it("the heatmap's colour bar says how long an aggregation really was", () => {
    expect(heatTitle(header, 167e6)).toMatch(/of 20 samples per 167 ms recorded, 100 ms asked/);
    expect(heatTitle(header, 101e6)).not.toMatch(/recorded/);
  });

  it('report wss and the heatmap image use the recorded intervals', () => {
    const path = join(dir, 'stretched.data');
    writeTrace(path, 167e6);
    const wss = runBin(['report', 'wss', '-i', path]);
    expect(wss.status, wss.stderr).toBe(0);
    expect(wss.stderr).toMatch(/aggregations averaged 167 ms, not the 100 ms asked/);
    const svg = join(dir, 'h.svg');
    const heats = runBin(['report', 'heats', '-i', path, '--heatmap', svg]);
    expect(heats.status, heats.stderr).toBe(0);
    expect(readFileSync(svg, 'utf8')).toMatch(/167 ms recorded, 100 ms asked/);

    const steady = join(dir, 'steady.data');
    writeTrace(steady, 100e6);
    expect(runBin(['report', 'wss', '-i', steady]).stderr).not.toMatch(/averaged/);
  });
});
