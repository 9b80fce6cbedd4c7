// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo schemes convert`: read schemes and print them in one of the output forms.
 */
import { writeResult, type CliIO } from '../core/io.js';
import { convertSchemes, type ConvertOptions } from './convert.js';
import { loadSchemes } from './load.js';

export interface SchemesConvertRequest extends ConvertOptions {
  /** A schemes file, or the scheme text itself. */
  file: string;
}

export async function runSchemesConvertCommand(io: CliIO, r: SchemesConvertRequest): Promise<number> {
  const loaded = await loadSchemes(r.file);
  const { file: _file, ...opts } = r;
  await writeResult(io, convertSchemes(loaded.schemes, opts));
  return 0;
}
