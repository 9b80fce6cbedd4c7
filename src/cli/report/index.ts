import type { Command } from 'commander';

import type { CommandContext } from '../context.js';
import { registerAccess } from './access.js';
import { registerHeatmap } from './heatmap.js';
import { registerHeats } from './heats.js';
import { registerNrRegions } from './nr_regions.js';
import { registerRecordInfo } from './record_info.js';
import { registerRaw } from './raw.js';
import { registerReportSchemes } from './schemes.js';
import { registerWss } from './wss.js';

export function registerReport(program: Command, ctx: CommandContext): void {
  const report = program
    .command('report')
    .summary('print reports and pictures of a recording')
    .description("Read a recording (ours, or any of damo's formats) and report on it.");
  registerRaw(report, ctx);
  registerAccess(report, ctx);
  registerHeats(report, ctx);
  registerHeatmap(report, ctx);
  registerWss(report, ctx);
  registerNrRegions(report, ctx);
  registerRecordInfo(report, ctx);
  registerReportSchemes(report, ctx);
}
