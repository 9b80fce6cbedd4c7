// SPDX-License-Identifier: GPL-2.0-only
/**
 * The command table. Each command's module here only parses its arguments into a request
 * and calls run<Name>Command() in src/<area>/<name>_command.ts (README, Layout); those are
 * imported lazily inside the actions so that `damo --help` stays fast and reports work
 * without the addon.
 */
import type { Command } from 'commander';

import { registerAdjust } from './adjust.js';
import type { CommandContext } from './context.js';
import { registerCompare } from './compare.js';
import { registerCompletion } from './completion.js';
import { registerReplay } from './replay.js';
import { registerConvert, registerConvertRecordFormat, registerVersion } from './convert.js';
import { registerExport } from './export.js';
import { registerFleet } from './fleet.js';
import { registerKdamondControl } from './kdamond.js';
import { registerFeatures, registerModule } from './kernel_info.js';
import { registerRecord } from './record.js';
import { registerReport } from './report/index.js';
import { registerSimulate } from './report/schemes.js';
import { registerSchemes } from './schemes.js';
import { registerSynth } from './synth.js';
import { registerValidate } from './validate.js';

export function registerCommands(program: Command, ctx: CommandContext): void {
  registerRecord(program, ctx);
  registerReport(program, ctx);
  registerAdjust(program, ctx);
  registerConvert(program, ctx);
  registerConvertRecordFormat(program, ctx);
  registerSchemes(program, ctx);
  registerKdamondControl(program, ctx);
  registerSimulate(program, ctx);
  registerSynth(program, ctx);
  registerReplay(program, ctx);
  registerCompare(program, ctx);
  registerValidate(program, ctx);
  registerVersion(program, ctx);
  registerExport(program, ctx);
  registerFleet(program, ctx);
  registerFeatures(program, ctx);
  registerModule(program, ctx);
  registerCompletion(program, ctx);
}
