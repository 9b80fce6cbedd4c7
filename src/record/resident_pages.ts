// SPDX-License-Identifier: GPL-2.0-only
/**
 * Reads which pages of a process are resident, from /proc/PID/pagemap, for the `resident`
 * trace event (format/resident.ts). Each 64-bit pagemap entry has bit 63 set when the page
 * is present in memory (readable without privileges; only the frame numbers need
 * CAP_SYS_ADMIN), and bit 56 (PM_MMAP_EXCLUSIVE) when it is present and mapped exactly once
 * (`pte_to_pagemap_entry()` in fs/proc/task_mmu.c: `folio_precise_page_mapcount() == 1`);
 * present pages without it are the `resident-shared` event's: MADV_PAGEOUT and MADV_COLD
 * leave them alone. Only mappings that can hold pages are read: PROT_NONE mappings (guard
 * pages, address-space reservations such as V8's) cannot, and [vsyscall] is outside the
 * user address space.
 *
 * A reading walks the page tables of every mapped page, so it costs time in proportion to
 * the mapped size, not the resident size. The recorder keeps it to a small share of its
 * time with ResidentBudget.
 */
import { closeSync, openSync, readSync } from 'node:fs';

import { mergeRanges, type Ranges } from '../format/mappings.js';

/** Pagemap entries read per read(2): 512 KiB at a time. */
const ENTRIES_PER_READ = 65536;
/**
 * The pagemap entries of one read (512 KiB), kept between readings: a recorder reads
 * pagemap up to once a second, and zeroing a new buffer each time was 6-15 % of a
 * reading's CPU in the VM's profiles (docs/ACCURACY.md, Run 12).
 */
let readBuffer: Buffer | undefined;

/** Mapped ranges that can hold resident pages: every mapping but PROT_NONE and [vsyscall]. */
export function pageHoldingMappings(mapsText: string): Ranges {
  const out: Ranges = [];
  for (const line of mapsText.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) ([-r][-w][-x])/.exec(line);
    if (m === null || m[3] === '---' || line.endsWith('[vsyscall]')) continue;
    out.push([parseInt(m[1] as string, 16), parseInt(m[2] as string, 16)]);
  }
  return mergeRanges(out);
}

/** Bit 63 of a pagemap entry, in its high 32-bit word: PM_PRESENT. */
const PM_PRESENT_HI = 0x80000000;
/** Bit 56 of a pagemap entry, in its high 32-bit word: PM_MMAP_EXCLUSIVE. */
const PM_MMAP_EXCLUSIVE_HI = 0x01000000;

/**
 * Appends to `out` the runs of present pages among `nr` pagemap entries (as pairs of
 * little-endian 32-bit words) for the pages starting at `startAddr`; and to `shared`, when
 * given, the runs of present pages not mapped exclusively (bit 56 clear: mapped by more than
 * one page table, e.g. a library's page cache that other processes map too, or no normal
 * page at all, such as the zero page).
 */
export function appendPresentRuns(out: Ranges, words: Uint32Array, nr: number, startAddr: number, pageSz: number, shared?: Ranges): void {
  let runStart = -1;
  let sharedStart = -1;
  for (let i = 0; i < nr; i++) {
    const hi = words[2 * i + 1] ?? 0;
    const present = (hi & PM_PRESENT_HI) !== 0;
    if (present && runStart < 0) runStart = i;
    else if (!present && runStart >= 0) {
      out.push([startAddr + runStart * pageSz, startAddr + i * pageSz]);
      runStart = -1;
    }
    if (shared === undefined) continue;
    const isShared = present && (hi & PM_MMAP_EXCLUSIVE_HI) === 0;
    if (isShared && sharedStart < 0) sharedStart = i;
    else if (!isShared && sharedStart >= 0) {
      shared.push([startAddr + sharedStart * pageSz, startAddr + i * pageSz]);
      sharedStart = -1;
    }
  }
  if (runStart >= 0) out.push([startAddr + runStart * pageSz, startAddr + nr * pageSz]);
  if (shared !== undefined && sharedStart >= 0) shared.push([startAddr + sharedStart * pageSz, startAddr + nr * pageSz]);
}

/**
 * The resident pages of `pid` within `ranges`, or null when its pagemap cannot be read.
 * When `shared` is given, the resident pages not mapped exclusively are appended to it
 * (merged).
 */
export function readResidentPages(pid: number, ranges: Ranges, pageSz: number, shared?: Ranges): Ranges | null {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/pagemap`, 'r');
  } catch {
    return null;
  }
  readBuffer ??= Buffer.allocUnsafe(ENTRIES_PER_READ * 8);
  const buf = readBuffer;
  // Only the entries a read returned are looked at.
  const words = new Uint32Array(buf.buffer, buf.byteOffset, ENTRIES_PER_READ * 2);
  const out: Ranges = [];
  const sharedRuns: Ranges | undefined = shared === undefined ? undefined : [];
  try {
    for (const [start, end] of ranges) {
      for (let addr = start; addr < end; ) {
        const nr = Math.min(ENTRIES_PER_READ, Math.floor((end - addr) / pageSz));
        if (nr <= 0) break;
        const got = readSync(fd, buf, 0, nr * 8, (addr / pageSz) * 8);
        const nrGot = Math.floor(got / 8);
        if (nrGot === 0) break;
        appendPresentRuns(out, words, nrGot, addr, pageSz, sharedRuns);
        addr += nrGot * pageSz;
      }
    }
  } catch {
    // The process exited or unmapped a range while it was read: what was read stands.
  } finally {
    closeSync(fd);
  }
  if (shared !== undefined && sharedRuns !== undefined) shared.push(...mergeRanges(sharedRuns));
  return mergeRanges(out);
}

/**
 * When the next reading may happen: at least `minGapMs` after the last one, and at least
 * `costFactor` times the last reading's own duration after it, so that readings take at
 * most 1/costFactor of the recorder's time however large the mapped address space is.
 */
export class ResidentBudget {
  private nextMs = -Infinity;

  constructor(
    readonly minGapMs = 1000,
    readonly costFactor = 50,
  ) {}

  due(nowMs: number): boolean {
    return nowMs >= this.nextMs;
  }

  spent(startMs: number, endMs: number): void {
    this.nextMs = startMs + Math.max(this.minGapMs, this.costFactor * (endMs - startMs));
  }
}
