// SPDX-License-Identifier: GPL-2.0-only
/**
 * The one-line status a monitoring session keeps up to date on a terminal's stderr, redrawn
 * in place every interval and erased at the end.
 */
export class StatusLine {
  private timer: NodeJS.Timeout | null = null;
  private shown = false;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly render: () => string,
    intervalMs: number,
    enabled: boolean,
  ) {
    if (enabled) {
      this.timer = setInterval(() => this.draw(), intervalMs);
      this.timer.unref();
    }
  }

  private draw(): void {
    this.stream.write(`\r\x1b[2K${this.render()}`);
    this.shown = true;
  }

  clear(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
