// SPDX-License-Identifier: GPL-2.0-only
/**
 * SVG text building blocks. Plots are assembled as strings (no DOM): a jsdom-based d3-node
 * took 12 s and 2.4 GB for a 500x500 heatmap, against milliseconds for strings plus one
 * embedded raster (docs/DESIGN-DECISIONS.md section 2).
 */
import { interpolateInferno } from 'd3-scale-chromatic';

import type { Tick } from './axis.js';

export const FONT_FAMILY = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif";

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Rounds coordinates so the SVG stays small and diffs stay readable. */
export function n(v: number): string {
  return String(Math.round(v * 100) / 100);
}

export interface TextOptions {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'normal' | 'bold';
  fill?: string;
  rotate?: number;
  baseline?: 'auto' | 'middle' | 'hanging';
  cls?: string;
}

export function text(x: number, y: number, content: string, o: TextOptions = {}): string {
  const attrs = [`x="${n(x)}"`, `y="${n(y)}"`, `font-size="${o.size ?? 11}"`];
  if (o.anchor !== undefined && o.anchor !== 'start') attrs.push(`text-anchor="${o.anchor}"`);
  if (o.weight === 'bold') attrs.push('font-weight="bold"');
  if (o.fill !== undefined) attrs.push(`fill="${o.fill}"`);
  if (o.baseline !== undefined && o.baseline !== 'auto') attrs.push(`dominant-baseline="${o.baseline}"`);
  if (o.rotate !== undefined) attrs.push(`transform="rotate(${o.rotate} ${n(x)} ${n(y)})"`);
  if (o.cls !== undefined) attrs.push(`class="${o.cls}"`);
  return `<text ${attrs.join(' ')}>${esc(content)}</text>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, stroke = '#333', width = 1): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}" stroke-width="${width}"/>`;
}

export function svgDocument(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * A horizontal axis below y (ticks down) or a vertical axis left of x (ticks left).
 * `pos` maps a tick value to the pixel coordinate along the axis.
 */
export function bottomAxis(ticks: Tick[], pos: (v: number) => number, y: number, cls: string): string[] {
  const out = [`<g class="${cls}">`];
  for (const t of ticks) {
    const x = pos(t.value);
    out.push(line(x, y, x, y + 5));
    out.push(text(x, y + 17, t.label, { anchor: 'middle' }));
  }
  out.push('</g>');
  return out;
}

export function leftAxis(ticks: Tick[], pos: (v: number) => number, x: number, cls: string): string[] {
  const out = [`<g class="${cls}">`];
  for (const t of ticks) {
    const y = pos(t.value);
    out.push(line(x - 5, y, x, y));
    out.push(text(x - 8, y + 4, t.label, { anchor: 'end' }));
  }
  out.push('</g>');
  return out;
}

export function rightAxis(ticks: Tick[], pos: (v: number) => number, x: number, cls: string): string[] {
  const out = [`<g class="${cls}">`];
  for (const t of ticks) {
    const y = pos(t.value);
    out.push(line(x, y, x + 5, y));
    out.push(text(x + 8, y + 4, t.label));
  }
  out.push('</g>');
  return out;
}

/** 256-entry RGB lookup table of the Inferno colour map (perceptually uniform, black = 0). */
export function infernoLut(): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const hexColour = interpolateInferno(i / 255);
    lut[i * 3] = Number.parseInt(hexColour.slice(1, 3), 16);
    lut[i * 3 + 1] = Number.parseInt(hexColour.slice(3, 5), 16);
    lut[i * 3 + 2] = Number.parseInt(hexColour.slice(5, 7), 16);
  }
  return lut;
}

/** Approximate width in px of the longest tick label at 11 px DejaVu Sans. */
export function labelWidth(ticks: ReadonlyArray<{ label: string }>): number {
  let chars = 0;
  for (const t of ticks) chars = Math.max(chars, t.label.length);
  return chars * 6.7;
}
