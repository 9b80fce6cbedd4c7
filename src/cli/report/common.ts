/**
 * What the `report` subcommands share: the input file option, opening it with warnings on
 * stderr, range parsing, and writing results through TextOut.
 */
import { InvalidArgumentError, type Command } from 'commander';

import { DamoError } from '../../core/errors.js';
import { textToBytes, textToUs } from '../../core/fmt.js';
import type { TraceSource } from '../../core/model.js';
import type { CommandContext } from '../context.js';
import { TextOut } from '../io.js';

export const DEFAULT_INPUT = 'damon.data';

export function addInputOptions(cmd: Command): Command {
  return cmd
    .option('-i, --input <file>', 'recording to read (any format damo-ts knows, sniffed from its bytes)', DEFAULT_INPUT)
    .option('--strict', 'fail on a truncated recording instead of warning and using its complete part');
}

/** Opens the recording named by --input; warnings and notes go to stderr. */
export async function openInput(
  ctx: CommandContext,
  path: string,
  strict: boolean,
  showsAddresses = false,
): Promise<TraceSource> {
  const { openForReport } = await import('../../format/open_for_report.js');
  return openForReport(ctx.io, path, { strict, showsAddresses });
}

/** Writes a whole result text to stdout. */
export async function writeText(ctx: CommandContext, text: string): Promise<void> {
  const out = new TextOut(ctx.io.stdout);
  await out.write(text);
  await out.flush();
}

/** Parses `-r START STOP STEP` like Python's range(). */
export function parseRange(values: string[] | undefined, option = '--range'): [number, number, number] | undefined {
  if (values === undefined) return undefined;
  if (values.length !== 3) {
    throw new DamoError('E_USAGE', `${option} takes three integers: <start> <stop> <step> (got ${values.length})`);
  }
  const nums = values.map((v) => {
    if (!/^-?\d+$/.test(v.trim())) throw new DamoError('E_USAGE', `${option}: '${v}' is not an integer`);
    return Number(v);
  }) as [number, number, number];
  if (nums[2] === 0) throw new DamoError('E_USAGE', `${option}: the step must not be 0`);
  return nums;
}

/** Option parser for sizes: plain bytes or damo's unit strings ('4K', '1.5 MiB'). */
export function parseSizeOption(value: string): number {
  try {
    const n = textToBytes(value);
    if (!Number.isFinite(n) || n < 0) throw new Error('negative');
    return n;
  } catch {
    throw new InvalidArgumentError(`'${value}' is not a size (bytes, or e.g. 4K, 1.5 MiB).`);
  }
}

/** Option parser for durations in microseconds: plain numbers or '1s', '500 ms'. */
export function parseUsOption(value: string): number {
  try {
    const n = textToUs(value);
    if (!Number.isFinite(n) || n < 0) throw new Error('negative');
    return n;
  } catch {
    throw new InvalidArgumentError(`'${value}' is not a duration (microseconds, or e.g. 1s, 500ms).`);
  }
}
