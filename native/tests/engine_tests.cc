// SPDX-License-Identifier: GPL-2.0-only
// Unit tests of the native engine and the synthetic primitive (plain C++, no N-API).
//
// The KUnit cases of mm/damon/tests/core-kunit.h and vaddr-kunit.h are reproduced as tables
// with DAMON_MIN_REGION = 1, the value KUnit builds use. Built with g++ by
// scripts/build-native-tests.mjs and run by test/native/engine-cc.test.ts, which fails when
// this program prints a failure or exits non-zero.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "access/primitive.h"
#include "actions/process_madvise.h"
#include "engine/damon.h"
#include "engine/errors.h"
#include "engine/layout.h"
#include "engine/monitor.h"

using namespace damo;

namespace {

int g_checks = 0;
int g_failures = 0;
std::string g_current;

#define EXPECT(cond)                                                                          \
  do {                                                                                        \
    g_checks++;                                                                               \
    if (!(cond)) {                                                                            \
      g_failures++;                                                                           \
      std::cout << "FAIL " << g_current << " (" << __FILE__ << ":" << __LINE__ << "): " #cond \
                << "\n";                                                                      \
    }                                                                                         \
  } while (0)

#define EXPECT_EQ(a, b)                                                                      \
  do {                                                                                       \
    g_checks++;                                                                              \
    const auto _va = (a);                                                                    \
    const auto _vb = (b);                                                                    \
    if (!(_va == _vb)) {                                                                     \
      g_failures++;                                                                          \
      std::cout << "FAIL " << g_current << " (" << __FILE__ << ":" << __LINE__ << "): " #a   \
                << " == " #b " (" << _va << " vs " << _vb << ")\n";                          \
    }                                                                                        \
  } while (0)

Ctx kunit_ctx() {
  Ctx c;
  c.min_region_sz = 1;  // KUnit builds redefine DAMON_MIN_REGION as 1
  c.attrs.sample_us = 5000;
  c.attrs.aggr_us = 100000;
  c.attrs.min_nr_regions = 10;
  c.attrs.max_nr_regions = 1000;
  c.rng.reseed(42);
  return c;
}

Target target_of(const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  Target t;
  for (const auto& r : ranges) t.regions.push_back(damon_new_region(r.first, r.second));
  return t;
}

std::vector<std::pair<uint64_t, uint64_t>> ranges_of(const Target& t) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& r : t.regions) out.push_back({r.start, r.end});
  return out;
}

std::string str(const std::vector<std::pair<uint64_t, uint64_t>>& v) {
  std::ostringstream o;
  for (const auto& r : v) o << "[" << r.first << "," << r.second << ")";
  return o.str();
}

bool sorted_disjoint(const Target& t) {
  for (size_t i = 0; i < t.regions.size(); i++) {
    if (t.regions[i].end <= t.regions[i].start) return false;
    if (i > 0 && t.regions[i].start < t.regions[i - 1].end) return false;
  }
  return true;
}

// ---------------------------------------------------------------- core-kunit.h

void test_regions() {
  Region r = damon_new_region(1, 2);
  EXPECT_EQ(r.start, 1u);
  EXPECT_EQ(r.end, 2u);
  EXPECT_EQ(r.nr_accesses, 0u);
  Target t;
  EXPECT_EQ(damon_nr_regions(t), 0u);
  t.regions.push_back(r);
  EXPECT_EQ(damon_nr_regions(t), 1u);
}

// damon_test_aggregate: kdamond_reset_aggregated() zeroes nr_accesses, keeps regions/targets.
void test_aggregate() {
  Ctx c = kunit_ctx();
  const uint64_t saddr[3][3] = {{10, 20, 30}, {5, 42, 49}, {13, 33, 55}};
  const uint64_t eaddr[3][3] = {{15, 27, 40}, {31, 45, 55}, {23, 44, 66}};
  const uint32_t accesses[3][3] = {{42, 95, 84}, {10, 20, 30}, {0, 1, 2}};
  for (int it = 0; it < 3; it++) {
    Target t;
    for (int ir = 0; ir < 3; ir++) {
      Region r = damon_new_region(saddr[it][ir], eaddr[it][ir]);
      r.nr_accesses = accesses[it][ir];
      r.nr_accesses_bp = accesses[it][ir] * 10000;
      t.regions.push_back(r);
    }
    c.targets.push_back(t);
  }
  kdamond_reset_aggregated(c);
  EXPECT_EQ(c.targets.size(), 3u);
  for (int it = 0; it < 3; it++) {
    EXPECT_EQ(c.targets[it].regions.size(), 3u);
    for (int ir = 0; ir < 3; ir++) {
      EXPECT_EQ(c.targets[it].regions[ir].nr_accesses, 0u);
      EXPECT_EQ(c.targets[it].regions[ir].last_nr_accesses, accesses[it][ir]);
    }
  }
}

