// SPDX-License-Identifier: GPL-2.0-only
// DAMON's region-based sampling core, ported to user space.
//
// Plain C++17, no N-API. The functions carry the kernel's names (mm/damon/core.c and
// mm/damon/vaddr.c, about v6.17) so the port can be read side by side with the kernel;
// each one says where it follows the kernel and where it deliberately differs.
//
// Differences from the kernel, all deliberate:
// - Regions of a target live in a std::vector (address order) instead of a linked list;
//   merge compacts in place, split rebuilds the vector. Same results, better locality.
// - `min_region_sz` (DAMON_MIN_REGION, PAGE_SIZE in the kernel, 1 in KUnit builds) is a
//   context field so the KUnit tables can run with 1 and real monitoring with the page size.
// - kdamond_split_regions()'s `last_nr_regions` is a function-static in the kernel and so
//   shared by every kdamond; here it is per context.
// - damon_rand() draws 64-bit offsets from a seeded generator. The kernel draws a u32, which
//   for regions of 4 GiB or more only samples the first (size mod 2^32) bytes.
// - damon_apply_min_nr_regions() (mm.git 2026, "mm/damon/core: split regions for
//   min_nr_regions") is applied at start and after every ops update, so a snapshot never holds
//   fewer than min_nr_regions regions; released kernels up to 7.1 enforce the minimum only
//   through the initial vaddr split and the merge size limit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/rng.h"

