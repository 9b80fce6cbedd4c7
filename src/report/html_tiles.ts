// SPDX-License-Identifier: GPL-2.0-only
/**
 * The tile pyramid of one heatmap for `damo report html`: the finest heat grid (src/report/
 * heatgrid.ts, damo's cell averages) and coarser levels made by averaging 2x2 (or 2x1) blocks
 * of cells, each level cut into square tiles of cells. Cells are stored as 8-bit colour levels
 * (the PNG heatmap's quantisation: level = round(heat / highest * 255)), so the page colours
 * them exactly as `report heats --heatmap x.png` does; each tile is deflated and base64'd, and
 * the page inflates only the tiles it draws.
 */
import { deflateRawSync } from 'node:zlib';

/** Cells per tile side. */
export const TILE_CELLS = 256;
/** Levels stop being halved once both sides are at most this many cells. */
const COARSEST_CELLS = 128;

export interface PyramidLevel {
  /** Cells along time and address at this level. */
  timeResol: number;
  addrResol: number;
  /**
   * What one cell covers. Cell (i, j) spans [start + i * timeCellNs, start + (i + 1) *
   * timeCellNs) x [addrStart + j * addrCellBytes, ...); the last cell of a coarser level made
   * from an odd number of cells reaches past the end of the range (its average is of the
   * cells that exist).
   */
  timeCellNs: number;
  addrCellBytes: number;
  /**
   * Tiles in time-major order: tile (ti, ai) is `tiles[ti * tilesAlongAddr + ai]`, each
   * TILE_CELLS x TILE_CELLS cells (fewer at the far edges), cell (i, j) of a tile at byte
   * `i * tileAddrCells + j`, deflate-raw then base64.
   */
  tiles: string[];
}

/** One level of averages, time-major (row i = time, column j = address). */
export interface Level {
  timeResol: number;
  addrResol: number;
  timeCellNs: number;
  addrCellBytes: number;
  cells: Float64Array;
}

/** Averages blocks of `ft` x `fa` cells (each 1 or 2) into the next coarser level. */
export function halveLevel(l: Level, ft: number, fa: number): Level {
  const timeResol = Math.ceil(l.timeResol / ft);
  const addrResol = Math.ceil(l.addrResol / fa);
  const cells = new Float64Array(timeResol * addrResol);
  for (let i = 0; i < timeResol; i++) {
    for (let j = 0; j < addrResol; j++) {
      let sum = 0;
      let n = 0;
      for (let di = 0; di < ft; di++) {
        const si = i * ft + di;
        if (si >= l.timeResol) continue;
        for (let dj = 0; dj < fa; dj++) {
          const sj = j * fa + dj;
          if (sj >= l.addrResol) continue;
          sum += l.cells[si * l.addrResol + sj]!;
          n += 1;
        }
      }
      cells[i * addrResol + j] = n > 0 ? sum / n : 0;
    }
  }
  return { timeResol, addrResol, timeCellNs: l.timeCellNs * ft, addrCellBytes: l.addrCellBytes * fa, cells };
}

/** Colour levels 0..255 of a level, relative to `highest` (the finest level's highest cell). */
export function quantise(cells: Float64Array, highest: number): Uint8Array {
  const out = new Uint8Array(cells.length);
  const scale = highest > 0 ? 255 / highest : 0;
  for (let k = 0; k < cells.length; k++) out[k] = Math.min(255, Math.max(0, Math.round(cells[k]! * scale)));
  return out;
}

function cutTiles(levels: Uint8Array, timeResol: number, addrResol: number): string[] {
  const tilesT = Math.ceil(timeResol / TILE_CELLS);
  const tilesA = Math.ceil(addrResol / TILE_CELLS);
  const out: string[] = [];
  for (let ti = 0; ti < tilesT; ti++) {
    for (let ai = 0; ai < tilesA; ai++) {
      const rows = Math.min(TILE_CELLS, timeResol - ti * TILE_CELLS);
      const cols = Math.min(TILE_CELLS, addrResol - ai * TILE_CELLS);
      const tile = new Uint8Array(rows * cols);
      for (let i = 0; i < rows; i++) {
        const src = (ti * TILE_CELLS + i) * addrResol + ai * TILE_CELLS;
        tile.set(levels.subarray(src, src + cols), i * cols);
      }
      out.push(deflateRawSync(tile, { level: 6 }).toString('base64'));
    }
  }
  return out;
}

/**
 * The pyramid of a finest-level grid, coarsest level first. `highest` fixes the colour
 * scale for every level (coarser averages are never above the finest highest).
 */
export function buildPyramid(finest: Level, highest: number): PyramidLevel[] {
  const levels: Level[] = [finest];
  for (;;) {
    const l = levels[levels.length - 1]!;
    if (l.timeResol <= COARSEST_CELLS && l.addrResol <= COARSEST_CELLS) break;
    levels.push(halveLevel(l, l.timeResol > COARSEST_CELLS ? 2 : 1, l.addrResol > COARSEST_CELLS ? 2 : 1));
  }
  return levels.reverse().map((l) => ({
    timeResol: l.timeResol,
    addrResol: l.addrResol,
    timeCellNs: l.timeCellNs,
    addrCellBytes: l.addrCellBytes,
    tiles: cutTiles(quantise(l.cells, highest), l.timeResol, l.addrResol),
  }));
}
