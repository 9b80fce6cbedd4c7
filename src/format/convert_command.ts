// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo convert`: a recording in any format to another format, with a one-line summary.
 */
import { note, warn, type CliIO } from '../core/io.js';
import { convertTrace, formatForOutputName } from './convert.js';
import type { OutputFormat } from './output_formats.js';

export interface ConvertRequest {
  input: string;
  output: string;
  /** undefined: from the output file name. */
  format: OutputFormat | undefined;
  mode: number;
  strict: boolean;
  quiet: boolean;
  /** The output may be the input (damo's convert_record_format rewrites in place). */
  inPlace?: boolean;
}

export async function runConvertCommand(io: CliIO, r: ConvertRequest): Promise<number> {
  const format = r.format ?? formatForOutputName(r.output);
  const result = await convertTrace(r.input, r.output, {
    format,
    mode: r.mode,
    strict: r.strict,
    env: io.env,
    notify: (m) => note(io, m),
    inPlace: r.inPlace === true,
    ...(io.stderrIsTTY && !r.quiet ? { progress: io.stderr } : {}),
  });
  for (const w of result.warnings) warn(io, w);
  // Said even with --quiet: the output is not the whole recording.
  for (const d of result.dropped) warn(io, `${r.output}: ${format} drops ${d}`);
  if (!r.quiet) {
    note(
      io,
      `wrote ${r.output} (${format}): ${result.nrTargets} target(s), ${result.nrSnapshots} snapshots, ` +
        `${result.nrRegions} regions, from ${result.inputFormat}`,
    );
  }
  return 0;
}
