// SPDX-License-Identifier: GPL-2.0-only
/**
 * The command table. Each command's module here only parses its arguments into a request
 * and calls run<Name>Command() in src/<area>/<name>_command.ts (README, Layout); those are
 * imported lazily inside the actions so that reports work without the addon.
 *
 * The parsing modules are imported lazily too, only the one a command line names
 * (registry.ts).
 *
 * The order of the table is the order of `damo --help`.
 */
import type { Command } from 'commander';

import type { CommandContext } from './context.js';
import { registerLazily, type LazyCommand } from './registry.js';

const COMMANDS: readonly LazyCommand[] = [
  { names: ['record'], load: async () => (await import('./record.js')).registerRecord },
  { names: ['report'], load: async () => (await import('./report/index.js')).registerReport },
  { names: ['adjust'], load: async () => (await import('./adjust.js')).registerAdjust },
  { names: ['convert'], load: async () => (await import('./convert.js')).registerConvert },
  { names: ['convert_record_format'], load: async () => (await import('./convert.js')).registerConvertRecordFormat },
  { names: ['schemes'], load: async () => (await import('./schemes.js')).registerSchemes },
  { names: ['start', 'tune', 'stop'], load: async () => (await import('./kdamond.js')).registerKdamondControl },
  { names: ['args'], load: async () => (await import('./args.js')).registerArgs },
  { names: ['simulate'], load: async () => (await import('./report/schemes.js')).registerSimulate },
  { names: ['synth'], load: async () => (await import('./synth.js')).registerSynth },
  { names: ['replay'], load: async () => (await import('./replay.js')).registerReplay },
  { names: ['compare'], load: async () => (await import('./compare.js')).registerCompare },
  { names: ['validate'], load: async () => (await import('./validate.js')).registerValidate },
  { names: ['version'], load: async () => (await import('./convert.js')).registerVersion },
  { names: ['export'], load: async () => (await import('./export.js')).registerExport },
  { names: ['fleet'], load: async () => (await import('./fleet.js')).registerFleet },
  { names: ['features'], load: async () => (await import('./kernel_info.js')).registerFeatures },
  { names: ['module'], load: async () => (await import('./kernel_info.js')).registerModule },
  { names: ['completion'], wholeTree: true, load: async () => (await import('./completion.js')).registerCompletion },
];

/**
 * Registers what the command line `argv` (as main() parses it) needs; without `argv`, every
 * command. Resolves once the modules are loaded.
 */
export async function registerCommands(program: Command, ctx: CommandContext, argv?: readonly string[]): Promise<void> {
  await registerLazily(program, ctx, COMMANDS, argv);
}
