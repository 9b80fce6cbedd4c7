// SPDX-License-Identifier: GPL-2.0-only
#include "replay/plan.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace damo::replay {

namespace {

constexpr size_t kReadChunk = 1 << 16;

std::string hex_u32(uint32_t v) {
  char buf[16];
  snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

uint64_t PlanHeader::total_bytes() const {
  uint64_t total = 0;
  for (const Area& a : areas) total += a.replay_bytes;
  return total;
}

void PlanReader::fail(uint64_t offset, const std::string& message) const {
  throw PlanError("plan byte offset " + std::to_string(offset) + ": " + message);
}

void PlanReader::read_exact(void* dst, size_t n, const char* what) {
  auto* out = static_cast<uint8_t*>(dst);
  while (n > 0) {
    if (buf_pos_ == buf_end_) {
      if (buf_.size() < kReadChunk) buf_.resize(kReadChunk);
      ssize_t got;
      do {
        got = ::read(fd_, buf_.data(), buf_.size());
      } while (got < 0 && errno == EINTR);
      if (got < 0) fail(offset_, std::string("cannot read ") + what + ": " + strerror(errno));
      if (got == 0) fail(offset_, std::string("the plan ends inside ") + what + " (was the planner stopped?)");
      buf_pos_ = 0;
      buf_end_ = static_cast<size_t>(got);
    }
    size_t take = std::min(n, buf_end_ - buf_pos_);
    memcpy(out, buf_.data() + buf_pos_, take);
    buf_pos_ += take;
    out += take;
    n -= take;
    offset_ += take;
  }
}

// The plan is little-endian; so is every machine this tool runs on (x86-64, arm64).
uint32_t PlanReader::u32(const char* what) {
  uint8_t b[4];
  read_exact(b, 4, what);
  return static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 | static_cast<uint32_t>(b[2]) << 16 |
         static_cast<uint32_t>(b[3]) << 24;
}

uint64_t PlanReader::u64(const char* what) {
  uint64_t lo = u32(what);
  uint64_t hi = u32(what);
  return lo | hi << 32;
}

PlanHeader PlanReader::read_header(uint64_t page_size_bytes, uint64_t max_memory_cap_bytes) {
  PlanHeader h;
  char magic[8];
  read_exact(magic, sizeof magic, "the magic bytes");
  if (memcmp(magic, kPlanMagic, sizeof magic) != 0) fail(0, "not a damo replay plan (bad magic bytes)");
  uint64_t at = offset_;
  uint32_t version = u32("the version");
  if (version != kPlanVersion) {
    fail(at, "plan version " + std::to_string(version) + " is not supported (this executable reads version " +
                 std::to_string(kPlanVersion) + "); rebuild with `npm run build:native`");
  }
  at = offset_;
  h.page_size_bytes = u64("page_size_bytes");
  if (h.page_size_bytes != page_size_bytes) {
    fail(at, "page_size_bytes " + std::to_string(h.page_size_bytes) + " differs from this machine's page size " +
                 std::to_string(page_size_bytes));
  }
  at = offset_;
  h.max_memory_bytes = u64("max_memory_bytes");
  if (h.max_memory_bytes > max_memory_cap_bytes) {
    fail(at, "the plan allows " + std::to_string(h.max_memory_bytes) + " bytes, more than --max_memory " +
                 std::to_string(max_memory_cap_bytes));
  }
  h.seed = u64("seed");
  at = offset_;
  h.start_delay_ns = u64("start_delay_ns");
  if (h.start_delay_ns > kMaxStartDelayNs) fail(at, "start_delay_ns is above one hour");
  at = offset_;
  h.vma_bytes = u64("vma_bytes");
  if (h.vma_bytes % page_size_bytes != 0) fail(at, "vma_bytes " + std::to_string(h.vma_bytes) + " is not a multiple of the page size");
  const uint64_t vma_at = at;
  at = offset_;
  h.nr_threads = u32("nr_threads");
  if (h.nr_threads == 0 || h.nr_threads > kMaxThreads) {
    fail(at, "nr_threads " + std::to_string(h.nr_threads) + " is not in [1, " + std::to_string(kMaxThreads) + "]");
  }
  at = offset_;
  h.flags = u32("flags");
  if ((h.flags & ~kKnownFlags) != 0) fail(at, "unknown flags " + hex_u32(h.flags & ~kKnownFlags));
  at = offset_;
  uint32_t nr_areas = u32("nr_areas");
  if (nr_areas == 0 || nr_areas > kMaxAreas) {
    fail(at, "nr_areas " + std::to_string(nr_areas) + " is not in [1, " + std::to_string(kMaxAreas) + "]");
  }
  at = offset_;
  uint32_t meta_bytes = u32("meta_bytes");
  if (meta_bytes > kMaxMetaBytes) fail(at, "meta_bytes " + std::to_string(meta_bytes) + " is above 1 MiB");

  uint64_t total = 0;
  h.areas.reserve(nr_areas);
  for (uint32_t i = 0; i < nr_areas; i++) {
    at = offset_;
    Area a{};
    a.trace_start = u64("area trace_start");
    a.trace_end = u64("area trace_end");
    a.replay_bytes = u64("area replay_bytes");
    const std::string name = "area " + std::to_string(i) + ": ";
    if (a.trace_end <= a.trace_start) fail(at, name + "trace_end is not above trace_start");
    if (a.replay_bytes == 0 || a.replay_bytes % page_size_bytes != 0) {
      fail(at, name + "replay_bytes " + std::to_string(a.replay_bytes) + " is not a positive multiple of the page size");
    }
    if (a.replay_bytes > kMaxTotalBytes) fail(at, name + "replay_bytes is absurdly large");
    total += a.replay_bytes;
    if (total > h.max_memory_bytes) {
      fail(at, "the areas add up to more than the plan's max_memory_bytes " + std::to_string(h.max_memory_bytes));
    }
    h.areas.push_back(a);
  }
  if (h.vma_bytes > 0) {
    uint64_t nr_mappings = 0;
    for (const Area& a : h.areas) nr_mappings += (a.replay_bytes + h.vma_bytes - 1) / h.vma_bytes;
    if (nr_mappings > kMaxMappings) {
      fail(vma_at, "vma_bytes " + std::to_string(h.vma_bytes) + " would make " + std::to_string(nr_mappings) +
                       " mappings, more than " + std::to_string(kMaxMappings));
    }
  }
  at = offset_;
  h.meta_json.resize(meta_bytes);
  if (meta_bytes > 0) read_exact(h.meta_json.data(), meta_bytes, "the meta JSON");
  for (char c : h.meta_json) {
    // Copied verbatim into one JSON line of the mapping; control bytes would break that.
    if (static_cast<unsigned char>(c) < 0x20) fail(at, "the meta JSON contains a control character");
  }

  header_read_ = true;
  page_size_bytes_ = page_size_bytes;
  area_bytes_.clear();
  for (const Area& a : h.areas) area_bytes_.push_back(a.replay_bytes);
  return h;
}

bool PlanReader::read_period(Period* out) {
  if (!header_read_) throw PlanError("read_period before read_header");
  uint64_t at = offset_;
  uint32_t tag = u32("a period tag");
  if (tag == kEndTag) {
    uint64_t count_at = offset_;
    uint64_t nr_periods = u64("the period count");
    if (nr_periods != next_index_) {
      fail(count_at, "the end marker counts " + std::to_string(nr_periods) + " periods but " +
                         std::to_string(next_index_) + " were read");
    }
    return false;
  }
  if (tag != kPeriodTag) fail(at, "expected a period tag, found " + hex_u32(tag));
  const std::string name = "period " + std::to_string(next_index_) + ": ";
  out->index = next_index_;
  at = offset_;
  out->start_offset_ns = u64("start_offset_ns");
  if (out->start_offset_ns > kMaxOffsetNs) fail(at, name + "start_offset_ns is beyond 30 days");
  if (out->start_offset_ns < prev_end_ns_) fail(at, name + "starts before the previous period ends");
  at = offset_;
  out->duration_ns = u64("duration_ns");
  if (out->duration_ns == 0 || out->duration_ns > kMaxPeriodNs) fail(at, name + "duration_ns is not in (0, 1 day]");
  at = offset_;
  out->nr_slots = u32("nr_slots");
  if (out->nr_slots == 0 || out->nr_slots > kMaxSlots) fail(at, name + "nr_slots is not in [1, 1000000]");
  if (out->duration_ns / out->nr_slots < kMinSlotNs) fail(at, name + "slots are shorter than 1 us");
  at = offset_;
  uint32_t nr_ranges = u32("nr_ranges");
  if (nr_ranges > kMaxRangesPerPeriod) fail(at, name + "more than 2^24 ranges");
  out->ranges.clear();
  out->ranges.reserve(nr_ranges);
  uint64_t touches = 0;
  for (uint32_t i = 0; i < nr_ranges; i++) {
    at = offset_;
    Range r{};
    r.area = u32("range area");
    r.nr_accesses = u32("range nr_accesses");
    r.start = u64("range start");
    r.end = u64("range end");
    const std::string rname = name + "range " + std::to_string(i) + ": ";
    if (r.area >= area_bytes_.size()) fail(at, rname + "area " + std::to_string(r.area) + " does not exist");
    if (r.start >= r.end || r.end > area_bytes_[r.area]) {
      fail(at, rname + "[" + std::to_string(r.start) + ", " + std::to_string(r.end) + ") is not inside area " +
                   std::to_string(r.area) + " of " + std::to_string(area_bytes_[r.area]) + " bytes");
    }
    if (r.start % page_size_bytes_ != 0 || r.end % page_size_bytes_ != 0) fail(at, rname + "is not page-aligned");
    if (r.nr_accesses > out->nr_slots) fail(at, rname + "nr_accesses is above the period's nr_slots");
    if (!out->ranges.empty()) {
      const Range& prev = out->ranges.back();
      if (r.area < prev.area || (r.area == prev.area && r.start < prev.end)) {
        fail(at, rname + "ranges must be sorted by area and address and must not overlap");
      }
    }
    touches += r.nr_accesses;
    if (touches > kMaxTouchesPerPeriod) fail(at, name + "too many touches in one period (plan too dense)");
    out->ranges.push_back(r);
  }
  prev_end_ns_ = out->start_offset_ns + out->duration_ns;
  next_index_++;
  return true;
}

}  // namespace damo::replay
