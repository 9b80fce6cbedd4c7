// SPDX-License-Identifier: GPL-2.0-only
/**
 * SIGINT/SIGTERM handling for the whole CLI. By default an interrupt ends the process at
 * once with 130 (SIGINT) or 143 (SIGTERM), the shell convention. A command that must finish
 * something first (the recorder closing its trace, restoring kernel state) registers a
 * handler; the process then exits only when that handler's work is done. A second signal
 * while a handler runs forces the exit, so a stuck cleanup can always be escaped.
 *
 * Long reports let the handlers run by turning the event loop every 50 ms
 * (core/interrupts.ts). The default exit waits (at most FS_SETTLE_MS) for file operations
 * already running in libuv's thread pool: an open() of a temporary output still in flight
 * would otherwise create the file after the 'exit' hook of core/output_file.ts removed
 * it, leaving a `.NAME.tmp-PID` behind (seen with `report html` interrupted as it wrote).
 */
import { SIGNAL_EXIT_CODES, type InterruptSignal, type OnInterrupt } from '../core/interrupts.js';

type Handler = (signal: InterruptSignal) => void;

const handlers = new Set<Handler>();
let installed = false;
let handling = false;

/** The longest the default exit waits for file operations in flight. */
const FS_SETTLE_MS = 300;

function fsRequestsInFlight(): boolean {
  return process.getActiveResourcesInfo().some((r) => r === 'FSReqCallback' || r === 'FSReqPromise');
}

function exitWhenFilesSettle(code: number, exit: (code: number) => never): void {
  const deadline = performance.now() + FS_SETTLE_MS;
  const check = (): void => {
    if (!fsRequestsInFlight() || performance.now() >= deadline) return exit(code);
    setTimeout(check, 2);
  };
  check();
}

/** Installs the process-wide handlers; called once by bin.cts (never by in-process tests). */
export function installSignalHandlers(exit: (code: number) => never = (code) => process.exit(code)): void {
  if (installed) return;
  installed = true;
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as InterruptSignal[]) {
    process.on(signal, () => {
      if (handling) exit(SIGNAL_EXIT_CODES[signal]);
      handling = true;
      if (handlers.size === 0) {
        exitWhenFilesSettle(SIGNAL_EXIT_CODES[signal], exit);
        return;
      }
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
