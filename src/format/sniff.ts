// SPDX-License-Identifier: GPL-2.0-only
/**
 * Tells recording formats apart by their first bytes. damo runs file(1) for this, which
 * misreads damo's own JSON on newer `file` versions ("JSON text data"); we never do.
 */

import { isProtobufTrace, looksLikeDamagedMagic } from './frame.js';

export type SniffedFormat =
  | 'protobuf'
  | 'json_compressed'
  | 'json'
  | 'legacy'
  | 'legacy_headerless'
  | 'perf_script'
  | 'perf_data'
  | 'gzip'
  | 'empty'
  | 'unknown';

/** How many leading bytes sniff() wants to see (fewer is fine for short files). */
export const SNIFF_BYTES = 64 * 1024;

function startsWith(b: Uint8Array, prefix: ArrayLike<number>): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

const LEGACY_MAGIC = ascii('damon_recfmt_ver');
const PERF_MAGIC = ascii('PERFILE2');

/** A zlib (RFC 1950) header: deflate method, window <= 32K, FCHECK valid. */
export function isZlibHeader(b: Uint8Array): boolean {
  if (b.length < 2) return false;
  const cmf = b[0] as number;
  const flg = b[1] as number;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

function isMostlyText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = b[i] as number;
    if (c === 0) return false;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

const DAMON_EVENT_RE = /damon_aggregated:|damos_before_apply:|damon_monitor_intervals_tune:/;

/** A headerless (version 0) legacy record: the first block must look sane. */
function looksLikeHeaderlessLegacy(b: Uint8Array): boolean {
  if (b.length < 20 + 12) return false;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const sec = v.getBigInt64(0, true);
  const nsec = v.getBigInt64(8, true);
  const nrTargets = v.getUint32(16, true);
  if (sec < 0n || sec > 1n << 40n || nsec < 0n || nsec >= 1_000_000_000n) return false;
  if (nrTargets === 0 || nrTargets > 4096) return false;
  const nrRegions = v.getUint32(28, true);
  return nrRegions > 0 && nrRegions <= 1 << 24;
}

export function sniff(first: Uint8Array): SniffedFormat {
  if (first.length === 0) return 'empty';
  // A damaged magic goes to the trace reader too, which reports it as damage.
  if (isProtobufTrace(first) || looksLikeDamagedMagic(first)) return 'protobuf';
  if (startsWith(first, LEGACY_MAGIC)) return 'legacy';
  if (startsWith(first, PERF_MAGIC)) return 'perf_data';
  if (first[0] === 0x1f && first[1] === 0x8b) return 'gzip';
  if (isMostlyText(first)) {
    let i = 0;
    if (first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) i = 3;
    while (i < first.length && (first[i] === 0x20 || first[i] === 0x0a || first[i] === 0x0d || first[i] === 0x09)) i++;
    // A JSON object is read as json too, so the reader can say it is the wrong shape.
    if (first[i] === 0x5b || first[i] === 0x7b) return 'json';
    const text = new TextDecoder('utf-8', { fatal: false }).decode(first);
    if (DAMON_EVENT_RE.test(text)) return 'perf_script';
  }
  // Checked after text: 'x' followed by a blank is also a valid zlib header.
  if (isZlibHeader(first)) return 'json_compressed';
  if (isMostlyText(first)) return 'unknown';
  if (looksLikeHeaderlessLegacy(first)) return 'legacy_headerless';
  return 'unknown';
}
