// SPDX-License-Identifier: GPL-2.0-only
// The memory-touching part of damo_replay: maps the plan's areas, then runs each period on
// worker threads. Plain C++17 + pthreads, no N-API.
//
// How a period is replayed. DAMON counts, per region and aggregation interval, the sampling
// intervals in which a randomly picked page of the region was found accessed. A period
// therefore has `nr_slots` slots (the trace's sampling intervals, stretched by the time
// scale), and a range with nr_accesses k has every one of its pages written in k of them,
// evenly spaced, so that any page a sampler picks is seen accessed in k sampling windows.
// The first touched slot is drawn from the seed within the first spacing (and the first
// quarter of the period), which spreads the work of many ranges over the slots, keeps the
// run deterministic for a seed, and makes every range that is active in a period resident
// early in it. Idle ranges (k = 0) are released with MADV_DONTNEED at the period's start
// unless the plan keeps cold memory, so the process's resident set follows the trace's
// working set.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "replay/plan.h"

namespace damo::replay {

// CLOCK_MONOTONIC in ns: the clock DAMON, our recorder and node's hrtime all use, so the
// replay's time zero can be related to a recording of it.
uint64_t monotonic_ns();

// A stop request shared by every thread; sleeps end as soon as it is made.
class StopToken {
 public:
  StopToken();
  ~StopToken();
  StopToken(const StopToken&) = delete;
  StopToken& operator=(const StopToken&) = delete;

  // `signal` is the signal number, or 0 for a stop caused by an error.
  void request(int signal);
  bool requested() const { return stop_.load(std::memory_order_relaxed); }
  int signal() const { return signal_.load(std::memory_order_relaxed); }
  // Sleeps until CLOCK_MONOTONIC reaches `deadline_ns`; returns false when stopped.
  bool sleep_until(uint64_t deadline_ns);
  // Registers a function called (once) when a stop is requested, to wake other waiters.
  void on_stop(std::function<void()> fn) { on_stop_ = std::move(fn); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> signal_{0};
  pthread_mutex_t mu_;
  pthread_cond_t cv_;
  std::function<void()> on_stop_;
};

// Periods decoded ahead of the workers by the reader thread; bounded so a long plan streamed
// through a pipe never sits in memory whole.
class PeriodQueue {
 public:
  explicit PeriodQueue(size_t capacity);
  ~PeriodQueue();
  // Blocks while full; returns false when the queue was cancelled.
  bool push(std::shared_ptr<const Period> period);
  // Marks the end of the plan; `error` is empty for a clean end.
  void finish(const std::string& error);
  // The next period, or nullptr at the end of the plan or after cancel().
  std::shared_ptr<const Period> pop();
  void cancel();
  std::string error() const;

 private:
  mutable pthread_mutex_t mu_;
  pthread_cond_t cv_;
  std::deque<std::shared_ptr<const Period>> items_;
  size_t capacity_;
  bool finished_ = false;
  bool cancelled_ = false;
  std::string error_;
};

struct MappedAreas {
  uintptr_t reserve_start = 0;
  uintptr_t reserve_end = 0;
  std::vector<uintptr_t> starts;  // one per plan area
};

// Reserves one PROT_NONE range holding every area with a guard page before, between and
// after them (so the areas never merge with other mappings in /proc/PID/smaps), then makes
// the areas readable and writable. Throws std::runtime_error.
MappedAreas map_areas(const PlanHeader& header);

struct ReplayStats {
  uint64_t periods = 0;
  uint64_t slots = 0;
  uint64_t touched_pages = 0;
  uint64_t released_bytes = 0;
  uint64_t late_slots = 0;
  uint64_t max_slot_lag_ns = 0;
  uint64_t max_period_lag_ns = 0;
};

// Called on one thread after each period, with how late the period finished (0 if on time).
using PeriodDone = std::function<void(const Period& period, uint64_t lag_ns)>;

// Runs every period of `queue` from time zero `t0_ns` (CLOCK_MONOTONIC) until the plan ends
// or `stop` is requested.
ReplayStats run_replay(const PlanHeader& header, const MappedAreas& areas, PeriodQueue& queue, StopToken& stop,
                       uint64_t t0_ns, const PeriodDone& on_period_done);

// The slots (in [0, nr_slots)) in which a range with `nr_accesses` is touched, for the
// period and range index given; exposed for tests of determinism and spacing.
std::vector<uint32_t> touch_slots(uint64_t seed, uint64_t period_index, uint64_t range_index, uint32_t nr_accesses,
                                  uint32_t nr_slots);

}  // namespace damo::replay
