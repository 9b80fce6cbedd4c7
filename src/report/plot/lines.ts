/**
 * Line plots for `report wss --plot` and `report nr_regions --plot`: one series of points,
 * linear axes with nice ticks, values of the y axis in binary units when they are bytes.
 */
import { bytesAxis, numberAxis, type Tick } from './axis.js';
import { bottomAxis, labelWidth, leftAxis, line, n, svgDocument, text } from './svg.js';

export interface LinePlotInput {
  /** Points in drawing order (x ascending for a curve). */
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
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
  const count = Math.min(p.xs.length, p.ys.length);
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMax = 0;
  for (let i = 0; i < count; i++) {
    xMin = Math.min(xMin, p.xs[i]!);
    xMax = Math.max(xMax, p.xs[i]!);
    yMax = Math.max(yMax, p.ys[i]!);
  }
  if (count === 0) {
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
  // Let the y axis end on its last tick when that is above the data, as charts usually do.
  const yTop = Math.max(yMax, yTicks.length > 0 ? yTicks[yTicks.length - 1]!.value : yMax);
  const xTicks = numberAxis(xMin, xMax, 10);

  const top = p.subtitle ? 64 : 48;
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
  const pts: string[] = [];
  for (let i = 0; i < count; i++) pts.push(`${n(xOf(p.xs[i]!))},${n(yOf(p.ys[i]!))}`);
  if (count > 0) {
    body.push(`<polyline class="series" points="${pts.join(' ')}" fill="none" stroke="#1f77b4" stroke-width="2" stroke-linejoin="round"/>`);
  }
  if (count <= 120) {
    body.push('<g class="points" fill="#1f77b4">');
    for (const pt of pts) {
      const [cx, cy] = pt.split(',');
      body.push(`<circle cx="${cx}" cy="${cy}" r="2.5"/>`);
    }
    body.push('</g>');
  }
  if (count === 0) {
    body.push(text(left + plotW / 2, top + plotH / 2, 'no data', { size: 14, anchor: 'middle', fill: '#999' }));
  }
  return svgDocument(WIDTH, HEIGHT, body);
}
