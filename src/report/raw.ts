// SPDX-License-Identifier: GPL-2.0-only
/**
 * `report raw`: every snapshot and region as text, byte-for-byte what damo 3.3.0 prints for
 * `damo report access --raw_form` (and 2.x `damo report raw`, plus the 3.x `data source:`
 * line). Per record (target):
 *
 *   base_time_absolute: <format_time_ns(first start)>
 *   data source: <data_source>
 *
 *   monitoring_start:    <%16s of time since base>
 *   monitoring_end:      ...
 *   monitoring_duration: ...
 *   target_id: <id>
 *   nr_regions: <n>
 *   # start_addr     end_addr        length  nr_accesses   age
 *   %012x-%012x (%12s) %11d %5d
 *   <blank line>
 *
 * damo prints the text with print() (adding a final newline) only when it has at most as
 * many newlines as the terminal has lines (50 when stdout is not a terminal); longer text
 * goes through `less`, which adds nothing. We reproduce the final-newline rule.
 */
import { DamoError } from '../core/errors.js';
import { formatSz, formatTimeNs, padLeft, pyInt } from '../core/fmt.js';
import type { Snapshot, TraceSource } from '../core/model.js';
import { forEachSnapshotOfTarget } from '../core/trace_walk.js';

export interface RawOptions {
  rawNumber: boolean;
  /** Only snapshots starting within [start, end] seconds after the record's first one. */
  durationSec?: [number, number];
  /** damo's pager threshold: terminal lines, or 50 when not a terminal. */
  pagerLines: number;
}

export interface TextSink {
  write(text: string): Promise<void> | undefined;
}

const REGION_HEADER = '# start_addr     end_addr        length  nr_accesses   age';

/** Two hex digits of each byte value. */
const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * At least 12 hex digits. Below 2^48, six table look-ups: Number.prototype.toString(16) took
 * 6 ms of a 0.1 s `report raw` on damo's small test file (19,546 addresses).
 */
function hex12(n: number): string {
  if (!(n >= 0 && n < 2 ** 48 && Number.isInteger(n))) {
    const h = n.toString(16);
    return h.length >= 12 ? h : '0'.repeat(12 - h.length) + h;
  }
  const hi = Math.floor(n / 2 ** 24);
  const lo = n - hi * 2 ** 24;
  return (
    (HEX_BYTES[hi >>> 16] as string) +
    (HEX_BYTES[(hi >>> 8) & 255] as string) +
    (HEX_BYTES[hi & 255] as string) +
    (HEX_BYTES[lo >>> 16] as string) +
    (HEX_BYTES[(lo >>> 8) & 255] as string) +
    (HEX_BYTES[lo & 255] as string)
  );
}

function absTime(src: TraceSource, relNs: number): number {
  const base = src.header.baseTimeNs;
  if (base === 0n) return relNs;
  if (Number.isInteger(relNs)) return Number(base + BigInt(relNs));
  return Number(base) + relNs;
}

/** Writes damo's raw text for the recording; resolves when everything was written. */
export async function reportRaw(src: TraceSource, opts: RawOptions, sink: TextSink): Promise<void> {
  if (src.header.targets.length === 0) {
    throw new DamoError('E_FORMAT', `${src.path}: no monitoring results in the file (it has no records)`);
  }
  const raw = opts.rawNumber;
  let newlines = 0;
  let first = true;
  let buf = '';
  // Lines are joined with '\n' like damo's '\n'.join(lines).
  // Not async: a promise per line (9,773 on damo's small test file) cost more than the
  // text; the caller awaits only when a full buffer went to the sink.
  const line = (text: string): Promise<void> | undefined => {
    if (!first) {
      buf += '\n';
      newlines++;
    }
    first = false;
    buf += text;
    if (buf.length < 1 << 16) return undefined;
    const p = sink.write(buf);
    buf = '';
    return p;
  };
  // Region sizes repeat from snapshot to snapshot (damo's small test file: 504 sizes in
  // 9,773 regions), and their text is the costly part of a line: keep the latest ones.
  const sizeTexts = new Map<number, string>();
  const sizeText = (bytes: number): string => {
    let text = sizeTexts.get(bytes);
    if (text === undefined) {
      if (sizeTexts.size >= 4096) sizeTexts.clear();
      text = padLeft(formatSz(bytes, raw), 12);
      sizeTexts.set(bytes, text);
    }
    return text;
  };
  const dataSource = src.header.dataSource ?? 'unknown';
  for (let t = 0; t < src.header.targets.length; t++) {
    const target = src.header.targets[t];
    const idText = target?.id === null || target?.id === undefined ? 'None' : target.id.toString();
    let base: number | undefined;
    let done = false;
    await forEachSnapshotOfTarget(src, t, async (s: Snapshot) => {
      if (done) return;
      if (base === undefined) {
        base = s.startNs;
        await line(`base_time_absolute: ${formatTimeNs(absTime(src, base), raw)}`);
        await line(`data source: ${dataSource}\n`);
        newlines++;
      }
      if (opts.durationSec !== undefined) {
        const offsetSec = (s.startNs - base) / 1e9;
        if (offsetSec < opts.durationSec[0]) return;
        if (offsetSec > opts.durationSec[1]) {
          done = true;
          return;
        }
      }
      await line(`monitoring_start:    ${padLeft(formatTimeNs(s.startNs - base, raw), 16)}`);
      await line(`monitoring_end:      ${padLeft(formatTimeNs(s.endNs - base, raw), 16)}`);
      await line(`monitoring_duration: ${padLeft(formatTimeNs(s.endNs - s.startNs, raw), 16)}`);
      await line(`target_id: ${idText}`);
      await line(`nr_regions: ${s.starts.length}`);
      await line(REGION_HEADER);
      const n = s.starts.length;
      for (let i = 0; i < n; i++) {
        const start = s.starts[i] as number;
        const end = s.ends[i] as number;
        const p = line(
          `${hex12(start)}-${hex12(end)} (${sizeText(end - start)}) ` +
            `${padLeft(pyInt(s.nrAccesses[i] as number), 11)} ${padLeft(pyInt(s.ages[i] as number), 5)}`,
        );
        if (p !== undefined) await p;
      }
      await line('');
    });
  }
  await line('');
  if (newlines <= opts.pagerLines) buf += '\n';
  if (buf !== '') await sink.write(buf);
}
