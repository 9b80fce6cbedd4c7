// SPDX-License-Identifier: GPL-2.0-only
/**
 * The address ranges of a recorded process that madvise refuses for MADV_PAGEOUT and
 * MADV_COLD: mappings whose VMA has VM_LOCKED, VM_PFNMAP or VM_HUGETLB set
 * (`can_madv_lru_vma()` in mm/madvise.c makes `madvise_pageout()` and `madvise_cold()`
 * return EINVAL for them). `madvise_walk_vmas()` stops at the first such VMA, and DAMOS's
 * `damos_madvise()` (mm/damon/vaddr.c) then counts 0 bytes applied for the whole region,
 * so a region that covers e.g. `[vvar]` (VmFlags `pf io`) applies nothing however large it
 * is. Simulate needs these ranges to count as the kernel does; the mapped ranges alone
 * (format/mappings.ts) cannot say which mappings they are.
 *
 * Stored as trace events of kind MADVISE_REFUSED_EVENT_KIND (docs/FORMAT.md), in the message
 * format of the mappings event (space-separated hex `start-end`; an empty message: none),
 * read from the VmFlags lines of /proc/PID/smaps at the recording's start and again after
 * the mappings change (at a bounded rate), written when the ranges changed.
 */
import { mergeRanges, type Ranges } from './mappings.js';

export const MADVISE_REFUSED_EVENT_KIND = 'madvise-refused';

/**
 * VmFlags mnemonics (fs/proc/task_mmu.c, show_smap_vma_flags) of the VMA flags
 * can_madv_lru_vma() rejects: `lo` VM_LOCKED, `pf` VM_PFNMAP, `ht` VM_HUGETLB.
 */
export const MADV_LRU_REFUSED_VM_FLAGS: readonly string[] = ['lo', 'pf', 'ht'];

/**
 * The ranges of the mappings in the text of /proc/PID/smaps whose VmFlags hold a flag
 * madvise refuses for pageout and cold, adjacent ones merged. [vsyscall] is left out as
 * in the mappings (above the user address space, never in a DAMON region).
 */
export function parseSmapsRefused(text: string): Ranges {
  const out: Ranges = [];
  let current: [number, number] | null = null;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (head !== null) {
      current = line.endsWith('[vsyscall]') ? null : [parseInt(head[1] as string, 16), parseInt(head[2] as string, 16)];
      continue;
    }
    if (current === null || !line.startsWith('VmFlags:')) continue;
    const flags = line.slice('VmFlags:'.length).trim().split(/\s+/);
    if (flags.some((f) => MADV_LRU_REFUSED_VM_FLAGS.includes(f))) out.push(current);
    current = null;
  }
  return mergeRanges(out);
}

/** Whether madvise refuses this action on VM_LOCKED/VM_PFNMAP/VM_HUGETLB mappings. */
export function actionRefusedOnLruVmas(action: string): boolean {
  return action === 'pageout' || action === 'cold';
}
