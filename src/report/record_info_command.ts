// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report record_info` (damo 3.3.0): each record's time span and contiguous address
 * ranges (the heatmap guide), human-friendly unless --raw_numbers.
 */
import { TextOut, type CliIO } from '../core/io.js';
import { openForReport } from '../format/open_for_report.js';
import { guides330, guideText } from './record_info.js';

export interface RecordInfoRequest {
  input: string;
  strict: boolean;
  rawNumbers: boolean;
}

export async function runRecordInfoCommand(io: CliIO, r: RecordInfoRequest): Promise<number> {
  const src = await openForReport(io, r.input, { strict: r.strict, showsAddresses: true });
  const out = new TextOut(io.stdout);
  try {
    for (const g of await guides330(src)) await out.write(guideText(src, g, r.rawNumbers) + '\n');
  } finally {
    await out.flush();
  }
  return 0;
}
