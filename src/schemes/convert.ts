// SPDX-License-Identifier: GPL-2.0-only
/** `damo schemes convert`: schemes to one of the output forms. */
import { formatSchemesJson } from './damo_json.js';
import { debugfsFormatFor, debugfsText, sysfsText, type DebugfsFormat, type SchemeIntervals } from './kernel.js';
import type { Scheme } from './model.js';
import { formatSchemesText } from './text.js';

export type ConvertTarget = 'debugfs' | 'sysfs' | 'json' | 'text';

export interface ConvertOptions {
  to: ConvertTarget;
  intervals: SchemeIntervals;
  debugfsFormat?: DebugfsFormat | 'auto';
}

export function convertSchemes(schemes: readonly Scheme[], opts: ConvertOptions): string {
  switch (opts.to) {
    case 'debugfs': {
      const format = opts.debugfsFormat === undefined || opts.debugfsFormat === 'auto' ? debugfsFormatFor(schemes) : opts.debugfsFormat;
      return debugfsText(schemes, opts.intervals, format);
    }
    case 'sysfs':
      return sysfsText(schemes, opts.intervals);
    case 'json':
      return formatSchemesJson(schemes);
    case 'text':
      return formatSchemesText(schemes);
  }
}
