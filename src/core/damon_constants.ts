// SPDX-License-Identifier: GPL-2.0-only
/**
 * Numbers the kernel's DAMON and damo define, in one place: the integer limits that stand
 * for "no bound" in kernel files and damo's formats, and damo's default monitoring
 * attributes (`damo record` without options, and what damo assumes for files that do not
 * record their intervals).
 */
import type { Intervals, IntervalsGoal, NrRegionsRange } from './model.js';

/** 2^64 - 1: the kernel's ULONG_MAX on 64-bit machines, damo's `ulong_max` ('max'). */
export const ULONG_MAX = 18446744073709551615n;
/** ULONG_MAX as a double, which rounds to 2^64: anything at or above it means 'max', as in damo's float comparisons. */
export const ULONG_MAX_F = 18446744073709551616;
/** 2^32 - 1: the kernel's UINT_MAX (e.g. the quota priority weights' bound). */
export const UINT_MAX = 4294967295;

/** damo's default intervals: sample 5 ms, aggregate 100 ms, update the ops 1 s. */
export const DEFAULT_INTERVALS: Readonly<Intervals> = Object.freeze({ sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000 });
/** damo's default number of regions: at least 10, at most 1000. */
export const DEFAULT_NR_REGIONS: Readonly<NrRegionsRange> = Object.freeze({ min: 10, max: 1000 });
/** DAMON's intervals goal that asks for no auto-tuning (aggrs 0), damo's default. */
export const NO_INTERVALS_GOAL: Readonly<IntervalsGoal> = Object.freeze({ accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 });
/** damo's `--monitoring_intervals_autotune` goal: 4% of accesses per 3 aggregations, sampling between 5 ms and 10 s. */
export const AUTOTUNE_INTERVALS_GOAL: Readonly<IntervalsGoal> = Object.freeze({ accessBp: 400, aggrs: 3, minSampleUs: 5000, maxSampleUs: 10_000_000 });
