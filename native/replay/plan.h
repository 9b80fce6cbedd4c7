// SPDX-License-Identifier: GPL-2.0-only
// The replay plan: what `damo replay` (TypeScript) streams to the damo_replay executable.
// The TypeScript planner does all the thinking (layout, scaling, time scale, slot counts);
// this side only decodes, re-checks every value it will act on, and refuses anything out of
// bounds, so a damaged or hostile plan can neither touch memory outside the areas it mapped
// nor map more than --max_memory. The byte layout is documented in docs/REPLAY.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace damo::replay {

inline constexpr char kPlanMagic[8] = {'D', 'M', 'R', 'P', 'L', 'A', 'N', '1'};
inline constexpr uint32_t kPlanVersion = 1;
inline constexpr uint32_t kPeriodTag = 0x44524550;  // "PERD" read as u32le
inline constexpr uint32_t kEndTag = 0x444e4550;     // "PEND"

// Limits that keep the executable's own memory and time bounded whatever the plan says.
inline constexpr uint32_t kMaxAreas = 4096;
inline constexpr uint32_t kMaxThreads = 256;
inline constexpr uint32_t kMaxMetaBytes = 1 << 20;
inline constexpr uint64_t kMaxTotalBytes = 1ull << 46;
inline constexpr uint64_t kMaxStartDelayNs = 3600ull * 1000000000ull;
// Below the kernel's default vm.max_map_count (65530), with room for the process's own.
inline constexpr uint64_t kMaxMappings = 60000;
inline constexpr uint64_t kMaxPeriodNs = 86400ull * 1000000000ull;
inline constexpr uint64_t kMaxOffsetNs = 30ull * 86400ull * 1000000000ull;
inline constexpr uint64_t kMinSlotNs = 1000;
inline constexpr uint32_t kMaxSlots = 1000000;
inline constexpr uint32_t kMaxRangesPerPeriod = 1u << 24;
// Sum over a period's ranges of nr_accesses: the size of the per-slot touch schedule.
inline constexpr uint64_t kMaxTouchesPerPeriod = 1ull << 24;

enum PlanFlags : uint32_t {
  kFlagKeepCold = 1u << 0,      // never release idle ranges (RSS then grows to the footprint)
  kFlagAllowThp = 1u << 1,      // leave transparent huge pages enabled on the areas
  kFlagPeriodEvents = 1u << 2,  // print one event line per period
};
inline constexpr uint32_t kKnownFlags = kFlagKeepCold | kFlagAllowThp | kFlagPeriodEvents;

struct Area {
  uint64_t trace_start;
  uint64_t trace_end;
  uint64_t replay_bytes;
};

struct PlanHeader {
  uint64_t page_size_bytes = 0;
  uint64_t max_memory_bytes = 0;
  uint64_t seed = 0;
  uint64_t start_delay_ns = 0;
  // Split every area into mappings of at most this many bytes (0: one mapping per area), so
  // access checks that answer per mapping (clear_refs + smaps) can tell where accesses are.
  uint64_t vma_bytes = 0;
  uint32_t nr_threads = 1;
  uint32_t flags = 0;
  std::vector<Area> areas;
  std::string meta_json;

  uint64_t total_bytes() const;
};

struct Range {
  uint32_t area;
  uint32_t nr_accesses;  // slots of this period in which the whole range is touched; 0 = idle
  uint64_t start;        // byte offsets into the area, page-aligned
  uint64_t end;
};

struct Period {
  uint64_t index = 0;
  uint64_t start_offset_ns = 0;  // from the replay's time zero
  uint64_t duration_ns = 0;
  uint32_t nr_slots = 1;
  std::vector<Range> ranges;
};

class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a plan from a file descriptor (a pipe or a file), one period at a time.
class PlanReader {
 public:
  explicit PlanReader(int fd) : fd_(fd) {}

  // Throws PlanError naming the byte offset and field of the first bad value.
  PlanHeader read_header(uint64_t page_size_bytes, uint64_t max_memory_cap_bytes);
  // Fills `out` and returns true, or returns false at the end marker. Throws PlanError.
  bool read_period(Period* out);

 private:
  void read_exact(void* dst, size_t n, const char* what);
  uint32_t u32(const char* what);
  uint64_t u64(const char* what);
  [[noreturn]] void fail(uint64_t offset, const std::string& message) const;

  int fd_;
  uint64_t offset_ = 0;
  std::vector<uint8_t> buf_;
  size_t buf_pos_ = 0;
  size_t buf_end_ = 0;
  bool header_read_ = false;
  uint64_t page_size_bytes_ = 0;
  std::vector<uint64_t> area_bytes_;
  uint64_t next_index_ = 0;
  uint64_t prev_end_ns_ = 0;
};

}  // namespace damo::replay
