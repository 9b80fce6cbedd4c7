// SPDX-License-Identifier: GPL-2.0-only
/**
 * The resident pages of a recorded process: which of its mapped pages were in memory, as
 * the recorder read them from /proc/PID/pagemap (bit 63, "page present"). A scheme acts on
 * memory, not on address space: MADV_PAGEOUT of a mapped page that was never faulted in
 * frees nothing, so readers that predict what an action does to memory (simulate) count
 * only these pages.
 *
 * Stored as trace events of kind RESIDENT_EVENT_KIND (docs/FORMAT.md), in the message
 * format of the mappings event (space-separated hex `start-end`, adjacent pages merged),
 * written at the recording's start and whenever the resident pages changed, no more often
 * than the recorder's reading budget allows (record/resident_pages.ts). Between two
 * readings the resident set is not known: readers take the last reading before.
 */
import type { TraceEvent } from '../core/model.js';
import { PROGRAM_IMAGES_EVENT_KIND } from './program_images.js';
import { MADVISE_REFUSED_EVENT_KIND } from './madvise_refused.js';
import { MAPPINGS_EVENT_KIND, rangeHistoriesFromEvents, type MappingHistory } from './mappings.js';
import { sniffFile } from './open.js';

export const RESIDENT_EVENT_KIND = 'resident';

/**
 * The resident pages, of the same reading, that are not mapped exclusively (pagemap bit 56,
 * PM_MMAP_EXCLUSIVE, clear): a library's pages that other processes map too, pages a
 * forked child still shares with its parent. MADV_PAGEOUT and MADV_COLD leave them alone
 * (`madvise_cold_or_pageout_pte_range()` in mm/madvise.c skips a folio when
 * `folio_likely_mapped_shared()`), so simulate does not count them as paged out or
 * deactivated. Written with each `resident` event whose shared pages changed.
 */
export const RESIDENT_SHARED_EVENT_KIND = 'resident-shared';

const RECORDED_MEMORY_KINDS: ReadonlySet<string> = new Set([MAPPINGS_EVENT_KIND, RESIDENT_EVENT_KIND, RESIDENT_SHARED_EVENT_KIND, MADVISE_REFUSED_EVENT_KIND, PROGRAM_IMAGES_EVENT_KIND]);

export interface RecordedMemory {
  /** Per target index: what the process had mapped. */
  mappings: Map<number, MappingHistory>;
  /** Per target index: which of its pages were resident, at each reading. */
  resident: Map<number, MappingHistory>;
  /** Per target index: how many resident-page readings the recording holds. */
  nrResidentReadings: Map<number, number>;
  /**
   * Per target index: the ranges madvise refuses for pageout and cold
   * (format/madvise_refused.ts); empty for recordings made before they were recorded.
   */
  madviseRefused: Map<number, MappingHistory>;
  /**
   * Per target index: the resident pages mapped by more than one page table, at each reading
   * (RESIDENT_SHARED_EVENT_KIND); empty for recordings made before they were recorded.
   */
  residentShared: Map<number, MappingHistory>;
  /**
   * Per target index: the program images (format/program_images.ts); empty for recordings
   * made before they were recorded.
   */
  programImages: Map<number, MappingHistory>;
}

/**
 * The mappings and resident pages recorded in the file at `path`, in one pass. Only our
 * trace format stores them: other formats, and recordings made before they were recorded,
 * give empty maps (an empty `resident` with non-empty `mappings`: a recording made before
 * resident pages were recorded).
 */
export async function readRecordedMemory(path: string, strict = false): Promise<RecordedMemory> {
  const empty: RecordedMemory = { mappings: new Map(), resident: new Map(), nrResidentReadings: new Map(), madviseRefused: new Map(), residentShared: new Map(), programImages: new Map() };
  if ((await sniffFile(path)) !== 'protobuf') return empty;
  const { openProtobufTrace } = await import('./trace_reader.js');
  const trace = await openProtobufTrace(path, { strict });
  const events: TraceEvent[] = [];
  for await (const r of trace.records()) {
    if (r.kind === 'event' && RECORDED_MEMORY_KINDS.has(r.event.kind)) events.push(r.event);
  }
  const nrResidentReadings = new Map<number, number>();
  for (const e of events) {
    if (e.kind === RESIDENT_EVENT_KIND) nrResidentReadings.set(e.targetIndex ?? 0, (nrResidentReadings.get(e.targetIndex ?? 0) ?? 0) + 1);
  }
  return {
    mappings: rangeHistoriesFromEvents(events, MAPPINGS_EVENT_KIND),
    resident: rangeHistoriesFromEvents(events, RESIDENT_EVENT_KIND),
    nrResidentReadings,
    madviseRefused: rangeHistoriesFromEvents(events, MADVISE_REFUSED_EVENT_KIND),
    residentShared: rangeHistoriesFromEvents(events, RESIDENT_SHARED_EVENT_KIND),
    programImages: rangeHistoriesFromEvents(events, PROGRAM_IMAGES_EVENT_KIND),
  };
}
