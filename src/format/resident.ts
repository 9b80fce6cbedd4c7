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
import { MADVISE_REFUSED_EVENT_KIND } from './madvise_refused.js';
import { MAPPINGS_EVENT_KIND, rangeHistoriesFromEvents, type MappingHistory } from './mappings.js';
import { sniffFile } from './open.js';

export const RESIDENT_EVENT_KIND = 'resident';

const RECORDED_MEMORY_KINDS: ReadonlySet<string> = new Set([MAPPINGS_EVENT_KIND, RESIDENT_EVENT_KIND, MADVISE_REFUSED_EVENT_KIND]);

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
}

/**
 * The mappings and resident pages recorded in the file at `path`, in one pass. Only our
 * trace format stores them: other formats, and recordings made before they were recorded,
 * give empty maps (an empty `resident` with non-empty `mappings`: a recording made before
 * resident pages were recorded).
 */
export async function readRecordedMemory(path: string, strict = false): Promise<RecordedMemory> {
  const empty: RecordedMemory = { mappings: new Map(), resident: new Map(), nrResidentReadings: new Map(), madviseRefused: new Map() };
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
  };
}
