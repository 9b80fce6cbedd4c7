// SPDX-License-Identifier: GPL-2.0-only
/**
 * Which bytes simulate and tune count as memory: DAMON's vaddr regions span the gaps
 * between a process's mappings (a 128 MiB process's regions covered 764 MiB on this host),
 * and most mapped bytes of a process may never be faulted in (a 120 MiB file mapping of
 * which 12 MiB are read), so counting whole regions reports more paged-out memory than the
 * process ever had. The recorded mappings (format/mappings.ts) say which bytes were mapped,
 * the recorded resident pages (format/resident.ts) which of those were in memory.
 */
import type { DamonOps, TraceHeader } from '../core/model.js';
import type { MappingHistory } from '../format/mappings.js';
import { readRecordedMemory } from '../format/resident.js';

export interface MappedBytes {
  /** Per target index; absent when the recording has none (or for physical memory). */
  mappings?: Map<number, MappingHistory>;
  /** Per target index, the resident pages; absent when the recording has none. */
  resident?: Map<number, MappingHistory>;
  /**
   * Per target index, the ranges madvise refuses for pageout and cold
   * (format/madvise_refused.ts); absent when the recording has none.
   */
  madviseRefused?: Map<number, MappingHistory>;
  /**
   * Per target index, the resident pages mapped by more than one page table
   * (format/resident.ts RESIDENT_SHARED_EVENT_KIND); absent when the recording has none.
   */
  residentShared?: Map<number, MappingHistory>;
  /**
   * Per target index, the program images (format/program_images.ts); absent when the
   * recording has none.
   */
  programImages?: Map<number, MappingHistory>;
  /** What the effect figures count, for the report's notes. */
  note: string;
  /** What the effect bytes are: region bytes, mapped bytes, or resident bytes. */
  basis: 'regions' | 'mapped' | 'resident';
}

export async function mappedBytesFor(input: string, header: TraceHeader, ops: DamonOps, strict: boolean): Promise<MappedBytes> {
  const estimate = 'effect bytes are estimates from the trace: a range stays in the state an action put it in until the trace shows it accessed again';
  if (ops === 'paddr') return { note: `${estimate}; physical address ranges count in full`, basis: 'regions' };
  const { mappings, resident, nrResidentReadings, madviseRefused, residentShared, programImages } = await readRecordedMemory(input, strict);
  if (mappings.size === 0) {
    return {
      note:
        `${estimate}; ${input} has no record of the process's mappings, so whole regions count, including gaps between ` +
        `mappings that never held memory (the figures can exceed the process's size; recordings made by damo-ts record the mappings)`,
      basis: 'regions',
    };
  }
  const imagesNote =
    programImages.size > 0
      ? '; refaults count the pages a region\'s accesses would reach with new pages in every sampling interval, but in program ' +
        'and library images (code, constants) only the share seen accessed in one interval: code runs from the same pages again and again'
      : `; ${input} has no record of its program images (recorded before damo-ts recorded them), so refaults in code and ` +
        'constants count new pages in every sampling interval, as in data, which can be several times what the kernel sees there';
  // Targets not recorded keep counting whole regions.
  const partial = header.targets.length > mappings.size ? ' (targets without recorded mappings count whole regions)' : '';
  const refusedNote =
    madviseRefused.size > 0
      ? '; pageout and cold count 0 for a region over a mapping madvise refuses (VmFlags lo, pf or ht in /proc/PID/smaps, ' +
        'e.g. [vvar]) and act only on the pages before it, as the kernel does'
      : `; ${input} has no record of the mappings madvise refuses (VmFlags lo, pf or ht, e.g. [vvar]; recorded before ` +
        'damo-ts recorded them), so pageout and cold regions over them count as applied where the kernel counts 0';
  const refusedPart = madviseRefused.size > 0 ? { madviseRefused } : {};
  const programImagesPart = programImages.size > 0 ? { programImages } : {};
  const szApplied =
    'sz_applied counts a region only when it is mapped end to end, as the kernel does (madvise fails with ENOMEM over an unmapped gap and DAMOS then counts 0)' +
    refusedNote;
  if (resident.size === 0) {
    return {
      mappings,
      ...refusedPart,
      ...programImagesPart,
      note:
        `${estimate}; ${szApplied}; only bytes the process had mapped count (recorded mappings)${partial}, resident or not: ` +
        `${input} has no record of resident pages (recorded before damo-ts recorded them), so pages never faulted in count as ` +
        'paged out or deactivated too, and the effect bytes can be far above what the kernel would free' + imagesNote,
      basis: 'mapped',
    };
  }
  const readings = [...nrResidentReadings.values()];
  const nrReadings = readings.length === 1 ? `${readings[0]} readings` : `${Math.min(...readings)}-${Math.max(...readings)} readings per target`;
  const partialResident = mappings.size > resident.size ? ' (targets without them count mapped bytes)' : '';
  const sharedNote =
    residentShared.size > 0
      ? '; pageout and cold leave pages mapped by other processes too (pagemap bit 56 clear) alone, as the kernel does'
      : `; ${input} has no record of which resident pages other processes map too (recorded before damo-ts recorded them), ` +
        'so pageout and cold count them as paged out or deactivated where the kernel leaves them alone';
  return {
    mappings,
    resident,
    ...refusedPart,
    ...programImagesPart,
    ...(residentShared.size > 0 ? { residentShared } : {}),
    note:
      `${estimate}; ${szApplied}; effects count only pages that were resident (present in /proc/PID/pagemap) at the ` +
      `recorder's readings (${nrReadings} that changed the resident set, taken at most once a second), between two ` +
      `readings the pages that came or went in proportion to the time${partialResident}: an estimate, since when a page ` +
      'came or went between readings is not known, and the recorded run had no scheme freeing its pages' + sharedNote + imagesNote + partial,
    basis: 'resident',
  };
}
