// SPDX-License-Identifier: GPL-2.0-only
#include "engine/monitor.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "engine/errors.h"
#include "engine/layout.h"

namespace damo {

namespace {

uint64_t clock_ns(clockid_t id) {
  struct timespec ts {};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

int pidfd_open_compat(int pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

std::vector<AddrRange> checked_ranges(std::vector<AddrRange> ranges, size_t target_index) {
  std::sort(ranges.begin(), ranges.end(),
            [](const AddrRange& a, const AddrRange& b) { return a.start < b.start; });
  for (size_t i = 0; i < ranges.size(); i++) {
    if (ranges[i].end <= ranges[i].start)
      throw EngineError("E_USAGE", "target " + std::to_string(target_index) + ": address range " +
                                       std::to_string(i) + " is empty (end must be above start)");
    if (i > 0 && ranges[i].start < ranges[i - 1].end)
      throw EngineError("E_USAGE", "target " + std::to_string(target_index) + ": address ranges overlap");
  }
  return ranges;
}

}  // namespace

uint64_t monotonic_ns() { return clock_ns(CLOCK_MONOTONIC); }

Monitor::Monitor(MonitorConfig cfg, std::unique_ptr<AccessPrimitive> primitive)
    : cfg_(std::move(cfg)), primitive_(std::move(primitive)) {}

Monitor::~Monitor() {
  request_stop();
  join();
  for (int fd : pidfds_)
    if (fd >= 0) ::close(fd);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void Monitor::init() {
  if (initialized_) return;
  const std::string bad = damon_validate_attrs(cfg_.attrs);
  if (!bad.empty()) throw EngineError("E_USAGE", bad);
  if (cfg_.targets.empty()) throw EngineError("E_USAGE", "no monitoring target");
  if (cfg_.page_size == 0 || (cfg_.page_size & (cfg_.page_size - 1)) != 0)
    throw EngineError("E_USAGE", "the minimum region size must be a power of two");
  if (cfg_.virtual_time && !primitive_->supports_virtual_time())
    throw EngineError("E_USAGE", std::string("virtual time needs the synthetic primitive; ") +
                                     primitive_->name() + " watches real memory in real time");
  ctx_.attrs = cfg_.attrs;
  ctx_.min_region_sz = cfg_.page_size;
  ctx_.rng.reseed(cfg_.seed);
  ctx_.targets.clear();
  build_initial_regions();
  primitive_->attach(cfg_.ops, ctx_.targets);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) throw EngineError("E_INTERNAL", "eventfd failed: " + errno_text(errno));
  base_time_ns_ = cfg_.virtual_time ? 0 : monotonic_ns();
  initialized_ = true;
}

void Monitor::build_initial_regions() {
  for (size_t i = 0; i < cfg_.targets.size(); i++) {
    const TargetSpec& spec = cfg_.targets[i];
    Target t;
    t.pid = spec.pid;
    if (cfg_.ops == OpsKind::paddr) {
      if (spec.pid > 0) throw EngineError("E_USAGE", "paddr monitors physical memory; it takes no pid");
      if (spec.ranges.empty()) {
        // damon_set_region_biggest_system_ram_default(): the biggest System RAM resource.
        std::string iomem;
        if (!read_text_file("/proc/iomem", iomem))
          throw EngineError(errno_code(errno), "cannot read /proc/iomem: " + errno_text(errno));
        AddrRange biggest{};
        if (!damon_find_biggest_system_ram(parse_iomem_system_ram(iomem), biggest))
          throw EngineError("E_PERM",
                            "found no System RAM in /proc/iomem (it shows zero addresses to non-root "
                            "readers); run as root or give physical address ranges");
        t.ranges = {biggest};
      } else {
        t.ranges = checked_ranges(spec.ranges, i);
      }
    } else if (spec.pid > 0) {
      std::vector<Vma> vmas;
      if (!read_proc_maps(spec.pid, vmas)) {
        const int e = errno;
        if (e == ENOENT || e == ESRCH)
          throw EngineError("E_NOENT", "no process with pid " + std::to_string(spec.pid));
        throw EngineError(errno_code(e), "cannot read /proc/" + std::to_string(spec.pid) + "/maps: " + errno_text(e));
      }
      if (cfg_.ops == OpsKind::fvaddr) {
        if (spec.ranges.empty())
          throw EngineError("E_USAGE", "fvaddr needs address ranges for target " + std::to_string(i));
        t.ranges = checked_ranges(spec.ranges, i);
      } else {
        if (!spec.ranges.empty())
          throw EngineError("E_USAGE", "vaddr builds its regions from the process's mappings; use fvaddr to give ranges");
        const auto layout = damon_va_layout(vma_ranges(vmas), ctx_.min_region_sz);
        if (layout.empty())
          throw EngineError("E_TARGET", "process " + std::to_string(spec.pid) + " has no memory mappings");
        damon_va_init_regions(ctx_, t, layout);
      }
      const int fd = pidfd_open_compat(spec.pid);
      if (fd < 0 && errno == ESRCH) throw EngineError("E_NOENT", "no process with pid " + std::to_string(spec.pid));
      pidfds_.push_back(fd);
    } else {
      if (spec.ranges.empty())
        throw EngineError("E_USAGE", "target " + std::to_string(i) + " has neither a pid nor address ranges");
      t.ranges = checked_ranges(spec.ranges, i);
    }
    if (spec.pid <= 0) pidfds_.push_back(-1);
    if (t.regions.empty()) damon_set_regions(t, t.ranges, ctx_.min_region_sz);
    ctx_.targets.push_back(std::move(t));
  }
  damon_apply_min_nr_regions(ctx_);
}

void Monitor::start(SnapshotSink on_snapshots, EndSink on_end) {
  init();
  if (thread_.joinable()) throw EngineError("E_USAGE", "the monitor is already running");
  thread_ = std::thread([this, on_snapshots = std::move(on_snapshots), on_end = std::move(on_end)]() {
    EndInfo end = loop(on_snapshots);
    on_end(end);
  });
}

EndInfo Monitor::run(const SnapshotSink& on_snapshots) {
  init();
  return loop(on_snapshots);
}

void Monitor::request_stop() {
  stop_requested_.store(true);
  if (stop_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof(one));
  }
}

void Monitor::request_age_reset(size_t target_index, std::vector<AddrRange> ranges) {
  std::lock_guard<std::mutex> lock(resets_mutex_);
  pending_resets_.emplace_back(target_index, std::move(ranges));
}

void Monitor::apply_age_resets() {
  std::vector<std::pair<size_t, std::vector<AddrRange>>> resets;
  {
    std::lock_guard<std::mutex> lock(resets_mutex_);
    if (pending_resets_.empty()) return;
    resets.swap(pending_resets_);
  }
  for (auto& [ti, ranges] : resets) {
    if (ti >= ctx_.targets.size()) continue;
    std::sort(ranges.begin(), ranges.end(), [](const AddrRange& a, const AddrRange& b) { return a.start < b.start; });
    std::vector<AddrRange> merged;
    for (const AddrRange& r : ranges) {
      if (r.end <= r.start) continue;
      if (!merged.empty() && r.start <= merged.back().end) merged.back().end = std::max(merged.back().end, r.end);
      else merged.push_back(r);
    }
    damos_reset_age_in(ctx_.targets[ti], merged);
  }
}

void Monitor::join() {
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

double Monitor::now_ns() const { return static_cast<double>(monotonic_ns() - base_time_ns_); }

void Monitor::mark_exited(size_t ti) {
  ctx_.targets[ti].valid = false;
  if (ti < pidfds_.size() && pidfds_[ti] >= 0) {
    ::close(pidfds_[ti]);
    pidfds_[ti] = -1;
  }
}

bool Monitor::all_targets_gone() const {
  bool any_pid = false;
  for (const auto& t : ctx_.targets) {
    if (t.pid <= 0) return false;  // address-range targets never go away
    any_pid = true;
    if (t.valid) return false;
  }
  return any_pid;
}

bool Monitor::sleep_sample(uint64_t us) {
  const uint64_t deadline = monotonic_ns() + us * 1000ULL;
  for (;;) {
    std::vector<struct pollfd> fds;
    std::vector<size_t> owners;
    fds.push_back({stop_fd_, POLLIN, 0});
    owners.push_back(SIZE_MAX);
    for (size_t i = 0; i < pidfds_.size(); i++) {
      if (pidfds_[i] >= 0 && ctx_.targets[i].valid) {
        fds.push_back({pidfds_[i], POLLIN, 0});
        owners.push_back(i);
      }
    }
    const uint64_t now = monotonic_ns();
    if (now >= deadline) break;
    const uint64_t left = deadline - now;
    struct timespec ts {
      static_cast<time_t>(left / 1000000000ULL), static_cast<long>(left % 1000000000ULL)
    };
    const int n = ::ppoll(fds.data(), fds.size(), &ts, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (n == 0) break;
    if (fds[0].revents) return false;
    for (size_t k = 1; k < fds.size(); k++)
      if (fds[k].revents) mark_exited(owners[k]);
    if (all_targets_gone()) break;
  }
  if (stop_requested_.load()) return false;
  // Without pidfds (kernels before 5.3) notice exits with kill(pid, 0).
  for (size_t i = 0; i < ctx_.targets.size(); i++) {
    const Target& t = ctx_.targets[i];
    if (t.pid > 0 && t.valid && pidfds_[i] < 0 && ::kill(t.pid, 0) != 0 && errno == ESRCH) mark_exited(i);
  }
  return true;
}

void Monitor::ops_update() {
  // damon_va_update(): re-read the layout and fit the regions to it with damon_set_regions().
  if (cfg_.ops != OpsKind::vaddr) return;
  for (size_t i = 0; i < ctx_.targets.size(); i++) {
    Target& t = ctx_.targets[i];
    if (t.pid <= 0 || !t.valid) continue;
    std::vector<Vma> vmas;
    if (!read_proc_maps(t.pid, vmas)) {
      if (errno == ENOENT || errno == ESRCH) mark_exited(i);
      continue;
    }
    const auto layout = damon_va_layout(vma_ranges(vmas), ctx_.min_region_sz);
    if (layout.empty()) {  // an exited (zombie) process has no mappings
      mark_exited(i);
      continue;
    }
    damon_set_regions(t, layout, ctx_.min_region_sz);
  }
}

EndInfo Monitor::loop(const SnapshotSink& on_snapshots) {
  EndInfo end;
  const uint64_t cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  const uint64_t wall0 = monotonic_ns();
  const Attrs& attrs = ctx_.attrs;
  const uint64_t aggr_samples = std::max<uint64_t>(1, attrs.aggr_us / attrs.sample_us);
  const uint64_t update_samples = std::max<uint64_t>(1, attrs.ops_update_us / attrs.sample_us);
  // kdamond_init_ctx()
  passed_sample_intervals_ = 0;
  uint64_t next_aggregation_sis = aggr_samples;
  uint64_t next_ops_update_sis = update_samples;
  uint64_t sz_limit = damon_region_sz_limit(ctx_);
  double last_aggr_end_ns = 0;
  const double sample_ns = static_cast<double>(attrs.sample_us) * 1000.0;

  try {
    for (;;) {
      if (stop_requested_.load()) {
        end.reason = "stopped";
        break;
      }
      if (all_targets_gone()) {  // kdamond_need_stop()
        end.reason = "target-exit";
        break;
      }
      apply_age_resets();
      const SampleTime now{passed_sample_intervals_, static_cast<double>(passed_sample_intervals_) * sample_ns};
      for (size_t ti = 0; ti < ctx_.targets.size(); ti++) {
        Target& t = ctx_.targets[ti];
        if (!t.valid) continue;
        for (auto& r : t.regions) r.sampling_addr = damon_rand(ctx_.rng, r.start, r.end);
        if (!primitive_->prepare_access_checks(ti, t, now)) mark_exited(ti);
      }
      if (!cfg_.virtual_time && !sleep_sample(attrs.sample_us)) {
        end.reason = "stopped";
        break;
      }
      passed_sample_intervals_++;

      uint32_t max_nr_accesses = 0;
      for (size_t ti = 0; ti < ctx_.targets.size(); ti++) {
        Target& t = ctx_.targets[ti];
        const size_t n = t.regions.size();
        accessed_.assign(n, 0);
        if (t.valid && !primitive_->check_accesses(ti, t, now, accessed_.data())) {
          mark_exited(ti);
          std::fill(accessed_.begin(), accessed_.end(), 0);
        }
        for (size_t i = 0; i < n; i++) {
          Region& r = t.regions[i];
          damon_update_region_access_rate(r, accessed_[i] != 0, attrs);
          if (r.nr_accesses > max_nr_accesses) max_nr_accesses = r.nr_accesses;
        }
      }

      if (passed_sample_intervals_ >= next_aggregation_sis) {
        kdamond_merge_regions(ctx_, max_nr_accesses / 10, sz_limit);
        const double end_ns =
            cfg_.virtual_time ? static_cast<double>(passed_sample_intervals_) * sample_ns : now_ns();
        std::vector<TargetSnapshot> snaps(ctx_.targets.size());
        for (size_t ti = 0; ti < ctx_.targets.size(); ti++) {
          const Target& t = ctx_.targets[ti];
          TargetSnapshot& s = snaps[ti];
          s.target_index = static_cast<uint32_t>(ti);
          s.start_ns = last_aggr_end_ns;
          s.end_ns = end_ns;
          const size_t n = t.regions.size();
          s.starts.resize(n);
          s.ends.resize(n);
          s.nr_accesses.resize(n);
          s.ages.resize(n);
          for (size_t i = 0; i < n; i++) {
            const Region& r = t.regions[i];
            s.starts[i] = static_cast<double>(r.start);
            s.ends[i] = static_cast<double>(r.end);
            s.nr_accesses[i] = r.nr_accesses;
            s.ages[i] = r.age;
          }
          s.granularity_bytes = primitive_->granularity_bytes(ti);
        }
        last_aggr_end_ns = end_ns;
        end.stats.nr_aggregations++;
        if (on_snapshots) on_snapshots(std::move(snaps));

        next_aggregation_sis += aggr_samples;
        kdamond_reset_aggregated(ctx_);
        kdamond_split_regions(ctx_);
      }

      if (passed_sample_intervals_ >= next_ops_update_sis) {
        next_ops_update_sis += update_samples;
        ops_update();
        damon_apply_min_nr_regions(ctx_);
        sz_limit = damon_region_sz_limit(ctx_);
      }

      if (cfg_.duration_us && passed_sample_intervals_ * attrs.sample_us >= cfg_.duration_us) {
        end.reason = "timeout";
        break;
      }
    }
  } catch (const EngineError& e) {
    end.reason = "error";
    end.error_code = e.code();
    end.error_message = e.what();
  } catch (const std::exception& e) {
    end.reason = "error";
    end.error_code = "E_INTERNAL";
    end.error_message = e.what();
  }
  end.stats.nr_samples = passed_sample_intervals_;
  end.stats.thread_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
  end.stats.wall_ns = monotonic_ns() - wall0;
  return end;
}

}  // namespace damo
