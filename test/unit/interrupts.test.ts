// SPDX-License-Identifier: GPL-2.0-only
import { afterEach, describe, expect, it, vi } from 'vitest';

import { INTERRUPT_CHECK_MS, interruptCheck } from '../../src/core/interrupts.js';

describe('interruptCheck', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('turns the event loop once INTERRUPT_CHECK_MS have passed, or at once when the clock stepped back', async () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    now += INTERRUPT_CHECK_MS;
    const first = interruptCheck();
    expect(first).toBeInstanceOf(Promise);
    await first;
    now += INTERRUPT_CHECK_MS - 1;
    expect(interruptCheck()).toBeUndefined();
    now += 1;
    const late = interruptCheck();
    expect(late).toBeInstanceOf(Promise);
    await late;
    // A wall clock set back (NTP, by hand) must not hold signals back until it catches up.
    now -= 60_000;
    const back = interruptCheck();
    expect(back).toBeInstanceOf(Promise);
    await back;
    expect(interruptCheck()).toBeUndefined();
  });
});
