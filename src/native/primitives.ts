// SPDX-License-Identifier: GPL-2.0-only
/**
 * The access-check primitives of the native engine (native/access/ in C++, whose addon
 * reports a capability for each of these names; test/native checks that they agree).
 * This module imports nothing, so the CLI can offer the names as --primitive choices.
 */
export const PRIMITIVES = ['page_idle', 'soft_dirty', 'clear_refs', 'synthetic'] as const;
export type PrimitiveName = (typeof PRIMITIVES)[number];

/**
 * The primitives that watch real memory, in the order `auto` tries them (the most precise
 * first); synthetic is never chosen automatically. These are what `damo record` offers.
 */
export const RECORD_PRIMITIVES = ['page_idle', 'soft_dirty', 'clear_refs'] as const satisfies readonly PrimitiveName[];
export type RecordPrimitive = (typeof RECORD_PRIMITIVES)[number];
