// SPDX-License-Identifier: GPL-2.0-only
/**
 * The signals that interrupt a command, the shell's exit code for each, and how a command
 * asks to hear of them (src/cli/signals.ts installs the process handlers).
 */
export type InterruptSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** 128 + the signal number, the shell's convention for a command ended by a signal. */
export const SIGNAL_EXIT_CODES: Readonly<Record<InterruptSignal, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Registers a handler for interrupts; returns the function that unregisters it. */
export type OnInterrupt = (handler: (signal: InterruptSignal) => void) => () => void;
