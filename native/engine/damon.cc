// SPDX-License-Identifier: GPL-2.0-only
#include "engine/damon.h"

#include <algorithm>

namespace damo {

namespace {

bool damon_intersect(const Region& r, const AddrRange& re) {
  return !(r.end <= re.start || re.end <= r.start);
}

uint32_t abs_diff(uint32_t a, uint32_t b) { return a > b ? a - b : b - a; }

// (a * sa + b * sb) / (sa + sb) without overflowing 64 bits.
uint32_t weighted_avg(uint32_t a, uint64_t sa, uint32_t b, uint64_t sb) {
  const unsigned __int128 num =
      static_cast<unsigned __int128>(a) * sa + static_cast<unsigned __int128>(b) * sb;
  return static_cast<uint32_t>(num / (sa + sb));
}

}  // namespace

std::string damon_validate_attrs(const Attrs& a) {
  // damon_set_attrs(): min_nr_regions < 3, min > max and sample > aggr are -EINVAL.
  if (a.min_nr_regions < 3) return "min_nr_regions must be at least 3";
  if (a.min_nr_regions > a.max_nr_regions) return "min_nr_regions must not exceed max_nr_regions";
  if (a.sample_us == 0) return "the sampling interval must be at least 1 us";
  if (a.sample_us > a.aggr_us) return "the sampling interval must not exceed the aggregation interval";
  if (a.ops_update_us == 0) return "the ops update interval must be at least 1 us";
  return "";
}

void damon_set_regions(Target& t, const std::vector<AddrRange>& ranges, uint64_t min_region_sz) {
  auto& rs = t.regions;
  // Remove regions which are not in the new ranges.
  rs.erase(std::remove_if(rs.begin(), rs.end(),
                          [&](const Region& r) {
                            for (const auto& range : ranges)
                              if (damon_intersect(r, range)) return false;
                            return true;
                          }),
           rs.end());

  // Walk regions and ranges together, like the kernel's damon_for_each_region_from(r, t):
  // `j` is the kernel's cursor `r`, kept across ranges.
  size_t j = 0;
  for (const auto& range : ranges) {
    long first = -1, last = -1;
    for (; j < rs.size(); j++) {
      if (damon_intersect(rs[j], range)) {
        if (first < 0) first = static_cast<long>(j);
        last = static_cast<long>(j);
      }
      if (rs[j].start >= range.end) break;
    }
    if (first < 0) {
      // No region intersects with this range: insert one before the cursor.
      rs.insert(rs.begin() + static_cast<long>(j),
                damon_new_region(align_down(range.start, min_region_sz),
                                 align_up(range.end, min_region_sz)));
      j++;
    } else {
      // Resize intersecting regions to fit in this range, then fill the holes between them
      // (damon_fill_regions_holes()).
      rs[first].start = align_down(range.start, min_region_sz);
      rs[last].end = align_up(range.end, min_region_sz);
      for (long k = first; k < last; k++) {
        if (rs[k].end != rs[k + 1].start) {
          rs.insert(rs.begin() + k + 1, damon_new_region(rs[k].end, rs[k + 1].start));
          k++;
          last++;
          j++;
        }
      }
    }
  }
}

void damon_split_region_at(Target& t, size_t idx, uint64_t sz_r) {
  Region& r = t.regions[idx];
  Region n = r;  // inherits age, last_nr_accesses, nr_accesses_bp and nr_accesses
  n.start = r.start + sz_r;
  n.sampling_addr = n.start;
  r.end = n.start;
  t.regions.insert(t.regions.begin() + static_cast<long>(idx) + 1, n);
}

static void merge_into(Region& l, const Region& r) {
  const uint64_t sz_l = damon_sz_region(l), sz_r = damon_sz_region(r);
  l.nr_accesses = weighted_avg(l.nr_accesses, sz_l, r.nr_accesses, sz_r);
  l.nr_accesses_bp = l.nr_accesses * 10000U;
  l.age = weighted_avg(l.age, sz_l, r.age, sz_r);
  l.end = r.end;
}

void damon_merge_two_regions(Target& t, size_t idx) {
  merge_into(t.regions[idx], t.regions[idx + 1]);
  t.regions.erase(t.regions.begin() + static_cast<long>(idx) + 1);
}

void damon_merge_regions_of(Target& t, uint32_t thres, uint64_t sz_limit, bool count_age) {
  auto& rs = t.regions;
  size_t n = 0;  // regions kept so far; rs[n - 1] is the kernel's `prev`
  for (size_t i = 0; i < rs.size(); i++) {
    Region r = rs[i];
    if (count_age) {
      if (abs_diff(r.nr_accesses, r.last_nr_accesses) > thres)
        r.age = 0;
      else
        r.age++;
    }

    if (n > 0) {
      Region& prev = rs[n - 1];
      if (prev.end == r.start && abs_diff(prev.nr_accesses, r.nr_accesses) <= thres &&
          damon_sz_region(prev) + damon_sz_region(r) <= sz_limit) {
        merge_into(prev, r);
        continue;
      }
    }
    rs[n++] = r;
  }
  rs.resize(n);
}

// Linux 6.12 mm/damon/core.c kdamond_merge_regions(): ages are counted in the first pass
// only (count_age), and the threshold doubles up to, then stays at, the samples per
// aggregation (max_thres), where the last pass runs.
void kdamond_merge_regions(Ctx& c, uint32_t threshold, uint64_t sz_limit) {
  const uint64_t max_thres = c.attrs.aggr_us / (c.attrs.sample_us ? c.attrs.sample_us : 1);
  bool count_age = true;
  while (true) {
    size_t nr_regions = 0;
    for (auto& t : c.targets) {
      damon_merge_regions_of(t, threshold, sz_limit, count_age);
      nr_regions += damon_nr_regions(t);
    }
    count_age = false;
    if (nr_regions <= c.attrs.max_nr_regions || max_thres <= threshold) break;
    if (threshold < max_thres / 2)
      threshold = std::max<uint32_t>(1, threshold * 2);
    else
      threshold = static_cast<uint32_t>(max_thres);
  }
}

void damon_split_regions_of(Ctx& c, Target& t, int nr_subs) {
  const uint64_t min_sz = c.min_region_sz;
  std::vector<Region> out;
  out.reserve(t.regions.size() * static_cast<size_t>(nr_subs));
  Region rights[8];
  for (const Region& orig : t.regions) {
    Region cur = orig;
    int nr_rights = 0;
    uint64_t sz_region = damon_sz_region(cur);
    for (int i = 0; i < nr_subs - 1 && sz_region > 2 * min_sz; i++) {
      // Left piece: 10% to 90% of the region, in tenths, aligned down to MIN.
      const uint64_t sz_sub = align_down(damon_rand(c.rng, 1, 10) * sz_region / 10, min_sz);
      // Do not allow blank region.
      if (sz_sub == 0 || sz_sub >= sz_region) continue;
      Region right = cur;
      right.start = cur.start + sz_sub;
      right.sampling_addr = right.start;
      cur.end = right.start;
      rights[nr_rights++] = right;
      sz_region = sz_sub;  // the kernel keeps splitting the left piece
    }
    out.push_back(cur);
    while (nr_rights > 0) out.push_back(rights[--nr_rights]);
  }
  t.regions.swap(out);
}

void kdamond_split_regions(Ctx& c) {
  const uint32_t nr_regions = static_cast<uint32_t>(ctx_nr_regions(c));
  int nr_subregions = 2;
  if (nr_regions > c.attrs.max_nr_regions / 2) return;
  // Maybe the middle of the region has different access frequency.
  if (c.last_nr_regions == nr_regions && nr_regions < c.attrs.max_nr_regions / 3)
    nr_subregions = 3;
  for (auto& t : c.targets) damon_split_regions_of(c, t, nr_subregions);
  c.last_nr_regions = nr_regions;
}

uint64_t damon_region_sz_limit(const Ctx& c) {
  uint64_t sz = 0;
  for (const auto& t : c.targets)
    for (const auto& r : t.regions) sz += damon_sz_region(r);
  if (c.attrs.min_nr_regions) sz /= c.attrs.min_nr_regions;
  if (sz < c.min_region_sz) sz = c.min_region_sz;
  return sz;
}

void kdamond_reset_aggregated(Ctx& c) {
  for (auto& t : c.targets) {
    for (auto& r : t.regions) {
      // damon_warn_fix_nr_accesses_corruption(): the moving sum must equal the raw count
      // at a window boundary; the kernel warns once and fixes it.
      if (r.nr_accesses_bp != r.nr_accesses * 10000U) r.nr_accesses_bp = r.nr_accesses * 10000U;
      r.last_nr_accesses = r.nr_accesses;
      r.nr_accesses = 0;
    }
  }
}

bool damon_va_evenly_split_region(Target& t, size_t idx, uint32_t nr_pieces, uint64_t min_region_sz) {
  if (idx >= t.regions.size() || nr_pieces == 0) return false;
  if (nr_pieces == 1) return true;
  Region& r = t.regions[idx];
  const uint64_t orig_end = r.end;
  const uint64_t sz_piece = align_down(damon_sz_region(r) / nr_pieces, min_region_sz);
  if (sz_piece == 0) return false;
  r.end = r.start + sz_piece;
  std::vector<Region> pieces;
  pieces.reserve(nr_pieces - 1);
  uint64_t start = r.end;
  for (uint32_t i = 1; i < nr_pieces; start += sz_piece, i++)
    pieces.push_back(damon_new_region(start, start + sz_piece));
  // Complement the last region for a possible rounding error.
  pieces.back().end = orig_end;
  t.regions.insert(t.regions.begin() + static_cast<long>(idx) + 1, pieces.begin(), pieces.end());
  return true;
}

bool damon_va_three_regions(const std::vector<AddrRange>& vmas, AddrRange regions[3],
                            uint64_t min_region_sz) {
  AddrRange first_gap{0, 0}, second_gap{0, 0};
  if (vmas.empty()) return false;
  // Find the two biggest gaps so that first_gap > second_gap > others.
  for (size_t i = 1; i < vmas.size(); i++) {
    const uint64_t gap = vmas[i].start - vmas[i - 1].end;
    if (gap > first_gap.end - first_gap.start) {
      second_gap = first_gap;
      first_gap = AddrRange{vmas[i - 1].end, vmas[i].start};
    } else if (gap > second_gap.end - second_gap.start) {
      second_gap = AddrRange{vmas[i - 1].end, vmas[i].start};
    }
  }
  if (second_gap.end == second_gap.start || first_gap.end == first_gap.start) return false;
  // Sort the two biggest gaps by address.
  if (first_gap.start > second_gap.start) std::swap(first_gap, second_gap);
  regions[0] = {align_up(vmas.front().start, min_region_sz), align_up(first_gap.start, min_region_sz)};
  regions[1] = {align_up(first_gap.end, min_region_sz), align_up(second_gap.start, min_region_sz)};
  regions[2] = {align_up(second_gap.end, min_region_sz), align_up(vmas.back().end, min_region_sz)};
  return true;
}

std::vector<AddrRange> damon_va_layout(const std::vector<AddrRange>& vmas, uint64_t min_region_sz) {
  AddrRange three[3];
  if (damon_va_three_regions(vmas, three, min_region_sz)) return {three[0], three[1], three[2]};
  std::vector<AddrRange> out;
  if (vmas.empty()) return out;
  // Fewer than two gaps: cover the mappings, split at the gap (if any).
  AddrRange cur{align_down(vmas.front().start, min_region_sz), 0};
  for (size_t i = 1; i < vmas.size(); i++) {
    if (vmas[i].start != vmas[i - 1].end) {
      cur.end = align_up(vmas[i - 1].end, min_region_sz);
      out.push_back(cur);
      cur.start = align_down(vmas[i].start, min_region_sz);
    }
  }
  cur.end = align_up(vmas.back().end, min_region_sz);
  out.push_back(cur);
  return out;
}

void damon_va_init_regions(Ctx& c, Target& t, const std::vector<AddrRange>& layout) {
  uint64_t sz = 0;
  for (const auto& r : layout) sz += r.end - r.start;
  if (c.attrs.min_nr_regions) sz /= c.attrs.min_nr_regions;
  if (sz < c.min_region_sz) sz = c.min_region_sz;
  t.regions.clear();
  for (const auto& range : layout) {
    if (range.end <= range.start) continue;
    t.regions.push_back(damon_new_region(range.start, range.end));
    const uint64_t nr_pieces = (range.end - range.start) / sz;
    damon_va_evenly_split_region(t, t.regions.size() - 1,
                                 static_cast<uint32_t>(std::min<uint64_t>(nr_pieces, 0xffffffffULL)),
                                 c.min_region_sz);
  }
}

void damon_apply_min_nr_regions(Ctx& c) {
  const uint64_t sz_limit = damon_region_sz_limit(c);
  for (auto& t : c.targets) {
    bool any = false;
    for (const auto& r : t.regions)
      if (damon_sz_region(r) > sz_limit) any = true;
    if (!any) continue;
    std::vector<Region> out;
    out.reserve(t.regions.size() + c.attrs.min_nr_regions);
    for (const auto& r : t.regions) {
      const uint64_t sz = damon_sz_region(r);
      if (sz <= sz_limit) {
        out.push_back(r);
        continue;
      }
      // Pieces of at most sz_limit, aligned to MIN; every piece keeps the region's counters.
      const uint64_t nr_pieces = (sz + sz_limit - 1) / sz_limit;
      uint64_t start = r.start;
      for (uint64_t i = 1; i <= nr_pieces; i++) {
        uint64_t end = i == nr_pieces
                           ? r.end
                           : r.start + align_down(static_cast<uint64_t>(
                                                      static_cast<unsigned __int128>(sz) * i / nr_pieces),
                                                  c.min_region_sz);
        if (end <= start) continue;
        Region p = r;
        p.start = start;
        p.end = end;
        p.sampling_addr = start;
        out.push_back(p);
        start = end;
      }
    }
    t.regions.swap(out);
  }
}

size_t ctx_nr_regions(const Ctx& c) {
  size_t n = 0;
  for (const auto& t : c.targets) n += t.regions.size();
  return n;
}

void damos_reset_age_in(Target& t, const std::vector<AddrRange>& ranges) {
  size_t j = 0;
  for (Region& r : t.regions) {
    while (j < ranges.size() && ranges[j].end <= r.start) j++;
    uint64_t covered = 0;
    for (size_t k = j; k < ranges.size() && ranges[k].start < r.end; k++) {
      const uint64_t a = std::max(r.start, ranges[k].start);
      const uint64_t b = std::min(r.end, ranges[k].end);
      if (b > a) covered += b - a;
    }
    if (covered == 0) continue;
    const uint64_t sz = damon_sz_region(r);
    r.age = covered >= sz ? 0 : weighted_avg(r.age, sz - covered, 0, covered);
  }
}

}  // namespace damo
