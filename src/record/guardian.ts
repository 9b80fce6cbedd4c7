// SPDX-License-Identifier: GPL-2.0-only
/**
 * A watchdog that undoes our kernel changes if the recorder dies without doing it itself
 * (SIGKILL, OOM kill, a crash in the addon). Without it, a killed recorder would leave its
 * kdamond running forever and keep the kernel busy for every other DAMON user.
 *
 * The guardian is a tiny `/bin/sh` in its own session that ignores INT/TERM/HUP and reads
 * restore commands from a pipe. We send one line per step as it becomes needed; on
 * "done" it exits without doing anything; on end of file (we died) it runs the steps in
 * reverse order of registration, like a stack of deferred calls. Every step is guarded by a
 * check (e.g. the kdamond's pid is still the one we started), so running it after we
 * already restored is harmless.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export type GuardianStep =
  | { kind: 'write-if-equals'; checkPath: string; equals: string; path: string; value: string }
  | { kind: 'write'; path: string; value: string }
  | { kind: 'rmdir'; path: string };

export interface Guardian {
  add(step: GuardianStep): void;
  /** Our own restore finished: the guardian exits without acting. */
  done(): void;
}

/** Quotes a string for sh: single quotes, with embedded ones closed and escaped. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The shell command one step runs (exported for tests). */
export function stepCommand(step: GuardianStep): string {
  switch (step.kind) {
    case 'write-if-equals':
      return `[ "$(cat ${shQuote(step.checkPath)} 2>/dev/null)" = ${shQuote(step.equals)} ] && printf '%s' ${shQuote(step.value)} > ${shQuote(step.path)} 2>/dev/null`;
    case 'write':
      return `printf '%s' ${shQuote(step.value)} > ${shQuote(step.path)} 2>/dev/null`;
    case 'rmdir':
      return `rmdir ${shQuote(step.path)} 2>/dev/null`;
  }
}

/** The guardian's shell program (exported for tests). */
export const GUARDIAN_SCRIPT = `trap '' INT TERM HUP PIPE
cmds=':'
while IFS= read -r line; do
  if [ "$line" = done ]; then exit 0; fi
  cmds="$line
$cmds"
done
eval "$cmds"
exit 0`;

export class ShellGuardian implements Guardian {
  private child: ChildProcess | null;
  private finished = false;

  constructor(onError: (message: string) => void) {
    let child: ChildProcess | null;
    try {
      child = spawn('/bin/sh', ['-c', GUARDIAN_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      child.on('error', (err) => {
        onError(`the crash guardian could not start (${err.message}); if this recorder is killed, our kernel changes stay`);
        this.child = null;
      });
      child.stdin?.on('error', () => {
        // The guardian went away; nothing to tell it any more.
      });
      // Neither the guardian nor its pipe may keep the recorder alive.
      child.unref();
      (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    } catch (err) {
      onError(`the crash guardian could not start (${(err as Error).message})`);
      child = null;
    }
    this.child = child;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  add(step: GuardianStep): void {
    if (this.finished || this.child?.stdin == null) return;
    this.child.stdin.write(`${stepCommand(step)}\n`);
  }

  done(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.child?.stdin == null) return;
    this.child.stdin.end('done\n');
  }
}

/** For callers that do not want a guardian (unit tests of the sources). */
export class NoGuardian implements Guardian {
  readonly steps: GuardianStep[] = [];
  add(step: GuardianStep): void {
    this.steps.push(step);
  }
  done(): void {}
}
