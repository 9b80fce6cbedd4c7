// SPDX-License-Identifier: GPL-2.0-only
/**
 * The generated protobuf code, configured for plain-number 64-bit fields. Import protobuf
 * messages from here, never from ./gen directly, so pb_config runs first.
 */
import './pb_config.js';

import { damo } from './gen/trace.js';

export const pb = damo.trace.v1;