// damon_test_split_at
void test_split_at() {
  Target t = target_of({{0, 100}});
  t.regions[0].nr_accesses = 42;
  t.regions[0].last_nr_accesses = 15;
  t.regions[0].age = 10;
  damon_split_region_at(t, 0, 25);
  EXPECT_EQ(str(ranges_of(t)), "[0,25)[25,100)");
  EXPECT_EQ(t.regions[0].nr_accesses, t.regions[1].nr_accesses);
  EXPECT_EQ(t.regions[0].last_nr_accesses, t.regions[1].last_nr_accesses);
  EXPECT_EQ(t.regions[0].age, t.regions[1].age);
}

// damon_test_merge_two: [0,100) nr 10 age 9 + [100,300) nr 20 age 21 -> [0,300) nr 16 age 17.
void test_merge_two() {
  struct Row {
    uint64_t s1, e1;
    uint32_t nr1, age1;
    uint64_t s2, e2;
    uint32_t nr2, age2;
    uint32_t nr, age;
  };
  const Row rows[] = {
      {0, 100, 10, 9, 100, 300, 20, 21, 16, 17},  // the KUnit case
      {0, 100, 0, 0, 100, 200, 10, 4, 5, 2},     // equal sizes: plain averages, truncated
      {0, 1, 20, 100, 1, 1000, 0, 0, 0, 0},      // the big region dominates
  };
  for (const Row& row : rows) {
    Target t = target_of({{row.s1, row.e1}, {row.s2, row.e2}});
    t.regions[0].nr_accesses = row.nr1;
    t.regions[0].age = row.age1;
    t.regions[1].nr_accesses = row.nr2;
    t.regions[1].age = row.age2;
    damon_merge_two_regions(t, 0);
    EXPECT_EQ(t.regions.size(), 1u);
    EXPECT_EQ(t.regions[0].start, row.s1);
    EXPECT_EQ(t.regions[0].end, row.e2);
    EXPECT_EQ(t.regions[0].nr_accesses, row.nr);
    EXPECT_EQ(t.regions[0].nr_accesses_bp, row.nr * 10000);
    EXPECT_EQ(t.regions[0].age, row.age);
  }
}

// damon_test_merge_regions_of: thres 9, sz_limit 9999.
void test_merge_regions_of() {
  const uint64_t sa[] = {0, 100, 114, 122, 130, 156, 170, 184, 230};
  const uint64_t ea[] = {100, 112, 122, 130, 156, 170, 184, 230, 10170};
  const uint32_t nrs[] = {0, 0, 10, 10, 20, 30, 1, 2, 5};
  Target t;
  for (int i = 0; i < 9; i++) {
    Region r = damon_new_region(sa[i], ea[i]);
    r.nr_accesses = nrs[i];
    t.regions.push_back(r);
  }
  damon_merge_regions_of(t, 9, 9999);
  EXPECT_EQ(str(ranges_of(t)), "[0,112)[114,130)[130,156)[156,170)[170,230)[230,10170)");
}

// Ages: reset when nr_accesses moved more than the threshold since the last aggregation.
void test_merge_ages() {
  struct Row {
    uint32_t nr, last, age, thres, want;
  };
  const Row rows[] = {{10, 10, 5, 0, 6}, {10, 12, 5, 2, 6}, {10, 13, 5, 2, 0}, {0, 20, 7, 1, 0}, {3, 0, 0, 3, 1}};
  for (const Row& row : rows) {
    Target t = target_of({{0, 10}});
    t.regions[0].nr_accesses = row.nr;
    t.regions[0].last_nr_accesses = row.last;
    t.regions[0].age = row.age;
    damon_merge_regions_of(t, row.thres, 1000);
    EXPECT_EQ(t.regions[0].age, row.want);
  }
}

// DAMOS age reset applied after the fact: covered regions get 0, partly covered ones the
// size-weighted age of their parts.
void test_reset_age_in() {
  Target t = target_of({{0, 10}, {10, 20}, {20, 40}, {40, 50}});
  for (auto& r : t.regions) r.age = 8;
  damos_reset_age_in(t, {{0, 20}, {30, 35}});
  EXPECT_EQ(t.regions[0].age, 0u);
  EXPECT_EQ(t.regions[1].age, 0u);
  EXPECT_EQ(t.regions[2].age, 6u);  // 15 of 20 bytes keep age 8: 8 * 15 / 20
  EXPECT_EQ(t.regions[3].age, 8u);
  Target u = target_of({{0, 10}});
  u.regions[0].age = 3;
  damos_reset_age_in(u, {});
  EXPECT_EQ(u.regions[0].age, 3u);
}

