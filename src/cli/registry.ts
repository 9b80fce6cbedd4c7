// SPDX-License-Identifier: GPL-2.0-only
/**
 * Lazy registration of commands. A command line names one command (and, under `damo
 * report`, one report), so only that command's parsing module is imported and registered;
 * `damo report wss` loads neither record's nor fleet's options. Help, completion and an
 * unknown name need every command, so they register the whole table. Start-up is most of
 * the time of a report on a small recording (issue 17; bench/startup.bench.ts).
 */
import type { Command } from 'commander';

import type { CommandContext } from './context.js';

/**
 * Registers one table entry's commands under `parent`. `words` are the arguments after the
 * entry's name, for an entry that registers its own subcommands lazily (report).
 */
export type Register = (parent: Command, ctx: CommandContext, words: readonly string[]) => void | Promise<void>;

export interface LazyCommand {
  /** The names of the commands the entry registers. */
  names: readonly string[];
  /** Needs every command of the table registered (it describes the whole tree). */
  wholeTree?: boolean;
  load(): Promise<Register>;
}

const HELP_FLAGS = new Set(['-h', '--help']);
const VERSION_FLAGS = new Set(['-V', '--version']);

/**
 * Registers, in table order, the entries of `table` that the arguments `words` (those after
 * `parent`'s name) need; without `words`, all of them. Resolves once they are loaded.
 */
export async function registerLazily(parent: Command, ctx: CommandContext, table: readonly LazyCommand[], words?: readonly string[]): Promise<void> {
  for (const { entry, rest } of entriesFor(table, words)) await (await entry.load())(parent, ctx, rest);
}

function entriesFor(table: readonly LazyCommand[], words: readonly string[] | undefined): Array<{ entry: LazyCommand; rest: readonly string[] }> {
  const all = table.map((entry) => ({ entry, rest: [] }));
  if (words === undefined) return all;
  const at = firstWord(words);
  if (at < 0) {
    // Options only: `damo --version` needs no command; `damo`, `damo --help` list them all.
    const versionOnly = words.some((a) => VERSION_FLAGS.has(a)) && !words.some((a) => HELP_FLAGS.has(a));
    return versionOnly ? [] : all;
  }
  const entry = table.find((e) => e.names.includes(words[at] as string));
  // An unknown name: commander's "did you mean" needs every name.
  if (entry === undefined || entry.wholeTree === true) return all;
  return [{ entry, rest: words.slice(at + 1) }];
}

/**
 * The index of the first argument that is not an option, or -1. The options that may come
 * before a command name (damo's --debug, --version, --help) take no value, so the first
 * such word is the name.
 */
function firstWord(words: readonly string[]): number {
  for (let i = 0; i < words.length; i++) {
    const a = words[i] as string;
    if (a === '--') return -1;
    if (!a.startsWith('-')) return i;
  }
  return -1;
}
