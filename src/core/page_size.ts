// SPDX-License-Identifier: GPL-2.0-only
/**
 * The page size, from one place: the running system's, as the kernel tells this process in
 * its auxiliary vector (AT_PAGESZ in /proc/self/auxv; what sysconf(_SC_PAGESIZE) returns).
 * Read once, on first use, in microseconds.
 */
import { readFileSync } from 'node:fs';

import { DamoError } from './errors.js';
import type { TraceHeader } from './model.js';

/** auxv entry types (include/uapi/linux/auxvec.h). */
const AT_NULL = 0n;
const AT_PAGESZ = 6n;

let cached: number | null = null;

/** Parses a 64-bit auxiliary vector: pairs of (type, value), ended by AT_NULL. */
export function pageSizeFromAuxv(auxv: Buffer): number | null {
  for (let o = 0; o + 16 <= auxv.length; o += 16) {
    const type = auxv.readBigUInt64LE(o);
    if (type === AT_NULL) break;
    if (type === AT_PAGESZ) return Number(auxv.readBigUInt64LE(o + 8));
  }
  return null;
}

/** The page size of the running system, in bytes. */
export function pageSizeBytes(): number {
  if (cached !== null) return cached;
  let size: number | null;
  try {
    size = pageSizeFromAuxv(readFileSync('/proc/self/auxv'));
  } catch (err) {
    throw new DamoError('E_UNSUPPORTED', `cannot read the page size from /proc/self/auxv (${(err as Error).message})`, {
      hint: 'damo-ts needs Linux with /proc mounted',
    });
  }
  if (size === null || !(size > 0)) throw new DamoError('E_UNSUPPORTED', '/proc/self/auxv has no AT_PAGESZ entry');
  cached = size;
  return size;
}

/** The page size of the machine a recording was made on, or this machine's when it does not say. */
export function recordedPageSizeBytes(header: TraceHeader): number {
  const recorded = header.host?.pageSizeBytes ?? 0;
  return recorded > 0 ? recorded : pageSizeBytes();
}

/**
 * The page size synthetic recordings and access patterns assume, whatever the machine, so
 * that the same seed gives the same bytes everywhere.
 */
export const SYNTHETIC_PAGE_BYTES = 4096;
