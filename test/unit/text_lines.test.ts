// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { linePlotText } from '../../src/plot/text_lines.js';

const base = { title: 'T', xTitle: 'x axis', yTitle: 'y axis', yKind: 'count' as const };

describe('linePlotText', () => {
  it('draws a rising line from the bottom-left to the top-right corner within the width', () => {
    const text = linePlotText({ ...base, series: [{ name: 'a', xs: [0, 100], ys: [0, 100] }] }, { columns: 40, rows: 10 });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('T');
    expect(lines[1]).toBe('y axis');
    const plot = lines.slice(2, 12);
    const start = plot[0]!.search(/[+|]/) + 1;
    // Top row: the curve reaches the right end; bottom row: it starts at the left end.
    expect(plot[9]!.charAt(start)).toBe('*');
    expect(plot.some((l) => l.endsWith('*'))).toBe(true);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(40);
    expect(lines.at(-1)!.trim()).toBe('x axis');
  });

  it('marks each series differently and names them in a legend', () => {
    const text = linePlotText(
      { ...base, series: [{ name: 'one', xs: [0, 1], ys: [1, 1] }, { name: 'two', xs: [0, 1], ys: [2, 2] }] },
      { columns: 60, rows: 8 },
    );
    expect(text).toContain('* one   o two');
    expect(text).toMatch(/\+?o{20,}/);
    expect(text).toMatch(/\*{20,}/);
  });

  it('labels a byte axis in one binary unit', () => {
    const text = linePlotText({ ...base, yKind: 'bytes', series: [{ name: 'a', xs: [0, 1], ys: [0, 3 * 2 ** 30] }] }, { columns: 60, rows: 8 });
    expect(text).toContain('y axis (GiB)');
  });
});
