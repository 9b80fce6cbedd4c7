// SPDX-License-Identifier: GPL-2.0-only
/**
 * Text forms of `damo report heats`, byte-compatible with damo v2.4.9:
 * - raw: `<time>\t<addr>\t<heat>` per cell, time-major, heat as Python's float repr;
 * - terminal: one digit 0-9 per cell (rows = time, columns = address) with damo's 256-colour
 *   sets and footer (docs/DESIGN-DECISIONS.md section 4);
 * - guide: damo's `--guide` text (docs/DESIGN-DECISIONS.md section 4).
 */
import { formatSz, formatTimeNs, pyInt, pyRepr } from '../core/fmt.js';
import { interruptCheck } from '../core/interrupts.js';
import { TextBytes } from '../core/text_bytes.js';
import type { GuideInfo } from './guide.js';
import type { HeatGrid } from './heatgrid.js';

/** Where cell lines go: settles once the bytes were written (they are then reused). */
export interface ByteSink {
  writeBytes(bytes: Uint8Array): Promise<void>;
}

/** Cell lines go to the sink in chunks of about this many bytes. */
const CELL_LINES_CHUNK_BYTES = 1 << 20;

/**
 * The cells of a time-major grid as `<time>\t<address>\t<heat>` lines, damo's raw heat
 * text in both dialects (2.4.9 `report heats`, 3.3.0 `report heatmap --output raw`), each
 * line ending in '\n'; heats as Python's float repr, `nanText` for NaN. A 500x500 grid is
 * 250,000 lines: they are built in a byte buffer, the address and row-time texts made once,
 * a heat's text reused while neighbouring cells repeat it. `afterRow` runs after each row
 * (an interrupt check).
 */
export async function writeCellLines(
  cells: { heats: Float64Array; nrRows: number; nrCols: number },
  timeText: (row: number) => string,
  addrText: (col: number) => string,
  nanText: string,
  sink: ByteSink,
  afterRow?: () => Promise<void> | undefined,
): Promise<void> {
  const addrs: Uint8Array[] = [];
  for (let j = 0; j < cells.nrCols; j++) addrs.push(Buffer.from(`\t${addrText(j)}\t`, 'latin1'));
  const text = new TextBytes(CELL_LINES_CHUNK_BYTES + (CELL_LINES_CHUNK_BYTES >> 2));
  let lastHeat = NaN;
  let lastHeatText = `${nanText}\n`;
  const heats = cells.heats;
  for (let i = 0; i < cells.nrRows; i++) {
    const time = Buffer.from(timeText(i), 'latin1');
    const row = i * cells.nrCols;
    for (let j = 0; j < cells.nrCols; j++) {
      const h = heats[row + j] as number;
      if (!Object.is(h, lastHeat)) {
        lastHeat = h;
        lastHeatText = `${Number.isNaN(h) ? nanText : pyRepr(h)}\n`;
      }
      text.putBytes(time);
      text.putBytes(addrs[j] as Uint8Array);
      text.put(lastHeatText);
    }
    if (text.length >= CELL_LINES_CHUNK_BYTES) {
      await sink.writeBytes(text.bytes());
      text.reset();
    }
    const turn = afterRow?.();
    if (turn !== undefined) await turn;
  }
  if (text.length > 0) await sink.writeBytes(text.bytes());
}

/** Raw cells of one grid, one line per cell, each line ending in '\n' (damo prints them joined). */
export async function writeRawHeats(grid: HeatGrid, absTime: boolean, absAddr: boolean, sink: ByteSink): Promise<void> {
  const g = grid.geometry;
  await writeCellLines(
    { heats: grid.heats, nrRows: g.timeResol, nrCols: g.addrResol },
    (i) => pyInt(grid.rowTime(i) - (absTime ? 0 : g.timeStartNs)),
    (j) => pyInt(grid.colAddr(j) - (absAddr ? 0 : g.addrStart)),
    'nan',
    sink,
    interruptCheck,
  );
}

export type ColorsetName = 'gray' | 'flame' | 'emotion';

