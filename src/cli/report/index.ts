import type { Command } from 'commander';

import type { CommandContext } from '../context.js';

export function registerReport(program: Command, _ctx: CommandContext): void {
  program
    .command('report')
    .summary('print reports and pictures of a recording')
    .description("Read a recording (ours, or any of damo's formats) and report on it.");
}
