// SPDX-License-Identifier: GPL-2.0-only
/**
 * The heatmap image: time on x, address on y (low addresses at the bottom, like damo's
 * gnuplot output), colour for access frequency. The cells are one embedded PNG raster
 * drawn pixel-exact (each cell an integer number of device pixels); frame, axes, colour
 * bar and titles are vector SVG.
 */
import { addressAxis, numberAxis, timeAxis } from './axis.js';
import { encodePngRgb } from './png.js';
import { bottomAxis, esc, infernoLut, labelWidth, leftAxis, rightAxis, svgDocument, text } from './svg.js';

export interface HeatmapImageInput {
  /** Time-major cells: row i (time), column j (address) is `heats[i * addrResol + j]`. */
  heats: Float64Array;
  timeResol: number;
  addrResol: number;
  /** Ranges the cells cover, in ns and bytes. */
  timeStartNs: number;
  timeEndNs: number;
  addrStart: number;
  addrEnd: number;
  absTime: boolean;
  absAddr: boolean;
  title: string;
  subtitleLines: string[];
  /** Colour bar title, with the unit of the heat values. */
  heatTitle: string;
}

/** Device pixels per cell along an axis: whole pixels, about 500 px in total, at most 1000. */
function plotExtent(cells: number): number {
  if (cells >= 1000) return 1000;
  if (cells >= 500) return cells;
  return cells * Math.floor(500 / cells);
}

/**
 * The cell raster as a PNG: x = time, y = address (top row = highest address). Each cell is
 * `scaleX` x `scaleY` pixels, so the raster is drawn 1:1 and stays crisp in every renderer
 * (resvg and some viewers smooth scaled images whatever image-rendering says).
 */
export function heatRasterPng(input: HeatmapImageInput, maxHeat: number, scaleX = 1, scaleY = 1): Buffer {
  const { heats, timeResol: cols, addrResol: rows } = input;
  const lut = infernoLut();
  const w = cols * scaleX;
  const h = rows * scaleY;
  const rgb = new Uint8Array(w * h * 3);
  const scale = maxHeat > 0 ? 255 / maxHeat : 0;
  for (let row = 0; row < rows; row++) {
    const j = rows - 1 - row;
    const y0 = row * scaleY;
    // Fill the first pixel row of this cell row, then copy it scaleY - 1 times.
    for (let x = 0; x < cols; x++) {
      const v = heats[x * rows + j]!;
      const level = Math.min(255, Math.max(0, Math.round(v * scale))) * 3;
      for (let k = 0; k < scaleX; k++) {
        const o = (y0 * w + x * scaleX + k) * 3;
        rgb[o] = lut[level]!;
        rgb[o + 1] = lut[level + 1]!;
        rgb[o + 2] = lut[level + 2]!;
      }
    }
    const first = rgb.subarray(y0 * w * 3, (y0 + 1) * w * 3);
    for (let k = 1; k < scaleY; k++) rgb.set(first, (y0 + k) * w * 3);
  }
  return encodePngRgb(w, h, rgb);
}

/** Pixels per cell when the plot extent is a whole multiple of the cells, else 1 (scaled). */
function cellPx(extent: number, cells: number): number {
  return extent % cells === 0 ? extent / cells : 1;
}

function colourBarPng(): Buffer {
  const lut = infernoLut();
  const rgb = new Uint8Array(256 * 3);
  for (let y = 0; y < 256; y++) rgb.set(lut.subarray((255 - y) * 3, (255 - y) * 3 + 3), y * 3);
  return encodePngRgb(1, 256, rgb);
}