/** damo `_damo_ascii_color.colorsets`: [background, foreground] 256-colour codes per level. */
const COLORSETS: Readonly<Record<ColorsetName, readonly [readonly number[], readonly number[]]>> = {
  gray: [[232, 232, 232, 232, 232, 232, 232, 232, 232, 232], [237, 239, 241, 243, 245, 247, 249, 251, 253, 255]],
  flame: [[232, 1, 1, 2, 3, 3, 20, 21, 26, 27, 27], [239, 235, 237, 239, 243, 245, 247, 249, 251, 255]],
  emotion: [[232, 234, 20, 21, 26, 2, 3, 1, 1, 1], [239, 235, 237, 239, 243, 245, 247, 249, 251, 255]],
};

export const COLORSET_NAMES = Object.keys(COLORSETS) as ColorsetName[];

const MAX_LEVEL = 9;
export const COLOR_RESET = '\u001b[0m';
const RESET = COLOR_RESET;

/** damo `color_mode_start_txt`: the escape codes that start a level's colours. */
export function colorStart(set: ColorsetName, level: number): string {
  const [bg, fg] = COLORSETS[set];
  return `\u001b[48;5;${bg[level]}m\u001b[38;5;${fg[level]}m`;
}

export interface TerminalOptions {
  colorset: ColorsetName;
  /** False: bare digits, no escape codes (NO_COLOR, pipes). */
  color: boolean;
  /** damo's `# access_frequency:` line with the level samples. */
  printColorset: boolean;
}

/**
 * damo v2.4.9 `fmt_ascii_heatmap`: levels are `int((heat - lowest) / unit)` capped at 9
 * with `unit = (highest + 1 - lowest) / 9`. Returns the lines joined by '\n', without a
 * trailing newline (damo joins grids with '\n' and `print`s the whole).
 */
export function formatTerminalHeatmap(grid: HeatGrid, opts: TerminalOptions): string {
  const g = grid.geometry;
  const highest = grid.highest();
  const lowest = grid.lowest();
  const heatUnit = (highest + 1 - lowest) / 9;
  const lines: string[] = [];
  const heats = grid.heats;
  for (let i = 0; i < g.timeResol; i++) {
    const chars: string[] = [];
    for (let j = 0; j < g.addrResol; j++) {
      const level = Math.min(Math.trunc((heats[i * g.addrResol + j]! - lowest) / heatUnit), MAX_LEVEL);
      chars.push(opts.color ? colorStart(opts.colorset, level) + String(level) : String(level));
    }
    lines.push(chars.join('') + (opts.color ? RESET : ''));
  }
  if (opts.printColorset) {
    let samples = '';
    for (let level = 0; level <= MAX_LEVEL; level++) {
      samples += opts.color ? colorStart(opts.colorset, level) + String(level) : String(level);
    }
    if (opts.color) samples += RESET;
    lines.push(`# access_frequency: ${samples}`);
  }
  const addrLen = g.addrEnd - g.addrStart;
  const timeLen = g.timeEndNs - g.timeStartNs;
  lines.push(`# x-axis: space (${pyInt(g.addrStart)}-${pyInt(g.addrEnd)}: ${formatSz(addrLen, false)})`);
  lines.push(`# y-axis: time (${pyInt(g.timeStartNs)}-${pyInt(g.timeEndNs)}: ${formatTimeNs(timeLen, false)})`);
  // damo prints len(pixels[1]) as the column count; with one row that raised IndexError.
  lines.push(
    `# resolution: ${g.addrResol}x${g.timeResol} (${formatSz(addrLen / g.addrResol, false)} and ` +
      `${formatTimeNs(timeLen / g.timeResol, false)} for each character)`,
  );
  return lines.join('\n');
}

function tidText(tid: bigint | null): string {
  return tid === null ? 'None' : tid.toString();
}

/** damo v2.4.9 `GuideInfo.__str__`; guides are printed one after another with '\n'. */
export function formatGuide(guide: GuideInfo): string {
  const lines = [`target_id:${tidText(guide.tid)}`];
  lines.push(
    `time: ${pyInt(guide.startNs)}-${pyInt(guide.endNs)} (${formatTimeNs(guide.endNs - guide.startNs, false)})`,
  );
  guide.contigRegions.forEach((r, idx) => {
    lines.push(
      `region\t${String(idx).padStart(2)}: ${pyInt(r.start).padStart(20, '0')}-${pyInt(r.end).padStart(20, '0')} ` +
        `(${formatSz(r.end - r.start, false)})`,
    );
  });
  return lines.join('\n');
}
