// SPDX-License-Identifier: GPL-2.0-only
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { openProtobufTrace } from '../../src/format/trace_reader.js';
import { runBin, runMain } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'damo-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('damo synth', () => {
  it('writes a readable trace with the requested shape', async () => {
    const out = join(dir, 'a.data');
    const r = runBin(['synth', '-o', out, '--snapshots', '12', '--regions', '7', '--targets', '2']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`wrote ${out}`);
    const trace = await openProtobufTrace(out, { strict: true });
    expect(trace.header.targets.length).toBe(2);
    let n = 0;
    for await (const s of trace.snapshots()) {
      expect(s.starts.length).toBe(7);
      n++;
    }
    expect(n).toBe(12);
    expect(trace.trailer()?.endReason).toBe('synthetic');
  });

  it('is deterministic for a seed', async () => {
    const { readFileSync } = await import('node:fs');
    const a = join(dir, 'b1.data');
    const b = join(dir, 'b2.data');
    expect((await runMain(['synth', '-o', a, '--seed', '5'])).code).toBe(0);
    expect((await runMain(['synth', '-o', b, '--seed', '5'])).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it('rejects a bad number as a usage error', async () => {
    const r = await runMain(['synth', '--regions', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'lots' is not an integer");
  });

  it('fails with exit 1 and a one-line message when the output is not writable', async () => {
    const r = await runMain(['synth', '-o', join(dir, 'no/such/dir/x.data')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^damo: cannot write .*x\.data: directory .* does not exist/m);
    expect(r.stderr).not.toContain('    at ');
  });
});

describe('damo synth intervals', () => {
  it('honours --aggr_us and --sample_us', async () => {
    const out = join(dir, 'iv.data');
    expect((await runMain(['synth', '-o', out, '--snapshots', '3', '--aggr_us', '200000', '--sample_us', '10000'])).code).toBe(0);
    const trace = await openProtobufTrace(out);
    expect(trace.header.intervals).toEqual({ sampleUs: 10000, aggrUs: 200000, opsUpdateUs: 1000000 });
    const ends: number[] = [];
    for await (const s of trace.snapshots()) ends.push(s.endNs - s.startNs);
    expect(ends).toEqual([200e6, 200e6, 200e6]);
  });
});
