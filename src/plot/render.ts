// SPDX-License-Identifier: GPL-2.0-only
/**
 * Turns a plot's SVG text into the file the user asked for: the SVG itself, a PNG rendered
 * in-process by resvg (no gnuplot, no browser), or a one-page PDF around that PNG.
 */
import { existsSync } from 'node:fs';
import { checkOutputPath, refuseDirectory, writeOutputData } from '../core/output_file.js';
import { extname } from 'node:path';
import { deflateSync } from 'node:zlib';

import type * as ResvgTypes from '@resvg/resvg-js';

import { DamoError, errorMessage } from '../core/errors.js';

type ResvgModule = typeof ResvgTypes;

export type ImageFormat = 'svg' | 'png' | 'pdf';

const FORMATS: ReadonlyArray<ImageFormat> = ['svg', 'png', 'pdf'];

/**
 * The image format named by a file's extension; a usage error for anything else, and for
 * a directory (checked first, so `--heatmap DIR` says what is wrong).
 */
export function imageFormatOf(path: string): ImageFormat {
  refuseDirectory(path, 'the image');
  const ext = extname(path).slice(1).toLowerCase();
  if ((FORMATS as readonly string[]).includes(ext)) return ext as ImageFormat;
  const what = ext === '' ? `'${path}' has no file extension` : `'.${ext}' images are not supported`;
  const message = `${what}: name the image FILE.png, FILE.svg or FILE.pdf`;
  if (ext === 'jpeg' || ext === 'jpg') {
    throw new DamoError('E_USAGE', message, { hint: 'PNG is lossless and smaller for heatmaps; use .png' });
  }
  throw new DamoError('E_USAGE', message);
}

const DEJAVU_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/dejavu', '/usr/share/fonts/TTF'];

function fontOptions(): { loadSystemFonts: boolean; fontFiles?: string[]; defaultFontFamily: string } {
  // Loading two known files is ~10x faster than scanning every system font.
  for (const dir of DEJAVU_DIRS) {
    const regular = `${dir}/DejaVuSans.ttf`;
    if (existsSync(regular)) {
      const bold = `${dir}/DejaVuSans-Bold.ttf`;
      return {
        loadSystemFonts: false,
        fontFiles: existsSync(bold) ? [regular, bold] : [regular],
        defaultFontFamily: 'DejaVu Sans',
      };
    }
  }
  return { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' };
}

interface Raster {
  png: Buffer;
  rgba: Buffer;
  width: number;
  height: number;
}

async function rasterize(svg: string): Promise<Raster> {
  let resvg: ResvgModule;
  try {
    resvg = await import('@resvg/resvg-js');
  } catch (err) {
    throw new DamoError('E_UNSUPPORTED', `cannot load the PNG renderer (@resvg/resvg-js): ${errorMessage(err)}`, {
      hint: 'write an .svg image instead, or reinstall damo-ts with npm ci',
    });
  }
  const rendered = new resvg.Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'original' },
    font: fontOptions(),
    logLevel: 'off',
  }).render();
  return { png: rendered.asPng(), rgba: rendered.pixels, width: rendered.width, height: rendered.height };
}

/**
 * A minimal PDF 1.4: one page the size of the image (1 px = 0.75 pt, i.e. 96 dpi), showing
 * the rendered raster as a deflated RGB image XObject.
 */
export function pdfFromRgba(rgba: Buffer, width: number, height: number): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    rgb[o] = rgba[i]!;
    rgb[o + 1] = rgba[i + 1]!;
    rgb[o + 2] = rgba[i + 2]!;
  }
  const image = deflateSync(rgb);
  const pw = (width * 0.75).toFixed(2);
  const ph = (height * 0.75).toFixed(2);
  const content = Buffer.from(`q ${pw} 0 0 ${ph} 0 0 cm /Im0 Do Q\n`, 'latin1');
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>', 'latin1'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>', 'latin1'),
    Buffer.from(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${pw} ${ph}] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>`,
      'latin1',
    ),
    Buffer.concat([
      Buffer.from(
        `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB ` +
          `/BitsPerComponent 8 /Filter /FlateDecode /Length ${image.length} >>\nstream\n`,
        'latin1',
      ),
      image,
      Buffer.from('\nendstream', 'latin1'),
    ]),
    Buffer.concat([
      Buffer.from(`<< /Length ${content.length} >>\nstream\n`, 'latin1'),
      content,
      Buffer.from('endstream', 'latin1'),
    ]),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(obj);
    offset += obj.length;
  });
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
    'trailer',
    `<< /Size ${objects.length + 1} /Root 1 0 R >>`,
    'startxref',
    String(offset),
    '%%EOF',
    '',
  ].join('\n');
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}

/** Renders `svg` in `format`. */
export async function renderSvg(svg: string, format: ImageFormat): Promise<Buffer> {
  if (format === 'svg') return Buffer.from(svg, 'utf8');
  const raster = await rasterize(svg);
  if (format === 'png') return raster.png;
  return pdfFromRgba(raster.rgba, raster.width, raster.height);
}

/** Renders `svg` into `path`, in the format its extension names. Returns the bytes written. */
export async function writeImage(path: string, svg: string, notify?: (message: string) => void): Promise<number> {
  checkOutputPath(path, 'the image');
  const data = await renderSvg(svg, imageFormatOf(path));
  await writeOutputData(path, data, { what: 'the image', ...(notify === undefined ? {} : { notify }) });
  return data.length;
}
