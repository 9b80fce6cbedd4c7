// SPDX-License-Identifier: GPL-2.0-only
/**
 * The terminal form of a line plot (`report wss --plot`, `report nr_regions --plot` with no
 * file): the same series, titles and axes as linePlotSvg, drawn with ASCII characters in
 * a given number of columns. Plain ASCII so it survives any terminal, pager or log file.
 */
import { bytesAxis, numberAxis, type Tick } from './axis.js';
import type { LinePlotInput } from './lines.js';

/** One mark per series, in the order of the legend. */
const MARKS = ['*', 'o', '+', 'x', '#', '@', '%', '&'];
/** Narrowest plot that still shows a curve; below it the chart overflows the width. */
const MIN_PLOT_COLS = 20;
const MIN_PLOT_ROWS = 5;

export interface TextPlotSize {
  /** Total width in characters, labels included. */
  columns: number;
  /** Rows of the plot area (titles and axes come on top). */
  rows: number;
}

interface Extent {
  xMin: number;
  xMax: number;
  yMax: number;
}

function extentOf(p: LinePlotInput): Extent {
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMax = 0;
  for (const s of p.series) {
    const count = Math.min(s.xs.length, s.ys.length);
    for (let i = 0; i < count; i++) {
      xMin = Math.min(xMin, s.xs[i]!);
      xMax = Math.max(xMax, s.xs[i]!);
      yMax = Math.max(yMax, s.ys[i]!);
    }
  }
  if (xMin === Infinity) [xMin, xMax] = [0, 1];
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax <= 0) yMax = 1;
  return { xMin, xMax, yMax };
}

/** Places `text` into `line` starting at `col`, if it fits without touching earlier text. */
function placeLabel(line: string[], col: number, label: string): boolean {
  const start = Math.max(0, Math.min(col, line.length - label.length));
  for (let i = Math.max(0, start - 1); i < Math.min(line.length, start + label.length + 1); i++) {
    if (line[i] !== ' ') return false;
  }
  for (let i = 0; i < label.length; i++) line[start + i] = label[i]!;
  return true;
}

export function linePlotText(p: LinePlotInput, size: TextPlotSize): string {
  const { xMin, xMax, yMax } = extentOf(p);
  const rows = Math.max(MIN_PLOT_ROWS, size.rows);

  let yTicks: Tick[];
  let yTitle: string;
  if (p.yKind === 'bytes') {
    const axis = bytesAxis(yMax * 1.05, Math.max(2, Math.floor(rows / 3)));
    yTicks = axis.ticks;
    yTitle = `${p.yTitle} (${axis.unit})`;
  } else {
    yTicks = numberAxis(0, yMax * 1.05, Math.max(2, Math.floor(rows / 3)));
    yTitle = p.yTitle;
  }
  const yTop = Math.max(yMax * 1.05, ...yTicks.map((t) => t.value));
  const labelCols = Math.max(...yTicks.map((t) => t.label.length), 1);
  // "<label> |" then the plot; the last x label may stick out by half its width.
  const plotCols = Math.max(MIN_PLOT_COLS, size.columns - labelCols - 2 - 3);

  const rowOf = (y: number): number => Math.round((rows - 1) * (1 - Math.min(y, yTop) / yTop));
  const colOf = (x: number): number => Math.round(((plotCols - 1) * (x - xMin)) / (xMax - xMin));

  const grid: string[][] = Array.from({ length: rows }, () => new Array<string>(plotCols).fill(' '));
  p.series.forEach((s, k) => {
    const mark = MARKS[k % MARKS.length]!;
    const count = Math.min(s.xs.length, s.ys.length);
    let prev: { col: number; row: number } | null = null;
    for (let i = 0; i < count; i++) {
      const col = colOf(s.xs[i]!);
      const row = rowOf(s.ys[i]!);
      // Join consecutive points with a vertical run so steps read as one curve.
      if (prev !== null && col - prev.col <= 1) {
        for (let r = Math.min(prev.row, row); r <= Math.max(prev.row, row); r++) grid[r]![col] = mark;
      } else if (prev !== null) {
        // Points far apart (few values over a wide plot): a straight line between them.
        for (let c = prev.col + 1; c < col; c++) {
          const t = (c - prev.col) / (col - prev.col);
          grid[Math.round(prev.row + t * (row - prev.row))]![c] = mark;
        }
      }
      grid[row]![col] = mark;
      prev = { col, row };
    }
  });

  const tickRows = new Map<number, string>();
  for (const t of yTicks) if (!tickRows.has(rowOf(t.value))) tickRows.set(rowOf(t.value), t.label);

  const out: string[] = [p.title];
  if (p.subtitle) out.push(p.subtitle);
  if (p.series.length > 1) out.push(p.series.map((s, k) => `${MARKS[k % MARKS.length]} ${s.name}`).join('   '));
  out.push(yTitle);
  for (let r = 0; r < rows; r++) {
    const label = tickRows.get(r);
    const lead = (label ?? '').padStart(labelCols) + (label !== undefined ? ' +' : ' |');
    out.push((lead + grid[r]!.join('')).trimEnd());
  }

  const axisLine = new Array<string>(plotCols).fill('-');
  const labels = new Array<string>(plotCols + 3).fill(' ');
  for (const t of numberAxis(xMin, xMax, Math.max(2, Math.floor(plotCols / 10)))) {
    const col = colOf(t.value);
    if (placeLabel(labels, col - Math.floor(t.label.length / 2), t.label)) axisLine[col] = '+';
  }
  out.push(' '.repeat(labelCols) + ' +' + axisLine.join(''));
  out.push((' '.repeat(labelCols + 2) + labels.join('')).trimEnd());
  const center = labelCols + 2 + Math.max(0, Math.floor((plotCols - p.xTitle.length) / 2));
  out.push(' '.repeat(center) + p.xTitle);
  return out.join('\n') + '\n';
}
