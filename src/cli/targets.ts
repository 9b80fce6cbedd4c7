// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the positional arguments of `damo record` and `damo schemes -c` name: a command to
 * start, running processes, or physical memory.
 *
 * A single argument with spaces and no --shell is split into words the way damo's users
 * write `damo record "sleep 5"`, with quotes respected but no shell expansion.
 */
import { DamoError } from '../core/errors.js';
import type { TargetSpec } from '../record/target.js';

/** Splits a command line into words: whitespace separates, '…' and "…" group, \ escapes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new DamoError('E_USAGE', `unterminated ${quote} quote in the command '${text}'`);
  if (inWord) words.push(cur);
  return words;
}

/** Decides what the positional arguments name. */
export function parseTargetArgs(args: string[], options: { shell?: boolean; targetPids?: number[]; forSchemes?: boolean } = {}): TargetSpec {
  const pidsOpt = options.targetPids ?? [];
  if (args.length === 0) {
    if (pidsOpt.length > 0) return { kind: 'pids', pids: pidsOpt };
    if (options.forSchemes === true) {
      throw new DamoError('E_USAGE', 'nothing to apply the schemes to: give a command, pid(s) or paddr', {
        hint: "e.g. 'damo schemes -c FILE -- ./workload --arg', 'damo schemes -c FILE 1234' (a pid after -r/--regions needs --target_pid)",
      });
    }
    throw new DamoError('E_USAGE', 'nothing to record: give a command, pid(s) or paddr', {
      hint: "e.g. 'damo record -- ./workload --arg', 'damo record 1234', or 'damo record paddr'",
    });
  }
  if (pidsOpt.length > 0) throw new DamoError('E_USAGE', '--target_pid cannot be combined with a command or paddr target');
  if (options.shell === true) {
    const line = args.join(' ');
    return { kind: 'command', argv: ['/bin/sh', '-c', line], shell: true, display: line };
  }
  if (args.length === 1 && args[0] === 'paddr') return { kind: 'paddr' };
  if (args.length === 1 && args[0] === 'ongoing') {
    if (options.forSchemes === true) throw new DamoError('E_USAGE', "'ongoing' records a running kdamond; schemes need a command, pid(s) or paddr", { hint: "change a running kdamond's schemes with 'damo tune'" });
    return { kind: 'ongoing' };
  }
  if (args.every((a) => /^\d+$/.test(a))) {
    const pids = args.map(Number);
    if (pids.some((p) => p <= 0 || !Number.isSafeInteger(p))) throw new DamoError('E_USAGE', `invalid pid in '${args.join(' ')}'`);
    return { kind: 'pids', pids };
  }
  const argv = args.length === 1 ? splitWords(args[0] as string) : args;
  if (argv.length === 0) throw new DamoError('E_USAGE', `the command to ${options.forSchemes === true ? 'apply the schemes to' : 'record'} is empty`);
  return { kind: 'command', argv, shell: false, display: argv.join(' ') };
}
