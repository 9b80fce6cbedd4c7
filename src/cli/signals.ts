// SPDX-License-Identifier: GPL-2.0-only
/**
 * SIGINT/SIGTERM handling for the whole CLI. By default an interrupt ends the process at
 * once with 130 (SIGINT) or 143 (SIGTERM), the shell convention. A command that must finish
 * something first (the recorder closing its trace, restoring kernel state) registers a
 * handler; the process then exits only when that handler's work is done. A second signal
 * while a handler runs forces the exit, so a stuck cleanup can always be escaped.
 */
import { SIGNAL_EXIT_CODES, type InterruptSignal, type OnInterrupt } from '../core/interrupts.js';

type Handler = (signal: InterruptSignal) => void;

const handlers = new Set<Handler>();
let installed = false;
let handling = false;

/** Installs the process-wide handlers; called once by bin.ts (never by in-process tests). */
export function installSignalHandlers(exit: (code: number) => never = (code) => process.exit(code)): void {
  if (installed) return;
  installed = true;
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as InterruptSignal[]) {
    process.on(signal, () => {
      if (handlers.size === 0 || handling) exit(SIGNAL_EXIT_CODES[signal]);
      handling = true;
      for (const h of [...handlers]) h(signal);
    });
  }
}

/**
 * Registers a handler for interrupts; returns a function that unregisters it. The handler
 * should make the running command finish promptly and let it return its exit code
 * (SIGNAL_EXIT_CODES[signal]) through main().
 */
export const onInterrupt: OnInterrupt = (handler: Handler): (() => void) => {
  handlers.add(handler);
  return () => {
    handlers.delete(handler);
    if (handlers.size === 0) handling = false;
  };
};
