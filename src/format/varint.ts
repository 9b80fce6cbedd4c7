// SPDX-License-Identifier: GPL-2.0-only
/**
 * LEB128 varints of non-negative integers below 2^53, as the coded snapshots of our trace
 * (snapshot_block.ts, docs/FORMAT.md) and the coded keep of large damo files
 * (damo/coded_kept_snapshots.ts) write them. A module of its own so that damo's readers
 * use it without loading the trace's protobuf codec.
 */
import { DamoError } from '../core/errors.js';

const TWO_POW_32 = 2 ** 32;

/** Writes v, a non-negative integer below 2^53, as LEB128 at p (room: 8 bytes); returns the end. */
export function putUvarintAt(b: Uint8Array, p: number, v: number): number {
  if (v < TWO_POW_32) {
    let x = v >>> 0;
    while (x >= 0x80) {
      b[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    b[p++] = x;
    return p;
  }
  while (v >= 0x80) {
    b[p++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  b[p++] = v;
  return p;
}

/**
 * Position after the last varint readVarint() read: a module variable rather than a
 * returned pair, so that the decoders' hot loops allocate nothing.
 */
export let varintCursor = 0;

/** Reads a varint at `pos` (below 2^56); sets varintCursor after it. Past the end it gives NaN. */
export function readVarint(raw: Uint8Array, pos: number): number {
  let b = raw[pos++] as number;
  if (b < 0x80) {
    varintCursor = pos;
    return b;
  }
  let v = b & 0x7f;
  let scale = 128;
  for (let i = 1; i < 8; i++) {
    b = raw[pos++] as number;
    v += (b & 0x7f) * scale;
    if (b < 0x80) {
      varintCursor = pos;
      return v;
    }
    scale *= 128;
  }
  throw new DamoError('E_CORRUPT', 'varint longer than 8 bytes in a snapshot block');
}
