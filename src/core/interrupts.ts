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

/**
 * How long synchronous work may hold the event loop before it lets signal handlers run.
 * Node runs a signal's handler only when the event loop turns; a report that walks
 * snapshots already in memory (or decoded ahead) through an async generator only queues
 * microtasks, so without a turn of the loop SIGTERM waited for the whole walk (16-20 s on
 * a 1M-region recording, issue 14 item 5). A turn every 50 ms keeps the reaction well
 * under a second at a cost that does not show in the benchmarks.
 */
export const INTERRUPT_CHECK_MS = 50;

/**
 * Date.now(), not performance.now(): the first use of the global `performance` loads Node's
 * perf_hooks (a dozen internal modules), which this module, loaded by every command, made
 * part of every start-up. A wall clock that steps back only makes the next check turn the
 * loop at once (the difference is then negative).
 */
let lastTurnMs = Date.now();

function turnEventLoop(): Promise<void> {
  return new Promise((resolve) =>
    setImmediate(() => {
      lastTurnMs = Date.now();
      resolve();
    }),
  );
}

/**
 * Where a long loop lets pending signal handlers run: undefined (go on at once) until
 * INTERRUPT_CHECK_MS have passed since the last turn of the event loop, then a promise
 * that resolves after one turn. Call it between units of work (a snapshot, a chunk).
 */
export function interruptCheck(): Promise<void> | undefined {
  const sinceMs = Date.now() - lastTurnMs;
  return sinceMs >= 0 && sinceMs < INTERRUPT_CHECK_MS ? undefined : turnEventLoop();
}

/**
 * `items` in order, with an interruptCheck() before each one. A pass-through iterator rather
 * than an async generator: a generator layer costs a promise round trip per item, which on
 * recordings of small snapshots (hundreds of thousands per file) was a large part of a
 * report's time.
 */
export function interruptible<T>(items: AsyncIterable<T> | Iterable<T>): AsyncIterableIterator<T> {
  const inner: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
  const pull = (): Promise<IteratorResult<T>> => Promise.resolve(inner.next());
  return {
    next(): Promise<IteratorResult<T>> {
      const turn = interruptCheck();
      return turn === undefined ? pull() : turn.then(pull);
    },
    async return(value?: unknown): Promise<IteratorResult<T>> {
      if (inner.return !== undefined) await inner.return(value as T);
      return { done: true, value: value as T };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
