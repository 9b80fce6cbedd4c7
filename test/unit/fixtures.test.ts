// SPDX-License-Identifier: GPL-2.0-only
/**
 * The damo fixtures in test/fixtures/damo are the bytes test/fixtures/README.md says they
 * are: the gzipped copies unpack to damo's files, checked by their git blob hashes.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { damoFixture, readDamoFixture } from '../fixtures/damo_fixtures.js';

function gitBlobHash(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

describe('damo fixtures', () => {
  it.each([
    ['damo-3.3.0-tests-report/expects/report-heats.gz', '49fc8566b18e3dcdef01fe0b95d6127028953ad8'],
    ['generated/v2.4.9-report-heats.gz', 'e21fda62db81cde8c661f8156e36afbe52ba7e21'],
  ])('%s gunzips to the blob damo has', (name, blob) => {
    expect(gitBlobHash(gunzipSync(readDamoFixture(name)))).toBe(blob);
  });

  it('unpacks a file stored gzipped to its original size', () => {
    expect(readDamoFixture('damon.data.legacy-recfmt2').length).toBe(212_856);
    expect(readDamoFixture('damo-3.3.0-tests-report/perf.data.script').length).toBe(1_508_397);
    // The legacy format starts with its version string.
    expect(readDamoFixture('damon.data.legacy-recfmt2').subarray(0, 16).toString('latin1')).toBe('damon_recfmt_ver');
  });

  it('names a missing fixture', () => {
    expect(() => damoFixture('no/such/file')).toThrow(/no fixture no\/such\/file/);
  });
});
