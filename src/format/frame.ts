// SPDX-License-Identifier: GPL-2.0-only
/**
 * Framing of damo-ts trace files (docs/FORMAT.md):
 *
 *   file  := MAGIC frame*
 *   frame := u32le payload_len | u8 type | u8[3] zero | u32le crc32(first 8 bytes)
 *            | payload | u32le crc32(payload)
 *
 * The frame header carries its own checksum so that a damaged length is reported as
 * corruption rather than mistaken for a truncated file. Each frame is written with a single
 * write() call, so a crash can only cut the last frame short.
 */
import { crc32 } from 'node:zlib';

/** "\x89DAMOTR\n": the high byte keeps text sniffers away, the newline catches CRLF mangling. */
export const TRACE_MAGIC = Uint8Array.from([0x89, 0x44, 0x41, 0x4d, 0x4f, 0x54, 0x52, 0x0a]);

export const FRAME_HEADER_BYTES = 12;
export const FRAME_TRAILER_BYTES = 4;
export const FRAME_OVERHEAD_BYTES = FRAME_HEADER_BYTES + FRAME_TRAILER_BYTES;
/** Largest payload a reader accepts; a snapshot of 10 million regions is about 70 MiB. */
export const MAX_PAYLOAD_BYTES = 1 << 30;

export enum FrameType {
  Header = 1,
  Snapshot = 2,
  SchemeStats = 3,
  Event = 4,
  Trailer = 5,
  /** One or more snapshots, format version 2 (src/format/snapshot_block.ts). */
  SnapshotBlock = 6,
}

export function encodeFrame(type: FrameType, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_OVERHEAD_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame[4] = type;
  frame[5] = 0;
  frame[6] = 0;
  frame[7] = 0;
  frame.writeUInt32LE(crc32(frame.subarray(0, 8)), 8);
  frame.set(payload, FRAME_HEADER_BYTES);
  frame.writeUInt32LE(crc32(payload), FRAME_HEADER_BYTES + payload.length);
  return frame;
}

export type FrameHeaderCheck =
  | { ok: true; type: number; payloadBytes: number }
  | { ok: false; reason: string };

/** Validates the 12-byte frame header at `offset` of `buf` (which must hold all 12 bytes). */
export function checkFrameHeader(buf: Uint8Array, offset: number): FrameHeaderCheck {
  const view = Buffer.from(buf.buffer, buf.byteOffset + offset, FRAME_HEADER_BYTES);
  const expected = view.readUInt32LE(8);
  if (crc32(view.subarray(0, 8)) !== expected) {
    return { ok: false, reason: 'frame header checksum mismatch' };
  }
  if (view[5] !== 0 || view[6] !== 0 || view[7] !== 0) {
    return { ok: false, reason: 'frame header has non-zero reserved bytes (written by a newer version?)' };
  }
  const payloadBytes = view.readUInt32LE(0);
  if (payloadBytes > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: `frame length ${payloadBytes} exceeds the ${MAX_PAYLOAD_BYTES}-byte limit` };
  }
  return { ok: true, type: view[4] ?? 0, payloadBytes };
}

export function payloadChecksumOk(payload: Uint8Array, storedCrc: number): boolean {
  return crc32(payload) === storedCrc;
}

/** Number of bytes of `prefix` that differ from the magic (for "damaged" vs "not a trace"). */
export function magicDistance(prefix: Uint8Array): number {
  let diff = 0;
  for (let i = 0; i < TRACE_MAGIC.length; i++) {
    if (prefix[i] !== TRACE_MAGIC[i]) diff++;
  }
  return diff;
}

/**
 * One or two bytes of the magic changed, or a text-mode transfer turned its final newline
 * into CR LF: a damaged trace rather than another format.
 */
export function looksLikeDamagedMagic(prefix: Uint8Array): boolean {
  if (prefix.length < TRACE_MAGIC.length) return false;
  return magicDistance(prefix) <= 2;
}

export function isProtobufTrace(firstBytes: Uint8Array): boolean {
  return firstBytes.length >= TRACE_MAGIC.length && magicDistance(firstBytes) === 0;
}
