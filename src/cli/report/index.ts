// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from 'commander';

import type { CommandContext } from '../context.js';
import { registerAccess } from './access.js';
import { registerReportDamon } from './damon.js';
import { registerHeatmap } from './heatmap.js';
import { registerHeats } from './heats.js';
import { registerHtml } from './html.js';
import { registerNrRegions } from './nr_regions.js';
import { registerRecordInfo } from './record_info.js';
import { registerRaw } from './raw.js';
import { registerReportSchemes } from './schemes.js';
import { registerWss } from './wss.js';
import { registerSysinfo } from '../kernel_info.js';

export function registerReport(program: Command, ctx: CommandContext): void {
  const report = program
    .command('report')
    .summary('print reports and pictures of a recording')
    .description("Read a recording (ours, or any of damo's formats) and report on it.")
    .addHelpText(
      'after',
      `
Examples:
  $ damo report raw -i damon.data | less
  $ damo report heats -i damon.data --heatmap stdout
  $ damo report wss -i damon.data
  $ damo report nr_regions -i damon.data
  $ damo report schemes -i damon.data -c '4K max 0 0 5s max pageout'
  $ damo help report heats        # the options of one report`,
    );
  registerRaw(report, ctx);
  registerAccess(report, ctx);
  registerHeats(report, ctx);
  registerHeatmap(report, ctx);
  registerWss(report, ctx);
  registerNrRegions(report, ctx);
  registerHtml(report, ctx);
  registerRecordInfo(report, ctx);
  registerReportSchemes(report, ctx);
  registerSysinfo(report, ctx);
  registerReportDamon(report, ctx);
}
