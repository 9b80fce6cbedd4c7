// SPDX-License-Identifier: GPL-2.0-only
/**
 * Line plots for `report wss --plot` and `report nr_regions --plot`: one series of points,
 * linear axes with nice ticks, values of the y axis in binary units when they are bytes.
 */
import { schemeTableau10 } from 'd3-scale-chromatic';

import { bytesAxis, numberAxis, type Tick } from './axis.js';
import { bottomAxis, esc, labelWidth, leftAxis, line, n, svgDocument, text } from './svg.js';

export interface LineSeries {
  /** Legend text; the legend is drawn only when there are several series. */
  name: string;
  /** Points in drawing order (x ascending for a curve). */
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

export interface LinePlotInput {
  series: LineSeries[];
  title: string;
  subtitle?: string;
  xTitle: string;
  /** Title of the y axis; for 'bytes' the chosen unit is appended, e.g. "working set size (MiB)". */
  yTitle: string;
  yKind: 'bytes' | 'count';
}

const WIDTH = 760;
const HEIGHT = 500;

export function linePlotSvg(p: LinePlotInput): string {
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMax = 0;
  let total = 0;
  for (const s of p.series) {
    const count = Math.min(s.xs.length, s.ys.length);
    total += count;
    for (let i = 0; i < count; i++) {
      xMin = Math.min(xMin, s.xs[i]!);
      xMax = Math.max(xMax, s.xs[i]!);
      yMax = Math.max(yMax, s.ys[i]!);
    }
  }
  if (total === 0) {
    xMin = 0;
    xMax = 1;
  }
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax <= 0) yMax = 1;

  let yTicks: Tick[];
  let yTitle: string;
  if (p.yKind === 'bytes') {
    const axis = bytesAxis(yMax * 1.05, 6);
    yTicks = axis.ticks;
    yTitle = `${p.yTitle} (${axis.unit})`;
  } else {
    yTicks = numberAxis(0, yMax * 1.05, 6);
    yTitle = p.yTitle;
  }
  // Headroom above the data; the axis ends on its last tick when that is higher.
  const yTop = Math.max(yMax * 1.05, yTicks.length > 0 ? yTicks[yTicks.length - 1]!.value : 0);
  const xTicks = numberAxis(xMin, xMax, 10);

  const legend = p.series.length > 1;
  const top = (p.subtitle ? 64 : 48) + (legend ? 20 : 0);
  const left = 20 + 16 + 8 + labelWidth(yTicks) + 8;
  const right = 28;
  const bottom = 56;
  const plotW = WIDTH - left - right;
  const plotH = HEIGHT - top - bottom;
  const xOf = (x: number): number => left + ((x - xMin) / (xMax - xMin)) * plotW;
  const yOf = (y: number): number => top + plotH - (y / yTop) * plotH;

  const body: string[] = [];
  body.push(text(WIDTH / 2, 26, p.title, { size: 15, anchor: 'middle', weight: 'bold', cls: 'title' }));
  if (p.subtitle) body.push(text(WIDTH / 2, 46, p.subtitle, { size: 11, anchor: 'middle', fill: '#444', cls: 'subtitle' }));
  body.push('<g class="grid">');
  for (const t of yTicks) body.push(line(left, yOf(t.value), left + plotW, yOf(t.value), '#e4e4e4'));
  for (const t of xTicks) body.push(line(xOf(t.value), top, xOf(t.value), top + plotH, '#e4e4e4'));
  body.push('</g>');
  body.push(`<rect x="${left}" y="${top}" width="${n(plotW)}" height="${n(plotH)}" fill="none" stroke="#333"/>`);
  body.push(...bottomAxis(xTicks, xOf, top + plotH, 'x-axis'));
  body.push(text(left + plotW / 2, top + plotH + 40, p.xTitle, { size: 12, anchor: 'middle', cls: 'x-axis-title' }));
  body.push(...leftAxis(yTicks, yOf, left, 'y-axis'));
  body.push(
    text(left - 8 - labelWidth(yTicks) - 14, top + plotH / 2, yTitle, { size: 12, anchor: 'middle', rotate: -90, cls: 'y-axis-title' }),
  );
  p.series.forEach((s, k) => {
    const colour = schemeTableau10[k % schemeTableau10.length]!;
    const count = Math.min(s.xs.length, s.ys.length);
    const pts: string[] = [];
    for (let i = 0; i < count; i++) pts.push(`${n(xOf(s.xs[i]!))},${n(yOf(s.ys[i]!))}`);
    if (count > 0) {
      body.push(
        `<polyline class="series" data-name="${esc(s.name)}" points="${pts.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round"/>`,
      );
    }
    if (count <= 120) {
      body.push(`<g class="points" fill="${colour}">`);
      for (const pt of pts) {
        const [cx, cy] = pt.split(',');
        body.push(`<circle cx="${cx}" cy="${cy}" r="2.5"/>`);
      }
      body.push('</g>');
    }
  });
  if (legend) {
    // One row above the plot, right-aligned, so it never hides a curve.
    body.push('<g class="legend">');
    let lx = left + plotW;
    const ly = top - 10;
    for (let k = p.series.length - 1; k >= 0; k--) {
      const s = p.series[k]!;
      const colour = schemeTableau10[k % schemeTableau10.length]!;
      lx -= 22 + s.name.length * 6.7;
      body.push(line(lx, ly - 4, lx + 14, ly - 4, colour, 2));
      body.push(text(lx + 18, ly, s.name, { size: 11 }));
      lx -= 14;
    }
    body.push('</g>');
  }
  if (total === 0) {
    body.push(text(left + plotW / 2, top + plotH / 2, 'no data', { size: 14, anchor: 'middle', fill: '#999' }));
  }
  return svgDocument(WIDTH, HEIGHT, body);
}
