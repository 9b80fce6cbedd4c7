// SPDX-License-Identifier: GPL-2.0-only
// The monitoring loop: kdamond_fn() in user space, on its own std::thread.
//
// Each sampling interval: pick a random address per region (damon_rand), let the access
// primitive make it old, sleep one sampling interval, ask the primitive whether it was
// accessed. Every aggregation interval (counted in samples, as the kernel does since 6.7):
// merge, hand over one snapshot per target, reset the counters and split. Every ops-update
// interval: re-read vaddr layouts and apply them with damon_set_regions().
//
// Stop is prompt: the sleep waits on an eventfd, and on each pid target's pidfd so a target
// that exits ends its sampling at once; when every target has exited the run ends with
// reason "target-exit" (kdamond_need_stop()).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "access/primitive.h"
#include "engine/damon.h"

namespace damo {

struct TargetSpec {
  int pid = -1;                   // -1: no process (paddr, synthetic)
  std::vector<AddrRange> ranges;  // empty with a pid: vaddr three-regions layout
};

struct MonitorConfig {
  Attrs attrs;
  OpsKind ops = OpsKind::vaddr;
  std::vector<TargetSpec> targets;
  uint64_t seed = 0;
  uint64_t page_size = 4096;      // DAMON_MIN_REGION
  bool virtual_time = false;      // run without sleeping; times are sample-count times
  uint64_t duration_us = 0;       // end with "timeout" after this much (sample-count) time; 0: no limit
};

// One target's regions at the end of one aggregation interval, ready for JS typed arrays.
struct TargetSnapshot {
  uint32_t target_index = 0;
  double start_ns = 0;  // ns since the monitor started (CLOCK_MONOTONIC, or virtual)
  double end_ns = 0;
  std::vector<double> starts, ends, nr_accesses, ages;
  uint64_t granularity_bytes = 0;
};

struct RunStats {
  uint64_t nr_samples = 0;
  uint64_t nr_aggregations = 0;
  uint64_t thread_cpu_ns = 0;   // CPU time of the monitor thread
  uint64_t wall_ns = 0;
};

struct EndInfo {
  std::string reason;        // "stopped", "target-exit", "timeout", "error"
  std::string error_code;    // set when reason == "error"
  std::string error_message;
  RunStats stats;
};

using SnapshotSink = std::function<void(std::vector<TargetSnapshot>&&)>;
using EndSink = std::function<void(const EndInfo&)>;

class Monitor {
 public:
  Monitor(MonitorConfig cfg, std::unique_ptr<AccessPrimitive> primitive);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Validates the attributes, builds every target's initial regions and attaches the
  // primitive. Throws EngineError. Called by start() and run() if not done yet.
  void init();

  // Runs the loop on a new thread. `on_snapshots` is called once per aggregation interval,
  // `on_end` once at the end, both on the monitor thread.
  void start(SnapshotSink on_snapshots, EndSink on_end);

  // Runs the loop on the calling thread until it ends; returns how it ended.
  EndInfo run(const SnapshotSink& on_snapshots);

  // Thread-safe; the loop notices within one sampling interval (at once while sleeping).
  void request_stop();

  // Thread-safe: an online DAMOS action was applied to `ranges` (sorted, non-overlapping)
  // of target `target_index`, so their regions' ages go back to 0 (damos_reset_age_in()),
  // as the kernel does in damos_apply_scheme(). Applied before the next sample is taken.
  void request_age_reset(size_t target_index, std::vector<AddrRange> ranges);
  bool stop_requested() const { return stop_requested_.load(); }
  void join();
  bool running() const { return thread_.joinable(); }

  // CLOCK_MONOTONIC ns at init(); snapshot times are relative to it (0 in virtual time).
  uint64_t base_time_ns() const { return base_time_ns_; }
  const Ctx& ctx() const { return ctx_; }

 private:
  EndInfo loop(const SnapshotSink& on_snapshots);
  void build_initial_regions();
  void ops_update();
  // Sleeps one sampling interval; returns false when stop was requested.
  bool sleep_sample(uint64_t us);
  void mark_exited(size_t ti);
  bool all_targets_gone() const;
  double now_ns() const;

  MonitorConfig cfg_;
  std::unique_ptr<AccessPrimitive> primitive_;
  Ctx ctx_;
  bool initialized_ = false;
  std::vector<int> pidfds_;  // per target, -1 when none (or pidfd_open unsupported)
  int stop_fd_ = -1;
  std::atomic<bool> stop_requested_{false};
  std::thread thread_;
  uint64_t base_time_ns_ = 0;
  uint64_t passed_sample_intervals_ = 0;
  std::vector<uint8_t> accessed_;
  void apply_age_resets();
  std::mutex resets_mutex_;
  std::vector<std::pair<size_t, std::vector<AddrRange>>> pending_resets_;
};

// Reads CLOCK_MONOTONIC in ns.
uint64_t monotonic_ns();

}  // namespace damo
