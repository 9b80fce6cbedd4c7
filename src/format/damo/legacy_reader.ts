// SPDX-License-Identifier: GPL-2.0-only
/**
 * Reader for the legacy binary "record" file the DAMON debugfs interface wrote and damo read
 * up to v1.9.9 (damo type name `record`).
 *
 * Native little-endian, no padding:
 *   [ "damon_recfmt_ver" (16 bytes) | int32 fmt_version ]   absent => version 0
 *   repeat: int64 tv_sec | int64 tv_nsec | uint32 nr_targets
 *           nr_targets x { target_id (int32 pid in v1, uint64 otherwise) | uint32 nr_regions
 *                          nr_regions x { uint64 start | uint64 end | uint32 nr_accesses } }
 * The time is the snapshot's end (CLOCK_MONOTONIC coarse); start times follow damo's
 * deduction (records.ts). There is no age. damo stops reading when fewer than 16 bytes
 * remain; a block cut anywhere else is reported with its byte offset.
 */
import { readFile } from 'node:fs/promises';

import { DamoError, errorMessage } from '../../core/errors.js';
import { emptyHeader } from '../../core/model.js';
import {
  deduceFirstStartTimes,
  finishRecords,
  MemoryTraceSource,
  RegionAccumulator,
  type AbsTime,
  type PendingRecord,
} from './records.js';

export const LEGACY_MAGIC = 'damon_recfmt_ver';

/** Plausibility limits so that a random file is not taken as a headerless record. */
const MAX_TARGETS = 1 << 16;
const MAX_REGIONS = 1 << 24;

export function hasLegacyMagic(first: Uint8Array): boolean {
  if (first.length < 16) return false;
  for (let i = 0; i < 16; i++) if (first[i] !== LEGACY_MAGIC.charCodeAt(i)) return false;
  return true;
}

export interface LegacyParseResult {
  version: number;
  records: PendingRecord[];
  warnings: string[];
}

class Cut extends Error {
  constructor(readonly offset: number, readonly what: string) {
    super(what);
  }
}

export function parseLegacy(path: string, data: Uint8Array, opts: { strict?: boolean } = {}): LegacyParseResult {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  let version = 0;
  if (hasLegacyMagic(data)) {
    if (data.length < 20) throw new DamoError('E_FORMAT', `${path}: legacy record header is cut short (${data.length} bytes)`);
    version = view.getInt32(16, true);
    if (version < 0 || version > 2) {
      throw new DamoError('E_FORMAT', `${path}: unsupported legacy record format version ${version} (damo wrote 0, 1 and 2)`);
    }
    off = 20;
  }
  const warnings: string[] = [];
  const records: PendingRecord[] = [];
  const byId = new Map<bigint, PendingRecord>();
  const acc = new RegionAccumulator();
  const idBytes = version === 1 ? 4 : 8;
  const need = (at: number, n: number, what: string): void => {
    if (at + n > data.length) throw new Cut(at, what);
  };
  let nrBlocks = 0;
  try {
    while (data.length - off >= 16) {
      const blockAt = off;
      const sec = view.getBigInt64(off, true);
      const nsec = view.getBigInt64(off + 8, true);
      off += 16;
      need(off, 4, 'the number of targets');
      const nrTargets = view.getUint32(off, true);
      off += 4;
      if (nrTargets > MAX_TARGETS) {
        throw new DamoError('E_FORMAT', `${path}: block at byte ${blockAt} claims ${nrTargets} targets; not a legacy damo record file`);
      }
      const timeBig = sec * 1_000_000_000n + nsec;
      const endNs: AbsTime = timeBig >= -(2n ** 53n) && timeBig <= 2n ** 53n ? Number(timeBig) : timeBig;
      for (let t = 0; t < nrTargets; t++) {
        need(off, idBytes + 4, `target ${t} of the block at byte ${blockAt}`);
        const id = version === 1 ? BigInt(view.getInt32(off, true)) : view.getBigUint64(off, true);
        off += idBytes;
        const nrRegions = view.getUint32(off, true);
        off += 4;
        if (nrRegions > MAX_REGIONS) {
          throw new DamoError('E_FORMAT', `${path}: target at byte ${off - 4} claims ${nrRegions} regions; not a legacy damo record file`);
        }
        for (let r = 0; r < nrRegions; r++) {
          need(off, 20, `region ${r} of ${nrRegions} of target ${id} in the block at byte ${blockAt}`);
          const start = Number(view.getBigUint64(off, true));
          const end = Number(view.getBigUint64(off + 8, true));
          const nrAccesses = view.getUint32(off + 16, true);
          acc.push(start, end, nrAccesses, -1, 0);
          off += 20;
        }
        let record = byId.get(id);
        if (record === undefined) {
          record = { target: { id }, snapshots: [] };
          byId.set(id, record);
          records.push(record);
        }
        const prev = record.snapshots[record.snapshots.length - 1];
        const regions = acc.take();
        delete regions.szFilterPassed;
        record.snapshots.push({ start: prev === undefined ? null : prev.end, end: endNs, ...regions });
      }
      nrBlocks++;
    }
  } catch (e) {
    if (e instanceof Cut) {
      throw new DamoError('E_FORMAT', `${path}: the legacy record file is cut in the middle of ${e.what} (at byte ${e.offset} of ${data.length}; truncated file?)`);
    }
    throw e;
  }
  if (off < data.length) {
    const msg = `${path}: ${data.length - off} trailing bytes after the last complete block ignored`;
    if (opts.strict === true) throw new DamoError('E_TRUNCATED', msg);
    warnings.push(msg);
  }
  if (nrBlocks === 0) throw new DamoError('E_FORMAT', `${path}: the legacy record file has no snapshots`);
  return { version, records, warnings };
}

export async function readLegacy(path: string, opts: { strict?: boolean } = {}): Promise<MemoryTraceSource> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    throw new DamoError('E_IO', `${path}: reading failed: ${errorMessage(e)}`, { cause: e });
  }
  const result = parseLegacy(path, data, opts);
  const header = emptyHeader({ source: 'damo-legacy', clock: 'monotonic' });
  deduceFirstStartTimes(result.records, null);
  const perTarget = finishRecords(result.records, header);
  return new MemoryTraceSource(path, header, perTarget, result.warnings);
}