// process_madvise() on a child: probe, every range gets its own result even when a range
// in the middle fails (the kernel stops there and drops the errno), and a gone process.
void test_process_madvise() {
  const long page = sysconf(_SC_PAGESIZE);
  char* map = static_cast<char*>(mmap(nullptr, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  EXPECT(map != MAP_FAILED);
  for (long i = 0; i < 8; i++) map[i * page] = 1;
  // A hole: page 4 unmapped, so a range covering it fails with ENOMEM.
  munmap(map + 4 * page, page);
  const pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  const int fd = open_pidfd(child);
  if (fd == -ENOSYS) {
    std::cout << "skip process_madvise: no pidfd_open on this kernel\n";
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    return;
  }
  EXPECT(fd >= 0);
  const int probe = probe_process_madvise(fd, kMadvCold);
  if (probe == ENOSYS || probe == EPERM) {
    std::cout << "skip process_madvise: " << errno_name(probe) << "\n";
  } else {
    EXPECT_EQ(probe, 0);
    EXPECT_EQ(probe_process_madvise(fd, 4 /* MADV_DONTNEED: never for another process */), EINVAL);
    const uint64_t base = reinterpret_cast<uintptr_t>(map);
    const uint64_t p = static_cast<uint64_t>(page);
    const std::vector<MadviseRange> ranges = {{base, 2 * p}, {base + 3 * p, 2 * p}, {base + 5 * p, 3 * p}, {base + 2 * p, p}};
    MadviseBatchResult r = madvise_ranges(fd, ranges, kMadvCold);
    EXPECT_EQ(r.ranges.size(), 4u);
    EXPECT_EQ(r.ranges[0].bytes, 2 * p);
    EXPECT_EQ(r.ranges[0].err, 0);
    EXPECT_EQ(r.ranges[1].bytes, 0u);
    EXPECT_EQ(r.ranges[1].err, ENOMEM);
    EXPECT_EQ(r.ranges[2].bytes, 3 * p);
    EXPECT_EQ(r.ranges[3].bytes, p);
    EXPECT(r.nr_syscalls >= 3u);  // the batch, the failed range alone, the rest
    // The first range failing: the errno comes back without a retry.
    MadviseBatchResult r2 = madvise_ranges(fd, {{base + 4 * p, p}, {base, p}}, kMadvCold);
    EXPECT_EQ(r2.ranges[0].err, ENOMEM);
    EXPECT_EQ(r2.ranges[1].bytes, p);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  if (fd >= 0) {
    MadviseBatchResult r3 = madvise_ranges(fd, {{reinterpret_cast<uintptr_t>(map), static_cast<uint64_t>(page)}, {0, 0}}, kMadvCold);
    EXPECT_EQ(r3.ranges[0].err, ESRCH);
    EXPECT_EQ(r3.ranges[1].err, ESRCH);
    EXPECT_EQ(probe_process_madvise(fd, kMadvCold), ESRCH);
    close(fd);
  }
  EXPECT_EQ(open_pidfd(child), -ESRCH);
  munmap(map, 4 * page);
  munmap(map + 5 * page, 3 * page);
}

// damon_test_split_regions_of: bounded piece counts, pieces aligned to MIN.
void test_split_regions_of() {
  Ctx c = kunit_ctx();
  {
    Target t = target_of({{0, 22}});
    damon_split_regions_of(c, t, 2);
    EXPECT(t.regions.size() <= 2u);
    EXPECT(sorted_disjoint(t));
  }
  {
    Target t = target_of({{0, 220}});
    damon_split_regions_of(c, t, 4);
    EXPECT(t.regions.size() <= 4u);
    EXPECT(sorted_disjoint(t));
  }
  {
    Ctx c5 = kunit_ctx();
    c5.min_region_sz = 5;
    Target t = target_of({{0, 220}, {300, 400}, {500, 700}});
    damon_split_regions_of(c5, t, 4);
    EXPECT(t.regions.size() <= 12u);
    for (const auto& r : t.regions) EXPECT_EQ(damon_sz_region(r) % 5, 0u);
    EXPECT(sorted_disjoint(t));
  }
}

// Split points are at whole tenths (1..9) of the region being split, left piece split again.
void test_split_points() {
  Ctx c = kunit_ctx();
  std::set<uint64_t> firsts;
  for (int round = 0; round < 400; round++) {
    Target t = target_of({{0, 1000}});
    t.regions[0].nr_accesses = 7;
    t.regions[0].age = 3;
    damon_split_regions_of(c, t, 3);
    EXPECT(t.regions.size() >= 2u && t.regions.size() <= 3u);
    EXPECT(sorted_disjoint(t));
    EXPECT_EQ(t.regions.front().start, 0u);
    EXPECT_EQ(t.regions.back().end, 1000u);
    // The last boundary is the first split: a tenth of 1000.
    const uint64_t first_split = t.regions.back().start;
    EXPECT(first_split % 100 == 0 && first_split >= 100 && first_split <= 900);
    firsts.insert(first_split);
    if (t.regions.size() == 3) {
      const uint64_t second = t.regions[1].start;
      EXPECT(second * 10 % first_split == 0);  // a tenth of the left piece
    }
    for (const auto& r : t.regions) {
      EXPECT_EQ(r.nr_accesses, 7u);
      EXPECT_EQ(r.age, 3u);
    }
  }
  EXPECT_EQ(firsts.size(), 9u);  // all nine split points occur
}

void test_split_tiny_regions() {
  Ctx c = kunit_ctx();
  c.min_region_sz = 4096;
  Target t = target_of({{0, 8192}});  // not larger than 2 * MIN: never split
  damon_split_regions_of(c, t, 3);
  EXPECT_EQ(t.regions.size(), 1u);
}

// kdamond_split_regions(): skip above max/2; 3 pieces when the count is stable and < max/3.
void test_kdamond_split_regions() {
  {
    Ctx c = kunit_ctx();
    c.attrs.max_nr_regions = 10;
    Target t;
    for (uint64_t i = 0; i < 6; i++) t.regions.push_back(damon_new_region(i * 1000, (i + 1) * 1000));
    c.targets.push_back(t);
    kdamond_split_regions(c);  // 6 > 10/2: skipped
    EXPECT_EQ(ctx_nr_regions(c), 6u);
  }
  {
    Ctx c = kunit_ctx();
    c.attrs.max_nr_regions = 100;
    c.targets.push_back(target_of({{0, 100000}}));
    c.last_nr_regions = 1;  // stable and below max/3: three pieces
    kdamond_split_regions(c);
    EXPECT_EQ(ctx_nr_regions(c), 3u);
    EXPECT_EQ(c.last_nr_regions, 1u);
    kdamond_split_regions(c);  // changed since last time: two pieces each
    EXPECT_EQ(ctx_nr_regions(c), 6u);
  }
  {
    // Splitting never overshoots max_nr_regions.
    Ctx c = kunit_ctx();
    c.attrs.max_nr_regions = 30;
    c.targets.push_back(target_of({{0, 1 << 20}}));
    for (int i = 0; i < 50; i++) {
      kdamond_split_regions(c);
      EXPECT(ctx_nr_regions(c) <= 30u);
    }
  }
}

// kdamond_merge_regions(): the threshold doubles until the count fits max_nr_regions.
void test_kdamond_merge_regions() {
  Ctx c = kunit_ctx();
  c.attrs.max_nr_regions = 4;
  Target t;
  const uint32_t nrs[] = {0, 3, 6, 9, 12, 15, 18, 20};
  for (uint64_t i = 0; i < 8; i++) {
    Region r = damon_new_region(i * 100, (i + 1) * 100);
    r.nr_accesses = nrs[i];
    r.last_nr_accesses = nrs[i];
    t.regions.push_back(r);
  }
  c.targets.push_back(t);
  kdamond_merge_regions(c, 2, 1000);
  EXPECT(ctx_nr_regions(c) <= 4u);
  EXPECT(sorted_disjoint(c.targets[0]));
  EXPECT_EQ(c.targets[0].regions.front().start, 0u);
  EXPECT_EQ(c.targets[0].regions.back().end, 800u);
}

// kdamond_merge_regions() over several passes counts ages once (Linux 6.12's count_age):
// every region here keeps its nr_accesses, so each ages by exactly one whatever the passes.
void test_kdamond_merge_regions_ages_once() {
  Ctx c = kunit_ctx();
  c.attrs.max_nr_regions = 2;
  Target t;
  const uint32_t nrs[] = {0, 5, 10, 15, 20, 25, 30, 35};
  for (uint64_t i = 0; i < 8; i++) {
    Region r = damon_new_region(i * 100, (i + 1) * 100);
    r.nr_accesses = nrs[i];
    r.last_nr_accesses = nrs[i];
    r.age = 7;
    t.regions.push_back(r);
  }
  c.targets.push_back(t);
  kdamond_merge_regions(c, 1, 100000);
  EXPECT(ctx_nr_regions(c) < 8u);  // several passes ran
  for (const Region& r : c.targets[0].regions) EXPECT_EQ(r.age, 8u);
}

void test_region_sz_limit() {
  Ctx c = kunit_ctx();
  c.targets.push_back(target_of({{0, 1000}, {2000, 2500}}));
  c.attrs.min_nr_regions = 3;
  EXPECT_EQ(damon_region_sz_limit(c), 500u);
  c.attrs.min_nr_regions = 10000;
  EXPECT_EQ(damon_region_sz_limit(c), 1u);  // at least MIN
}

// damon_test_set_regions (core-kunit.h) and damon_test_apply_three_regions1-4 (vaddr-kunit.h).
void test_set_regions() {
  struct Row {
    const char* name;
    std::vector<std::pair<uint64_t, uint64_t>> old_ranges, new_ranges, expect;
  };
  const Row rows[] = {
      {"initial build up", {}, {{5, 15}, {15, 25}}, {{5, 15}, {15, 25}}},
      {"remove unintersecting", {{4, 16}, {24, 32}}, {{18, 23}}, {{18, 23}}},
      {"fill holes", {{4, 16}, {24, 32}}, {{8, 28}}, {{8, 16}, {16, 24}, {24, 28}}},
      {"append", {{0, 4}, {4, 17}}, {{0, 15}, {25, 40}}, {{0, 4}, {4, 15}, {25, 40}}},
      {"insert", {{0, 4}, {42, 52}}, {{0, 15}, {25, 40}, {44, 50}}, {{0, 15}, {25, 40}, {44, 50}}},
      {"three regions 1",
       {{10, 20}, {20, 30}, {50, 55}, {55, 57}, {57, 59}, {70, 80}, {80, 90}, {90, 100}},
       {{5, 27}, {45, 55}, {73, 104}},
       {{5, 20}, {20, 27}, {45, 55}, {73, 80}, {80, 90}, {90, 104}}},
      {"three regions 2",
       {{10, 20}, {20, 30}, {50, 55}, {55, 57}, {57, 59}, {70, 80}, {80, 90}, {90, 100}},
       {{5, 27}, {56, 57}, {65, 104}},
       {{5, 20}, {20, 27}, {56, 57}, {65, 80}, {80, 90}, {90, 104}}},
      {"three regions 3",
       {{10, 20}, {20, 30}, {50, 55}, {55, 57}, {57, 59}, {70, 80}, {80, 90}, {90, 100}},
       {{5, 27}, {61, 63}, {65, 104}},
       {{5, 20}, {20, 27}, {61, 63}, {65, 80}, {80, 90}, {90, 104}}},
      {"three regions 4",
       {{10, 20}, {20, 30}, {50, 55}, {55, 57}, {57, 59}, {70, 80}, {80, 90}, {90, 100}},
       {{5, 7}, {30, 32}, {65, 68}},
       {{5, 7}, {30, 32}, {65, 68}}},
  };
  for (const Row& row : rows) {
    g_current = std::string("set_regions: ") + row.name;
    Target t = target_of(row.old_ranges);
    std::vector<AddrRange> ranges;
    for (const auto& r : row.new_ranges) ranges.push_back({r.first, r.second});
    damon_set_regions(t, ranges, 1);
    EXPECT_EQ(str(ranges_of(t)), str(row.expect));
  }
}

// Regions that survive keep their counters; new ones start at zero.
void test_set_regions_keeps_counters() {
  Target t = target_of({{0, 4096}, {4096, 8192}});
  t.regions[0].nr_accesses = 5;
  t.regions[0].age = 9;
  damon_set_regions(t, {{0, 3 * 4096}}, 4096);
  EXPECT_EQ(str(ranges_of(t)), "[0,4096)[4096,12288)");
  EXPECT_EQ(t.regions[0].nr_accesses, 5u);
  EXPECT_EQ(t.regions[0].age, 9u);
  damon_set_regions(t, {{0, 4096}, {5 * 4096, 6 * 4096 + 1}}, 4096);  // aligned out to pages
  EXPECT_EQ(str(ranges_of(t)), "[0,4096)[20480,28672)");
  EXPECT_EQ(t.regions[1].nr_accesses, 0u);
}

// damon_test_set_attrs
void test_set_attrs() {
  Attrs valid;
  valid.min_nr_regions = 10;
  valid.max_nr_regions = 1000;
  valid.sample_us = 5000;
  valid.aggr_us = 100000;
  EXPECT_EQ(damon_validate_attrs(valid), "");
  Attrs a = valid;
  a.min_nr_regions = 1;
  EXPECT(!damon_validate_attrs(a).empty());
  a = valid;
  a.max_nr_regions = 9;
  EXPECT(!damon_validate_attrs(a).empty());
  a = valid;
  a.aggr_us = 4999;
  EXPECT(!damon_validate_attrs(a).empty());
}

// damon_update_region_access_rate(): the pseudo moving sum is exact at window boundaries.
void test_moving_sum() {
  Attrs attrs;
  attrs.sample_us = 10;
  attrs.aggr_us = 100;  // window of 10 samples
  Region r = damon_new_region(0, 4096);
  r.last_nr_accesses = 5;
  r.nr_accesses_bp = 50000;  // the last window had 5 accesses
  for (int i = 0; i < 10; i++) damon_update_region_access_rate(r, i < 8, attrs);
  EXPECT_EQ(r.nr_accesses, 8u);
  EXPECT_EQ(r.nr_accesses_bp, 80000u);
  Region q = damon_new_region(0, 4096);
  q.last_nr_accesses = 10;
  q.nr_accesses_bp = 100000;
  damon_update_region_access_rate(q, false, attrs);  // drops one assumed access
  EXPECT_EQ(q.nr_accesses_bp, 90000u);
  EXPECT_EQ(q.nr_accesses, 0u);
}

// ---------------------------------------------------------------- vaddr-kunit.h

// damon_test_three_regions_in_vmas: 10-20-25, 200-210-220, 300-305, 307-330.
void test_three_regions_in_vmas() {
  const std::vector<AddrRange> vmas = {{10, 20}, {20, 25}, {200, 210}, {210, 220}, {300, 305}, {307, 330}};
  AddrRange regions[3];
  EXPECT(damon_va_three_regions(vmas, regions, 1));
  EXPECT_EQ(regions[0].start, 10u);
  EXPECT_EQ(regions[0].end, 25u);
  EXPECT_EQ(regions[1].start, 200u);
  EXPECT_EQ(regions[1].end, 220u);
  EXPECT_EQ(regions[2].start, 300u);
  EXPECT_EQ(regions[2].end, 330u);
  AddrRange none[3];
  EXPECT(!damon_va_three_regions({{0, 10}, {20, 30}}, none, 1));  // one gap only
  const auto fallback = damon_va_layout({{0, 10}, {20, 30}}, 1);
  EXPECT_EQ(fallback.size(), 2u);
  EXPECT_EQ(damon_va_layout({{0, 10}, {10, 30}}, 1).size(), 1u);
}

// damon_test_split_evenly
void test_split_evenly() {
  struct Row {
    uint64_t start, end;
    uint32_t nr_pieces;
    bool ok;
  };
  const Row rows[] = {{0, 100, 0, false}, {0, 100, 10, true}, {5, 59, 5, true},
                      {4, 6, 1, true},    {0, 3, 2, true},    {5, 6, 2, false}};
  for (const Row& row : rows) {
    Target t = target_of({{row.start, row.end}});
    const bool ok = damon_va_evenly_split_region(t, 0, row.nr_pieces, 1);
    EXPECT_EQ(ok, row.ok);
    if (!row.ok) {
      EXPECT_EQ(str(ranges_of(t)), str({{row.start, row.end}}));
      continue;
    }
    EXPECT_EQ(t.regions.size(), static_cast<size_t>(row.nr_pieces));
    const uint64_t width = (row.end - row.start) / row.nr_pieces;
    for (uint32_t i = 0; i < row.nr_pieces; i++) {
      EXPECT_EQ(t.regions[i].start, row.start + i * width);
      EXPECT_EQ(t.regions[i].end, i + 1 == row.nr_pieces ? row.end : row.start + (i + 1) * width);
    }
  }
}

// __damon_va_init_regions() with the three regions, then the min_nr_regions guarantee.
void test_init_regions_and_min() {
  Ctx c = kunit_ctx();
  c.min_region_sz = 4096;
  c.attrs.min_nr_regions = 10;
  Target t;
  // Three ranges of 1.5, 1.5 and 7 "units": the kernel's even split gives 1 + 1 + 7 = 9 < 10.
  const uint64_t unit = 100 * 4096;
  std::vector<AddrRange> layout = {{0, 3 * unit / 2}, {10 * unit, 23 * unit / 2}, {20 * unit, 27 * unit}};
  damon_va_init_regions(c, t, layout);
  c.targets.push_back(t);
  EXPECT_EQ(ctx_nr_regions(c), 9u);
  damon_apply_min_nr_regions(c);
  EXPECT(ctx_nr_regions(c) >= 10u);
  EXPECT(sorted_disjoint(c.targets[0]));
  const uint64_t limit = damon_region_sz_limit(c);
  for (const auto& r : c.targets[0].regions) {
    EXPECT(damon_sz_region(r) <= limit + c.min_region_sz);
    EXPECT_EQ(r.start % 4096, 0u);
  }
  // A single user range (fvaddr/paddr) is split up to min_nr_regions at once.
  Ctx d = kunit_ctx();
  d.min_region_sz = 4096;
  d.attrs.min_nr_regions = 16;
  Target u;
  damon_set_regions(u, {{1 << 20, (1 << 20) + (1ULL << 30)}}, 4096);
  d.targets.push_back(u);
  damon_apply_min_nr_regions(d);
  EXPECT_EQ(ctx_nr_regions(d), 16u);
}

// ---------------------------------------------------------------- layouts

void test_parse_maps() {
  const std::string text =
      "55d0c0a00000-55d0c0a21000 r--p 00000000 08:01 1234                       /usr/bin/cat\n"
      "55d0c2000000-55d0c2021000 rw-p 00000000 00:00 0                          [heap]\n"
      "7f1e2a000000-7f1e2a200000 rw-p 00000000 00:00 0 \n"
      "7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0                          [stack]\n"
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
  const auto vmas = parse_proc_maps(text);
  EXPECT_EQ(vmas.size(), 4u);  // [vsyscall] is not a VMA of the process
  EXPECT_EQ(vmas[0].start, 0x55d0c0a00000ULL);
  EXPECT_EQ(vmas[0].end, 0x55d0c0a21000ULL);
  EXPECT_EQ(vmas[0].pathname, "/usr/bin/cat");
  EXPECT_EQ(vmas[1].pathname, "[heap]");
  EXPECT_EQ(vmas[2].pathname, "");
  EXPECT_EQ(vmas[2].perms, "rw-p");
  AddrRange three[3];
  EXPECT(damon_va_three_regions(vma_ranges(vmas), three, 4096));
  // Gaps: heap..mmap (biggest) and mmap..stack.
  EXPECT_EQ(three[0].start, 0x55d0c0a00000ULL);
  EXPECT_EQ(three[0].end, 0x55d0c2021000ULL);
  EXPECT_EQ(three[1].start, 0x7f1e2a000000ULL);
  EXPECT_EQ(three[2].end, 0x7ffd1c021000ULL);
}

void test_parse_iomem() {
  const std::string text =
      "00000000-00000fff : Reserved\n"
      "00001000-0009fbff : System RAM\n"
      "0009fc00-000fffff : Reserved\n"
      "  000f0000-000fffff : System ROM\n"
      "00100000-bfffffff : System RAM\n"
      "  01000000-02209987 : Kernel code\n"
      "c0001000-eebfffff : PCI Bus 0000:00\n"
      "100000000-63fffffff : System RAM\n"
      "4000000000-7fffffffff : PCI Bus 0000:00\n";
  const auto ram = parse_iomem_system_ram(text);
  EXPECT_EQ(ram.size(), 3u);
  EXPECT_EQ(ram[1].start, 0x100000ULL);
  EXPECT_EQ(ram[1].end, 0xc0000000ULL);
  AddrRange big{};
  EXPECT(damon_find_biggest_system_ram(ram, big));
  EXPECT_EQ(big.start, 0x100000000ULL);
  EXPECT_EQ(big.end, 0x640000000ULL);
  // What non-root readers see.
  EXPECT_EQ(parse_iomem_system_ram("00000000-00000000 : System RAM\n").size(), 0u);
}

// ---------------------------------------------------------------- synthetic + monitor loop

std::vector<TargetSnapshot> run_synthetic(uint64_t seed, const std::vector<SyntheticEntry>& entries,
                                          const Attrs& attrs, uint64_t duration_us, EndInfo* end_out = nullptr) {
  MonitorConfig cfg;
  cfg.attrs = attrs;
  cfg.ops = OpsKind::fvaddr;
  cfg.targets.push_back(TargetSpec{-1, {{1ULL << 30, 2ULL << 30}}});
  cfg.seed = seed;
  cfg.virtual_time = true;
  cfg.duration_us = duration_us;
  Monitor m(cfg, make_synthetic(entries, seed));
  std::vector<TargetSnapshot> out;
  EndInfo end = m.run([&](std::vector<TargetSnapshot>&& s) {
    for (auto& x : s) out.push_back(std::move(x));
  });
  if (end_out) *end_out = end;
  return out;
}

void test_synthetic_determinism_and_bounds() {
  Attrs attrs;
  attrs.min_nr_regions = 10;
  attrs.max_nr_regions = 200;
  const std::vector<SyntheticEntry> entries = {
      {0, 1e12, (1ULL << 30) + (100ULL << 20), (1ULL << 30) + (164ULL << 20), 1.0},
      {0, 1e12, (1ULL << 30) + (500ULL << 20), (1ULL << 30) + (520ULL << 20), 0.3},
  };
  EndInfo end;
  const auto a = run_synthetic(7, entries, attrs, 3000000, &end);
  const auto b = run_synthetic(7, entries, attrs, 3000000);
  EXPECT_EQ(end.reason, "timeout");
  EXPECT_EQ(a.size(), 30u);
  EXPECT_EQ(a.size(), b.size());
  bool same = a.size() == b.size();
  for (size_t i = 0; same && i < a.size(); i++)
    same = a[i].starts == b[i].starts && a[i].nr_accesses == b[i].nr_accesses && a[i].ages == b[i].ages;
  EXPECT(same);
  const auto c = run_synthetic(8, entries, attrs, 3000000);
  bool differs = false;
  for (size_t i = 0; i < std::min(a.size(), c.size()); i++) differs |= a[i].starts != c[i].starts;
  EXPECT(differs);
  for (size_t i = 0; i < a.size(); i++) {
    const auto& s = a[i];
    EXPECT(s.starts.size() >= attrs.min_nr_regions && s.starts.size() <= attrs.max_nr_regions);
    EXPECT_EQ(s.start_ns, i * 100e6);
    EXPECT_EQ(s.end_ns, (i + 1) * 100e6);
    EXPECT_EQ(s.starts.front(), static_cast<double>(1ULL << 30));
    EXPECT_EQ(s.ends.back(), static_cast<double>(2ULL << 30));
    for (size_t k = 0; k < s.starts.size(); k++) {
      EXPECT(s.ends[k] > s.starts[k]);
      if (k) EXPECT_EQ(s.starts[k], s.ends[k - 1]);
      EXPECT(s.nr_accesses[k] <= 20);
    }
  }
  // After 3 s the always-hot block is found: its middle sits in a region of the top decile
  // (a merge with a slightly cooler neighbour may round 20 down).
  const auto& last = a.back();
  const double mid = static_cast<double>((1ULL << 30) + (132ULL << 20));
  for (size_t k = 0; k < last.starts.size(); k++)
    if (last.starts[k] <= mid && mid < last.ends[k]) EXPECT(last.nr_accesses[k] >= 18.0);
}

// Overlapping entries: the highest probability wins; probabilities come out as rates.
void test_synthetic_probabilities() {
  auto prim = make_synthetic({{0, 1e12, 0, 1000, 0.25}, {0, 1e12, 500, 1000, 1.0}, {5e9, 1e12, 0, 1000, 0.0}}, 3);
  Target t;
  t.regions = {damon_new_region(0, 500), damon_new_region(500, 1000)};
  prim->attach(OpsKind::fvaddr, {t});
  uint8_t acc[2];
  int hits[2] = {0, 0};
  for (uint64_t s = 0; s < 4000; s++) {
    t.regions[0].sampling_addr = 100;
    t.regions[1].sampling_addr = 700;
    prim->check_accesses(0, t, SampleTime{s, s * 1e6}, acc);
    hits[0] += acc[0];
    hits[1] += acc[1];
  }
  EXPECT(std::abs(hits[0] / 4000.0 - 0.25) < 0.03);
  EXPECT_EQ(hits[1], 4000);
  // From 5 s on the zero-probability entry does not hide the others (max wins).
  prim->check_accesses(0, t, SampleTime{0, 6e9}, acc);
  EXPECT_EQ(acc[1], 1);
}

// A pid target that exits ends the run with "target-exit"; a missing pid is E_NOENT.
void test_missing_pid() {
  MonitorConfig cfg;
  cfg.ops = OpsKind::vaddr;
  cfg.targets.push_back(TargetSpec{999999999, {}});
  Monitor m(cfg, make_synthetic({}, 1));
  std::string code;
  try {
    m.init();
  } catch (const EngineError& e) {
    code = e.code();
  }
  EXPECT_EQ(code, "E_NOENT");
}

void test_attrs_rejected() {
  MonitorConfig cfg;
  cfg.ops = OpsKind::fvaddr;
  cfg.attrs.min_nr_regions = 2;
  cfg.targets.push_back(TargetSpec{-1, {{0, 1 << 20}}});
  Monitor m(cfg, make_synthetic({}, 1));
  std::string code;
  try {
    m.init();
  } catch (const EngineError& e) {
    code = e.code();
  }
  EXPECT_EQ(code, "E_USAGE");
}

struct Case {
  const char* name;
  void (*fn)();
};

const Case kCases[] = {
    {"core: regions", test_regions},
    {"core: aggregate (kdamond_reset_aggregated)", test_aggregate},
    {"core: split_at", test_split_at},
    {"core: merge_two", test_merge_two},
    {"core: merge_regions_of", test_merge_regions_of},
    {"core: merge ages", test_merge_ages},
    {"damos: reset age in ranges", test_reset_age_in},
    {"actions: process_madvise", test_process_madvise},
    {"core: split_regions_of", test_split_regions_of},
    {"core: split points", test_split_points},
    {"core: split tiny regions", test_split_tiny_regions},
    {"core: kdamond_split_regions", test_kdamond_split_regions},
    {"core: kdamond_merge_regions", test_kdamond_merge_regions},
    {"core: kdamond_merge_regions ages once", test_kdamond_merge_regions_ages_once},
    {"core: region_sz_limit", test_region_sz_limit},
    {"core: set_regions", test_set_regions},
    {"core: set_regions keeps counters", test_set_regions_keeps_counters},
    {"core: set_attrs", test_set_attrs},
    {"core: moving sum", test_moving_sum},
    {"vaddr: three_regions_in_vmas", test_three_regions_in_vmas},
    {"vaddr: split_evenly", test_split_evenly},
    {"vaddr: init regions + min_nr_regions", test_init_regions_and_min},
    {"layout: /proc/PID/maps", test_parse_maps},
    {"layout: /proc/iomem", test_parse_iomem},
    {"synthetic: determinism and bounds", test_synthetic_determinism_and_bounds},
    {"synthetic: probabilities", test_synthetic_probabilities},
    {"monitor: missing pid", test_missing_pid},
    {"monitor: attrs rejected", test_attrs_rejected},
};

}  // namespace

int main(int argc, char** argv) {
  const std::string filter = argc > 1 ? argv[1] : "";
  int run = 0;
  for (const Case& c : kCases) {
    if (!filter.empty() && std::string(c.name).find(filter) == std::string::npos) continue;
    g_current = c.name;
    const int before = g_failures;
    c.fn();
    run++;
    std::cout << (g_failures == before ? "ok   " : "FAILED ") << c.name << "\n";
  }
  std::cout << "# cases " << run << " checks " << g_checks << " failures " << g_failures << "\n";
  return g_failures == 0 && run > 0 ? 0 : 1;
}