namespace damo {

struct AddrRange {
  uint64_t start;
  uint64_t end;  // exclusive
};

inline bool operator==(const AddrRange& a, const AddrRange& b) {
  return a.start == b.start && a.end == b.end;
}

// struct damon_region
struct Region {
  uint64_t start;
  uint64_t end;
  uint64_t sampling_addr;
  uint32_t nr_accesses;
  uint32_t nr_accesses_bp;
  uint32_t last_nr_accesses;
  uint32_t age;
};

inline uint64_t damon_sz_region(const Region& r) { return r.end - r.start; }

inline Region damon_new_region(uint64_t start, uint64_t end) {
  return Region{start, end, start, 0, 0, 0, 0};
}

// struct damon_attrs (the part the monitoring loop uses).
struct Attrs {
  uint64_t sample_us = 5000;
  uint64_t aggr_us = 100000;
  uint64_t ops_update_us = 1000000;  // damo's CLI default (the kernel's is 60 s)
  uint32_t min_nr_regions = 10;
  uint32_t max_nr_regions = 1000;
};

// damon_max_nr_accesses(): samples per aggregation, the largest nr_accesses can get.
inline uint32_t damon_max_nr_accesses(const Attrs& a) {
  if (a.sample_us == 0) return 1;
  uint64_t n = a.aggr_us / a.sample_us;
  return n > 0xffffffffULL ? 0xffffffffU : static_cast<uint32_t>(n);
}

// Checks damon_set_attrs() does; returns an empty string when valid, else why not.
std::string damon_validate_attrs(const Attrs& a);

// struct damon_target
struct Target {
  int pid = -1;                    // -1: address ranges only (fvaddr without pid, paddr, synthetic)
  std::vector<AddrRange> ranges;   // user ranges; empty for vaddr (three-regions layout)
  std::vector<Region> regions;     // address order, never overlapping
  bool valid = true;               // false once the process exited
};

inline size_t damon_nr_regions(const Target& t) { return t.regions.size(); }

// Everything the core algorithms need besides the targets.
struct Ctx {
  Attrs attrs;
  uint64_t min_region_sz = 4096;   // DAMON_MIN_REGION
  uint32_t last_nr_regions = 0;    // kdamond_split_regions()'s static
  Rng rng;
  std::vector<Target> targets;
};

inline uint64_t align_down(uint64_t x, uint64_t a) { return x / a * a; }
inline uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

// damon_rand(l, r): uniform in [l, r).
inline uint64_t damon_rand(Rng& rng, uint64_t l, uint64_t r) {
  return r > l ? l + rng.below(r - l) : l;
}

// --- region bookkeeping (mm/damon/core.c) ---

// Set the target's regions to fit `ranges` (sorted, non-overlapping): drop regions that
// intersect no range, stretch the first/last intersecting region of each range to its
// (aligned) bounds, fill holes with new regions, add a region for ranges nothing intersects.
void damon_set_regions(Target& t, const std::vector<AddrRange>& ranges, uint64_t min_region_sz);

// Split `regions[idx]` so that its first piece is `sz_r` bytes; the new right piece inherits
// age, last_nr_accesses, nr_accesses and nr_accesses_bp.
void damon_split_region_at(Target& t, size_t idx, uint64_t sz_r);

// Merge regions[idx + 1] into regions[idx] with size-weighted nr_accesses and age.
void damon_merge_two_regions(Target& t, size_t idx);

// Age every region when `count_age` (reset when nr_accesses moved more than `thres` since
// the last aggregation, else one more) and merge adjacent regions whose nr_accesses differ
// by at most `thres` while the result stays within `sz_limit`.
void damon_merge_regions_of(Target& t, uint32_t thres, uint64_t sz_limit, bool count_age = true);

// Repeat damon_merge_regions_of() over all targets, ages counted in the first pass only,
// doubling the threshold up to the samples per aggregation, until the total region count
// fits max_nr_regions or a pass at that threshold ran (Linux 6.12).
void kdamond_merge_regions(Ctx& c, uint32_t threshold, uint64_t sz_limit);

// Split each region into up to `nr_subs` pieces at random 10-90% points, always splitting
// the left piece further (kernel order).
void damon_split_regions_of(Ctx& c, Target& t, int nr_subs);

// Split every region in 2 (3 when the region count did not change since the last split and
// is below max/3); skipped while the total count is above max_nr_regions / 2.
void kdamond_split_regions(Ctx& c);

// Size upper limit of each region: total monitored bytes / min_nr_regions, at least MIN.
uint64_t damon_region_sz_limit(const Ctx& c);

// last_nr_accesses = nr_accesses; nr_accesses = 0 (after fixing a corrupted moving sum).
void kdamond_reset_aggregated(Ctx& c);

// Pseudo moving sum plus the raw counter (damon_update_region_access_rate()).
inline void damon_update_region_access_rate(Region& r, bool accessed, const Attrs& attrs) {
  const uint32_t len_window = attrs.sample_us ? damon_max_nr_accesses(attrs) : 1;
  // damon_moving_sum(mvsum, nomvsum, len_window, new_value)
  r.nr_accesses_bp = r.nr_accesses_bp - (r.last_nr_accesses * 10000U) / len_window +
                     (accessed ? 10000U : 0U);
  if (accessed) r.nr_accesses++;
}

// --- initial regions (mm/damon/vaddr.c) ---

// Size-evenly split regions[idx] into nr_pieces; the last piece takes the rounding rest.
// Returns false (and changes nothing) for nr_pieces == 0 or pieces smaller than MIN.
bool damon_va_evenly_split_region(Target& t, size_t idx, uint32_t nr_pieces, uint64_t min_region_sz);

// Three regions covering every mapping except the two biggest gaps between mappings.
// `vmas` must be sorted and non-overlapping. Returns false when there are fewer than two gaps.
bool damon_va_three_regions(const std::vector<AddrRange>& vmas, AddrRange regions[3],
                            uint64_t min_region_sz);

// The layout used for vaddr targets: the three regions, or, when the address space has fewer
// than two gaps (the kernel then monitors nothing), every mapping from first to last split at
// the gaps that exist. Empty when `vmas` is empty.
std::vector<AddrRange> damon_va_layout(const std::vector<AddrRange>& vmas, uint64_t min_region_sz);

// __damon_va_init_regions() for one target given its layout: one region per range, each
// evenly split so the target gets about min_nr_regions pieces.
void damon_va_init_regions(Ctx& c, Target& t, const std::vector<AddrRange>& layout);

// Split regions larger than damon_region_sz_limit() evenly so no region exceeds it; this
// guarantees at least min_nr_regions regions.
void damon_apply_min_nr_regions(Ctx& c);

// DAMOS resets the age of a region a non-stat action was applied to (damos_apply_scheme()).
// For schemes applied after the fact (the engine's snapshot went to JS, the regions have
// been split since): every region inside `ranges` gets age 0, a region partly inside gets
// the size-weighted age of its parts (0 for the covered bytes), as damon_merge_two_regions()
// would weigh them. `ranges` must be sorted and non-overlapping.
void damos_reset_age_in(Target& t, const std::vector<AddrRange>& ranges);

// Total number of regions over all targets.
size_t ctx_nr_regions(const Ctx& c);

}  // namespace damo
