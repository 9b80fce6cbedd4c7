// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report raw`: every snapshot and region as damo prints them (or damo's JSON form).
 */
import { TextOut, type CliIO } from '../core/io.js';
import { dimension, FALLBACK_ROWS } from '../core/terminal.js';
import { openForReport } from '../format/open_for_report.js';

export interface RawRequest {
  input: string;
  strict: boolean;
  rawNumber: boolean;
  /** Only snapshots starting between these offsets (seconds) from the first. */
  durationSec: [number, number] | undefined;
  json: boolean;
}

export async function runRawCommand(io: CliIO, r: RawRequest): Promise<number> {
  const src = await openForReport(io, r.input, { strict: r.strict, streamDamoJson: 'grow', showsAddresses: true });
  const out = new TextOut(io.stdout);
  // damo ends its output with an extra newline when it fits the terminal (no pager).
  const pagerLines = io.stdoutIsTTY ? dimension(io.rows, FALLBACK_ROWS) : 50;
  if (r.json) {
    const { damoJsonText } = await import('../format/damo/json_writer.js');
    await damoJsonText(src, { raw: r.rawNumber, durationSec: r.durationSec, pagerLines }, out);
  } else {
    const rawOpts = r.durationSec === undefined ? { rawNumber: r.rawNumber, pagerLines } : { rawNumber: r.rawNumber, pagerLines, durationSec: r.durationSec };
    const { reportRaw } = await import('./raw.js');
    await reportRaw(src, rawOpts, out);
  }
  await out.flush();
  return 0;
}
