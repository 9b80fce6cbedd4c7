// SPDX-License-Identifier: GPL-2.0-only
import { inflateSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { humanBytes, humanTime } from '../../src/core/human.js';
import { addressAxis, timeAxis } from '../../src/plot/axis.js';
import { heatmapSvg, type HeatmapImageInput } from '../../src/plot/heatmap.js';
import { linePlotSvg } from '../../src/plot/lines.js';
import { encodePngRgb, pngSize } from '../../src/plot/png.js';
import { imageFormatOf, renderSvg } from '../../src/plot/render.js';

/** Decodes our own (filter 0, RGB8) PNGs back to pixels. */
function decodeOwnPng(png: Buffer): { width: number; height: number; rgb: Buffer } {
  const { width, height } = pngSize(png)!;
  const chunks: Buffer[] = [];
  for (let o = 8; o < png.length; ) {
    const len = png.readUInt32BE(o);
    if (png.toString('latin1', o + 4, o + 8) === 'IDAT') chunks.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 3 + 1)]).toBe(0);
    raw.copy(rgb, y * width * 3, y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1));
  }
  return { width, height, rgb };
}

function heatInput(tres: number, ares: number): HeatmapImageInput {
  const heats = new Float64Array(tres * ares);
  for (let i = 0; i < tres; i++) heats[i * ares + (i % ares)] = 10; // a diagonal
  return {
    heats,
    timeResol: tres,
    addrResol: ares,
    timeStartNs: 1e9,
    timeEndNs: 1e9 + tres * 1e8,
    addrStart: 0x7f0000000000,
    addrEnd: 0x7f0000000000 + ares * 2 ** 20,
    absTime: false,
    absAddr: false,
    title: 'Memory access heatmap: pid 1 (a & b)',
    subtitleLines: ['line one'],
    heatTitle: 'access frequency (nr_accesses)',
  };
}

describe('PNG encoder', () => {
  it('round-trips pixels through a standard inflate', () => {
    const rgb = new Uint8Array(5 * 3 * 3).map((_, i) => (i * 37) & 255);
    const png = encodePngRgb(5, 3, rgb);
    expect(pngSize(png)).toEqual({ width: 5, height: 3 });
    expect(Array.from(decodeOwnPng(png).rgb)).toEqual(Array.from(rgb));
  });

  it('rejects wrong buffer sizes', () => {
    expect(() => encodePngRgb(2, 2, new Uint8Array(5))).toThrow(/expected 12/);
  });
});

describe('axes', () => {
  it('labels time in seconds relative to the start', () => {
    const a = timeAxis(539914032967, 539914032967 + 56.69e9, false);
    expect(a.title).toBe('time (s)');
    expect(a.ticks.map((t) => t.label)).toEqual(['0', '10', '20', '30', '40', '50']);
    expect(a.ticks[1]!.value).toBe(539914032967 + 10e9);
  });

  it('switches to ms for short spans', () => {
    expect(timeAxis(0, 800e6, false).title).toBe('time (ms)');
  });

  it('labels addresses as binary-unit offsets, or hex when absolute', () => {
    const rel = addressAxis(0x7f93e0c3c000, 0x7f93e0c3c000 + 196.8 * 2 ** 20, false);
    expect(rel.title).toBe('offset from 0x7f93e0c3c000 (MiB)');
    expect(rel.ticks.map((t) => t.label).slice(0, 3)).toEqual(['0', '20', '40']);
    const abs = addressAxis(0x7f93e0c3c000, 0x7f93e0c3c000 + 196.8 * 2 ** 20, true);
    expect(abs.ticks.every((t) => /^0x[0-9a-f]+0{5}$/.test(t.label))).toBe(true);
    expect(abs.ticks.length).toBeGreaterThanOrEqual(3);
  });

  it('formats human sizes and times for titles', () => {
    expect(humanBytes(196.848 * 2 ** 20)).toBe('196.8 MiB');
    expect(humanTime(56.692585684e9)).toBe('56.69 s');
    expect(humanTime(113385171)).toBe('113.4 ms');
  });
});

