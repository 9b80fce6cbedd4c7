// SPDX-License-Identifier: GPL-2.0-only
import type { Snapshot, TraceHeader, TraceSource } from '../../src/core/model.js';

/** A TraceSource over snapshots held in memory, for tests. */
export function memoryTrace(header: TraceHeader, snapshots: Snapshot[], path = 'memory.data'): TraceSource {
  return {
    path,
    header,
    warnings: [],
    async *snapshots() {
      for (const s of snapshots) yield s;
    },
    trailer: () => null,
  };
}
