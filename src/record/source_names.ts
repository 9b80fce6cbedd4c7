// SPDX-License-Identifier: GPL-2.0-only
/**
 * The names of the places snapshots can come from (`damo record --source`) and schemes can
 * run (`damo schemes --backend`), in the order `auto` tries them, and of the switch between
 * the tracefs source's two readers. This module imports nothing, so the CLI can offer the
 * names as choices and in its help.
 */
export const KERNEL_SOURCES = ['tracefs', 'sysfs', 'debugfs'] as const;
export type KernelSourceKind = (typeof KERNEL_SOURCES)[number];

export const SOURCE_CHOICES = [...KERNEL_SOURCES, 'native'] as const;
export type SourceChoice = (typeof SOURCE_CHOICES)[number];

export const SCHEMES_BACKENDS = ['sysfs', 'debugfs', 'native'] as const;
export type SchemesBackend = (typeof SCHEMES_BACKENDS)[number];

/**
 * Set to `text` to have the tracefs source read trace_pipe even where it could read the
 * binary pages of trace_pipe_raw (tracefs.ts).
 */
export const TRACE_READER_ENV = 'DAMO_TRACE_READER';