describe('heatmap SVG', () => {
  it('has the cells as one raster, both axes with titles, a colour bar and escaped titles', () => {
    const svg = heatmapSvg(heatInput(500, 500));
    expect(svg.match(/<image class="heat-cells"/g)).toHaveLength(1);
    expect(svg).not.toMatch(/<rect[^>]*class="cell/);
    expect(svg).toContain('class="x-axis time"');
    expect(svg).toContain('class="y-axis address"');
    expect(svg).toContain('>time (s)</text>');
    expect(svg).toContain('offset from 0x7f0000000000 (MiB)');
    expect(svg).toContain('class="colour-bar"');
    expect(svg).toContain('access frequency (nr_accesses)');
    expect(svg).toContain('pid 1 (a &#38; b)');
    // A 500x500 map is drawn 1:1.
    expect(svg).toMatch(/class="heat-cells" x="\d+" y="\d+" width="500" height="500"/);
  });

  it('puts time on x and low addresses at the bottom of the raster', () => {
    const input = heatInput(4, 3);
    input.heats.fill(0);
    input.heats[0 * 3 + 0] = 5; // earliest time, lowest address
    const svg = heatmapSvg(input);
    const b64 = /class="heat-cells"[^>]*href="data:image\/png;base64,([^"]+)"/.exec(svg)![1]!;
    const { width, height, rgb } = decodeOwnPng(Buffer.from(b64, 'base64'));
    // Drawn 1:1: 4 x 3 cells of 125 x 166 pixels.
    expect([width, height]).toEqual([4 * 125, 3 * 166]);
    const px = (x: number, y: number): number => rgb[(y * width + x) * 3]!;
    expect(px(0, height - 1)).toBeGreaterThan(200); // bottom-left is the hot cell
    expect(px(124, 2 * 166)).toBeGreaterThan(200);
    expect(px(125, height - 1)).toBeLessThan(10);
    expect(px(0, 2 * 166 - 1)).toBeLessThan(10);
    expect(px(0, 0)).toBeLessThan(10);
  });
});

describe('line plot SVG', () => {
  it('labels byte values in a binary unit and draws the series', () => {
    const svg = linePlotSvg({
      series: [{ name: 'all', xs: [0, 25, 50, 75, 100], ys: [95.16, 95.39, 95.39, 95.395, 196.871].map((m) => m * 2 ** 20) }],
      title: 'Working set size',
      xTitle: 'percentile',
      yTitle: 'working set size',
      yKind: 'bytes',
    });
    expect(svg).toContain('working set size (MiB)');
    expect(svg).toContain('<polyline class="series"');
    expect(svg.match(/<circle/g)).toHaveLength(5);
    expect(svg).not.toContain('class="legend"');
  });

  it('draws one coloured line per series with a legend', () => {
    const svg = linePlotSvg({
      series: [
        { name: 'target 1', xs: [0, 1, 2], ys: [3, 4, 5] },
        { name: 'target 2', xs: [0, 1, 2], ys: [5, 4, 3] },
      ],
      title: 'regions',
      xTitle: 'runtime (%)',
      yTitle: 'number of regions',
      yKind: 'count',
    });
    expect(svg.match(/<polyline class="series"/g)).toHaveLength(2);
    expect(svg).toContain('class="legend"');
    expect(svg).toContain('>target 2</text>');
  });
});

describe('rendering', () => {
  it('names supported formats by extension and rejects others with a hint', () => {
    expect(imageFormatOf('a/b/heat.PNG')).toBe('png');
    expect(imageFormatOf('x.svg')).toBe('svg');
    expect(imageFormatOf('x.pdf')).toBe('pdf');
    expect(() => imageFormatOf('x.jpeg')).toThrow(/not supported/);
    expect(() => imageFormatOf('heat')).toThrow(/no file extension/);
  });

  it('renders PNG at the SVG size and PDF with a valid structure', async () => {
    const svg = heatmapSvg(heatInput(40, 80));
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    const height = Number(/height="(\d+)"/.exec(svg)![1]);
    const png = await renderSvg(svg, 'png');
    expect(pngSize(png)).toEqual({ width, height });
    const pdf = await renderSvg(svg, 'pdf');
    const text = pdf.toString('latin1');
    expect(text.startsWith('%PDF-1.4')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    const startxref = Number(/startxref\n(\d+)/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    expect(text).toContain(`/Width ${width} /Height ${height}`);
  });
});
