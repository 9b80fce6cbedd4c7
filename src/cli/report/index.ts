// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from 'commander';

import type { CommandContext } from '../context.js';
import { registerLazily, type LazyCommand } from '../registry.js';

/**
 * The reports, in the order of `damo report --help`; only the one a command line names
 * is loaded (registry.ts).
 */
const REPORTS: readonly LazyCommand[] = [
  { names: ['raw'], load: async () => (await import('./raw.js')).registerRaw },
  { names: ['access'], load: async () => (await import('./access.js')).registerAccess },
  { names: ['heats'], load: async () => (await import('./heats.js')).registerHeats },
  { names: ['heatmap'], load: async () => (await import('./heatmap.js')).registerHeatmap },
  { names: ['wss'], load: async () => (await import('./wss.js')).registerWss },
  { names: ['nr_regions'], load: async () => (await import('./nr_regions.js')).registerNrRegions },
  { names: ['html'], load: async () => (await import('./html.js')).registerHtml },
  { names: ['record_info'], load: async () => (await import('./record_info.js')).registerRecordInfo },
  { names: ['schemes'], load: async () => (await import('./schemes.js')).registerReportSchemes },
  { names: ['sysinfo'], load: async () => (await import('../kernel_info.js')).registerSysinfo },
  { names: ['damon'], load: async () => (await import('./damon.js')).registerReportDamon },
];

export async function registerReport(program: Command, ctx: CommandContext, words?: readonly string[]): Promise<void> {
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
  await registerLazily(report, ctx, REPORTS, words);
}
