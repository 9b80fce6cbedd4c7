/**
 * The command table. Each command lives in its own module that only parses options and
 * calls into src/record, src/report or src/schemes; heavy modules are imported lazily
 * inside actions so that `damo --help` stays fast and `report` works without the addon.
 */
import type { Command } from 'commander';

import type { CommandContext } from './context.js';
import { registerCompare } from './compare.js';
import { registerCompletion } from './completion.js';
import { registerReplay } from './replay.js';
import { registerConvert } from './convert.js';
import { registerRecord } from './record.js';
import { registerReport } from './report/index.js';
import { registerSimulate } from './report/schemes.js';
import { registerSchemes } from './schemes.js';
import { registerSynth } from './synth.js';

export function registerCommands(program: Command, ctx: CommandContext): void {
  registerRecord(program, ctx);
  registerReport(program, ctx);
  registerConvert(program, ctx);
  registerSchemes(program, ctx);
  registerSimulate(program, ctx);
  registerSynth(program, ctx);
  registerReplay(program, ctx);
  registerCompare(program, ctx);
  registerCompletion(program, ctx);
}
