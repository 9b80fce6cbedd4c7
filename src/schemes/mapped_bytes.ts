// SPDX-License-Identifier: GPL-2.0-only
/**
 * Which bytes simulate and tune count as memory: DAMON's vaddr regions span the gaps
 * between a process's mappings (a 128 MiB process's regions covered 764 MiB on this host),
 * so counting whole regions reports more paged-out memory than the process ever had. The
 * recorded mappings (format/mappings.ts) say which bytes were mapped.
 */
import type { DamonOps, TraceHeader } from '../core/model.js';
import { readRecordedMappings, type MappingHistory } from '../format/mappings.js';

export interface MappedBytes {
  /** Per target index; absent when the recording has none (or for physical memory). */
  mappings?: Map<number, MappingHistory>;
  /** What the effect figures count, for the report's notes. */
  note: string;
}

export async function mappedBytesFor(input: string, header: TraceHeader, ops: DamonOps, strict: boolean): Promise<MappedBytes> {
  const estimate = 'effect bytes are estimates from the trace: a range stays in the state an action put it in until the trace shows it accessed again';
  if (ops === 'paddr') return { note: `${estimate}; physical address ranges count in full` };
  const mappings = await readRecordedMappings(input, strict);
  if (mappings.size === 0) {
    return {
      note:
        `${estimate}; ${input} has no record of the process's mappings, so whole regions count, including gaps between ` +
        `mappings that never held memory (the figures can exceed the process's size; recordings made by damo-ts record the mappings)`,
    };
  }
  // Targets not recorded keep counting whole regions.
  const partial = header.targets.length > mappings.size ? ' (targets without recorded mappings count whole regions)' : '';
  return { mappings, note: `${estimate}; only bytes the process had mapped count (recorded mappings)${partial}` };
}
