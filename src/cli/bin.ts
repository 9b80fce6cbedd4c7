#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
// The `damo` executable of earlier builds, kept for whatever still runs it: the launcher is
// bin.cjs (bin.cts says why it is CommonJS).
import './bin.cjs';
