// SPDX-License-Identifier: GPL-2.0-only
/**
 * The schemes applied while a trace was recorded: `damo schemes -c ... -o FILE` writes them
 * at the start of the trace as one event of kind SCHEMES_EVENT_KIND (docs/FORMAT.md), one
 * scheme line (schemes/text.ts formatSchemeLine) per line of its message. Readers that
 * replay the recording (simulate) need to know whether the recorded ages already hold the
 * age resets of those schemes' actions.
 */
import { sniffFile } from './open.js';

export const SCHEMES_EVENT_KIND = 'schemes';

/**
 * The scheme lines of the schemes applied while the file at `path` was recorded, or null
 * when it says none (a plain recording, another format). The event comes before the first
 * snapshot, so the file is read only that far.
 */
export async function readAppliedSchemeLines(path: string, strict = false): Promise<string[] | null> {
  if ((await sniffFile(path)) !== 'protobuf') return null;
  const { openProtobufTrace } = await import('./trace_reader.js');
  const trace = await openProtobufTrace(path, { strict });
  for await (const r of trace.records()) {
    if (r.kind === 'event' && r.event.kind === SCHEMES_EVENT_KIND) return r.event.message.split('\n');
    if (r.kind === 'snapshot') return null;
  }
  return null;
}
