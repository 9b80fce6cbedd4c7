// SPDX-License-Identifier: GPL-2.0-only
/**
 * Writer of the legacy binary record (`damon_recfmt_ver` version 2), as damo's
 * `write_binary` (<= v1.9.9) wrote it: one target per block, blocks record by record, and a
 * fake snapshot (region 0-0, nr_accesses -1) after a record's only snapshot so that a reader
 * can deduce its start time. nr_accesses is a u32 in this format, so the fake's -1 is stored
 * as 0xffffffff; our reader recognises both.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

import { DamoError, errorMessage } from '../../core/errors.js';
import type { Snapshot, TraceSource } from '../../core/model.js';
import { targetSnapshots } from '../../core/trace_walk.js';
import { LEGACY_MAGIC } from './legacy_reader.js';

const FLUSH_BYTES = 1 << 20;

export async function writeLegacy(src: TraceSource, path: string, opts: { mode?: number } = {}): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, 'w', opts.mode ?? 0o644);
  } catch (e) {
    throw new DamoError('E_IO', `${path}: cannot create: ${errorMessage(e)}`, { cause: e });
  }
  const chunks: Buffer[] = [];
  let pending = 0;
  const flush = (): void => {
    if (pending === 0) return;
    const b = Buffer.concat(chunks);
    chunks.length = 0;
    pending = 0;
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
  };
  const push = (b: Buffer): void => {
    chunks.push(b);
    pending += b.length;
    if (pending >= FLUSH_BYTES) flush();
  };
  const base = src.header.baseTimeNs;
  const block = (endNs: number, id: bigint, s: Pick<Snapshot, 'starts' | 'ends' | 'nrAccesses'>): void => {
    const n = s.starts.length;
    const b = Buffer.alloc(16 + 4 + 8 + 4 + n * 20);
    const abs = base + BigInt(Math.trunc(endNs));
    b.writeBigInt64LE(abs / 1_000_000_000n, 0);
    b.writeBigInt64LE(abs % 1_000_000_000n, 8);
    b.writeUInt32LE(1, 16);
    b.writeBigUInt64LE(BigInt.asUintN(64, id), 20);
    b.writeUInt32LE(n, 28);
    let off = 32;
    for (let i = 0; i < n; i++) {
      b.writeBigUInt64LE(BigInt(s.starts[i] as number), off);
      b.writeBigUInt64LE(BigInt(s.ends[i] as number), off + 8);
      const nr = s.nrAccesses[i] as number;
      b.writeUInt32LE(nr < 0 ? 0xffffffff : Math.min(0xffffffff, Math.trunc(nr)), off + 16);
      off += 20;
    }
    push(b);
  };
  try {
    const head = Buffer.alloc(20);
    head.write(LEGACY_MAGIC, 0, 'latin1');
    head.writeInt32LE(2, 16);
    push(head);
    for (let t = 0; t < src.header.targets.length; t++) {
      const id = src.header.targets[t]?.id ?? BigInt(t);
      let count = 0;
      let only: Snapshot | undefined;
      for await (const s of targetSnapshots(src, t)) {
        block(s.endNs, id, s);
        count++;
        only = count === 1 ? s : undefined;
      }
      if (only !== undefined) {
        const duration = only.endNs - only.startNs;
        block(only.endNs + duration, id, { starts: Float64Array.of(0), ends: Float64Array.of(0), nrAccesses: Float64Array.of(-1) });
      }
    }
    flush();
  } catch (e) {
    if (e instanceof DamoError) throw e;
    throw new DamoError('E_IO', `${path}: writing failed: ${errorMessage(e)}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}
