// SPDX-License-Identifier: GPL-2.0-only
/**
 * Must be evaluated before the generated code (src/format/gen/trace.js): the generated
 * message prototypes compute their 64-bit default values at load time, as Long objects
 * whenever util.Long is set. Clearing it here makes every 64-bit field a plain number
 * (exact below 2^53); values that can exceed 2^53 are stored as text in the schema.
 */
import protobuf from 'protobufjs/minimal.js';

(protobuf.util as { Long: unknown }).Long = null;
protobuf.configure();