function dataUri(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

export function heatmapSvg(input: HeatmapImageInput): string {
  let maxHeat = 0;
  for (const v of input.heats) if (v > maxHeat) maxHeat = v;

  const plotW = plotExtent(input.timeResol);
  const plotH = plotExtent(input.addrResol);

  const tAxis = timeAxis(input.timeStartNs, input.timeEndNs, input.absTime, Math.max(2, Math.round(plotW / 70)));
  const aAxis = addressAxis(input.addrStart, input.addrEnd, input.absAddr, Math.max(2, Math.round(plotH / 60)));
  // Keep tick marks on the plot (d3 ticks can land on the far edge only by rounding).
  const inT = tAxis.ticks.filter((t) => t.value >= input.timeStartNs && t.value <= input.timeEndNs);
  const inA = aAxis.ticks.filter((t) => t.value >= input.addrStart && t.value <= input.addrEnd);
  const barMax = maxHeat > 0 ? maxHeat : 1;
  const barTicks = numberAxis(0, barMax, 6);

  // Margins follow the tick label widths so axis titles sit next to their labels.
  const yLabelsW = labelWidth(inA);
  const barLabelsW = labelWidth(barTicks);
  const left = Math.max(60, 8 + yLabelsW + 12 + 16 + 8);
  const top = 40 + 16 * input.subtitleLines.length;
  const barGap = 22;
  const barW = 16;
  const right = barGap + barW + 8 + barLabelsW + 12 + 16 + 8;
  const bottom = 58;
  const width = Math.round(left + plotW + right);
  const height = top + plotH + bottom;

  const x0 = Math.round(left);
  const y0 = top;
  const tSpan = input.timeEndNs - input.timeStartNs;
  const aSpan = input.addrEnd - input.addrStart;
  const xOf = (t: number): number => x0 + ((t - input.timeStartNs) / tSpan) * plotW;
  const yOf = (a: number): number => y0 + plotH - ((a - input.addrStart) / aSpan) * plotH;

  const barX = x0 + plotW + barGap;
  const barYOf = (v: number): number => y0 + plotH - (v / barMax) * plotH;

  const body: string[] = [];
  body.push(text(width / 2, 24, input.title, { size: 15, anchor: 'middle', weight: 'bold', cls: 'title' }));
  input.subtitleLines.forEach((s, i) => {
    body.push(text(width / 2, 44 + i * 16, s, { size: 11, anchor: 'middle', fill: '#444', cls: 'subtitle' }));
  });
  body.push(
    `<image class="heat-cells" x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" preserveAspectRatio="none" ` +
      `image-rendering="optimizeSpeed" href="${dataUri(heatRasterPng(input, maxHeat, cellPx(plotW, input.timeResol), cellPx(plotH, input.addrResol)))}"/>`,
  );
  body.push(`<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  body.push(...bottomAxis(inT, xOf, y0 + plotH, 'x-axis time'));
  body.push(text(x0 + plotW / 2, y0 + plotH + 40, tAxis.title, { size: 12, anchor: 'middle', cls: 'x-axis-title' }));
  body.push(...leftAxis(inA, yOf, x0, 'y-axis address'));
  const yTitleX = x0 - 8 - yLabelsW - 14;
  body.push(
    text(yTitleX, y0 + plotH / 2, aAxis.title, { size: 12, anchor: 'middle', rotate: -90, cls: 'y-axis-title' }),
  );

  body.push('<g class="colour-bar">');
  body.push(
    `<image x="${barX}" y="${y0}" width="${barW}" height="${plotH}" preserveAspectRatio="none" href="${dataUri(colourBarPng())}"/>`,
  );
  body.push(`<rect x="${barX}" y="${y0}" width="${barW}" height="${plotH}" fill="none" stroke="#333"/>`);
  body.push(...rightAxis(barTicks, barYOf, barX + barW, 'colour-bar-axis'));
  body.push(
    text(barX + barW + 8 + barLabelsW + 16, y0 + plotH / 2, input.heatTitle, { size: 12, anchor: 'middle', rotate: -90, cls: 'colour-bar-title' }),
  );
  body.push('</g>');
  if (maxHeat === 0) {
    body.push(
      text(x0 + plotW / 2, y0 + plotH / 2, 'no accesses in this range', { size: 14, anchor: 'middle', fill: '#ddd' }),
    );
  }
  body.push(`<!-- cells: ${input.timeResol}x${input.addrResol}, highest heat ${esc(String(maxHeat))} -->`);
  return svgDocument(width, height, body);
}
