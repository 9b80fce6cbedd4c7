// SPDX-License-Identifier: GPL-2.0-only
/**
 * commander's classes, loaded with require(). commander is a CommonJS package; importing it
 * as ESM goes through its esm.mjs wrapper and node's ESM-to-CommonJS translation, which costs
 * every `damo` command about twice what loading commander itself does (interleaved CPU times
 * of `node -e "require('commander')"` and `import 'commander'`; bench/startup.bench.ts).
 * Import commander's values from here; its types may still come from 'commander'.
 */
import { createRequire } from 'node:module';

import type * as commander from 'commander';

const loaded = createRequire(import.meta.url)('commander') as typeof commander;

export const Argument = loaded.Argument;
export type Argument = commander.Argument;
export const Command = loaded.Command;
export type Command = commander.Command;
export const CommanderError = loaded.CommanderError;
export type CommanderError = commander.CommanderError;
export const InvalidArgumentError = loaded.InvalidArgumentError;
export type InvalidArgumentError = commander.InvalidArgumentError;
export const Option = loaded.Option;
export type Option = commander.Option;
export type { Help, ParseOptionsResult } from 'commander';
