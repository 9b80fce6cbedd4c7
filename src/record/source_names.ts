// SPDX-License-Identifier: GPL-2.0-only
/**
 * The names of the places snapshots can come from (`damo record --source`) and schemes can
 * run (`damo schemes --backend`), in the order `auto` tries them. This module imports
 * nothing, so the CLI can offer the names as choices.
 */
export const KERNEL_SOURCES = ['tracefs', 'sysfs', 'debugfs'] as const;
export type KernelSourceKind = (typeof KERNEL_SOURCES)[number];

export const SOURCE_CHOICES = [...KERNEL_SOURCES, 'native'] as const;
export type SourceChoice = (typeof SOURCE_CHOICES)[number];

export const SCHEMES_BACKENDS = ['sysfs', 'debugfs', 'native'] as const;
export type SchemesBackend = (typeof SCHEMES_BACKENDS)[number];
