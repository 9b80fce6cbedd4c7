// SPDX-License-Identifier: GPL-2.0-only
#include "replay/replayer.h"

#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace damo::replay {

uint64_t monotonic_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// ---------------------------------------------------------------------------------------
// StopToken

StopToken::StopToken() {
  pthread_mutex_init(&mu_, nullptr);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  // Deadlines are CLOCK_MONOTONIC readings; a wall-clock jump must not shift the replay.
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&cv_, &attr);
  pthread_condattr_destroy(&attr);
}

StopToken::~StopToken() {
  pthread_cond_destroy(&cv_);
  pthread_mutex_destroy(&mu_);
}

void StopToken::request(int signal) {
  pthread_mutex_lock(&mu_);
  bool first = !stop_.load();
  if (first) {
    signal_.store(signal);
    stop_.store(true);
  }
  pthread_cond_broadcast(&cv_);
  pthread_mutex_unlock(&mu_);
  if (first && on_stop_) on_stop_();
}

bool StopToken::sleep_until(uint64_t deadline_ns) {
  if (requested()) return false;
  if (monotonic_ns() >= deadline_ns) return true;
  struct timespec ts {};
  ts.tv_sec = static_cast<time_t>(deadline_ns / 1000000000ull);
  ts.tv_nsec = static_cast<long>(deadline_ns % 1000000000ull);
  pthread_mutex_lock(&mu_);
  while (!stop_.load()) {
    int rc = pthread_cond_timedwait(&cv_, &mu_, &ts);
    if (rc == ETIMEDOUT) break;
  }
  bool stopped = stop_.load();
  pthread_mutex_unlock(&mu_);
  return !stopped;
}

// ---------------------------------------------------------------------------------------
// PeriodQueue

PeriodQueue::PeriodQueue(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {
  pthread_mutex_init(&mu_, nullptr);
  pthread_cond_init(&cv_, nullptr);
}

PeriodQueue::~PeriodQueue() {
  pthread_cond_destroy(&cv_);
  pthread_mutex_destroy(&mu_);
}

bool PeriodQueue::push(std::shared_ptr<const Period> period) {
  pthread_mutex_lock(&mu_);
  while (items_.size() >= capacity_ && !cancelled_) pthread_cond_wait(&cv_, &mu_);
  bool ok = !cancelled_;
  if (ok) items_.push_back(std::move(period));
  pthread_cond_broadcast(&cv_);
  pthread_mutex_unlock(&mu_);
  return ok;
}

void PeriodQueue::finish(const std::string& error) {
  pthread_mutex_lock(&mu_);
  finished_ = true;
  error_ = error;
  pthread_cond_broadcast(&cv_);
  pthread_mutex_unlock(&mu_);
}

std::shared_ptr<const Period> PeriodQueue::pop() {
  pthread_mutex_lock(&mu_);
  while (items_.empty() && !finished_ && !cancelled_) pthread_cond_wait(&cv_, &mu_);
  std::shared_ptr<const Period> out;
  if (!cancelled_ && !items_.empty()) {
    out = std::move(items_.front());
    items_.pop_front();
  }
  pthread_cond_broadcast(&cv_);
  pthread_mutex_unlock(&mu_);
  return out;
}

void PeriodQueue::cancel() {
  pthread_mutex_lock(&mu_);
  cancelled_ = true;
  pthread_cond_broadcast(&cv_);
  pthread_mutex_unlock(&mu_);
}

std::string PeriodQueue::error() const {
  pthread_mutex_lock(&mu_);
  std::string e = error_;
  pthread_mutex_unlock(&mu_);
  return e;
}

// ---------------------------------------------------------------------------------------
// Memory

MappedAreas map_areas(const PlanHeader& header) {
  const uint64_t page = header.page_size_bytes;
  const uint64_t reserve = header.total_bytes() + (header.areas.size() + 1) * page;
  void* base = mmap(nullptr, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    throw std::runtime_error("cannot reserve " + std::to_string(reserve) + " bytes of address space: " + strerror(errno));
  }
  MappedAreas out;
  out.reserve_start = reinterpret_cast<uintptr_t>(base);
  out.reserve_end = out.reserve_start + reserve;
  uintptr_t cursor = out.reserve_start + page;
  for (const Area& a : header.areas) {
    void* p = reinterpret_cast<void*>(cursor);
    if (mprotect(p, a.replay_bytes, PROT_READ | PROT_WRITE) != 0) {
      throw std::runtime_error("cannot make " + std::to_string(a.replay_bytes) + " bytes writable: " + strerror(errno));
    }
    // Page-granular residency is the point of the replay: a huge page would make one touch
    // count 512 pages resident and one release split it.
    if ((header.flags & kFlagAllowThp) == 0) madvise(p, a.replay_bytes, MADV_NOHUGEPAGE);
    if (header.vma_bytes > 0) {
      // Adjacent anonymous mappings with equal flags merge into one; marking every other
      // piece VM_DONTCOPY (meaningless here: the replay never forks) keeps them apart.
      for (uint64_t off = header.vma_bytes; off < a.replay_bytes; off += 2 * header.vma_bytes) {
        uint64_t len = std::min(header.vma_bytes, a.replay_bytes - off);
        if (madvise(reinterpret_cast<void*>(cursor + off), len, MADV_DONTFORK) != 0) {
          throw std::runtime_error("cannot split the replay memory into mappings (madvise MADV_DONTFORK): " +
                                   std::string(strerror(errno)));
        }
      }
    }
    out.starts.push_back(cursor);
    cursor += a.replay_bytes + page;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Schedule

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint32_t first_slot(uint64_t seed, uint64_t period_index, uint64_t range_index, uint32_t k, uint32_t nr_slots) {
  // Evenly spaced touches f + floor(m * nr_slots / k), m < k, stay below nr_slots for any
  // f < floor(nr_slots / k).
  uint32_t window = std::min(nr_slots / k, std::max<uint32_t>(1, nr_slots / 4));
  if (window <= 1) return 0;
  uint64_t h = splitmix64(seed ^ splitmix64(period_index ^ splitmix64(range_index + 0x5851f42d4c957f2dull)));
  return static_cast<uint32_t>(h % window);
}

}  // namespace

std::vector<uint32_t> touch_slots(uint64_t seed, uint64_t period_index, uint64_t range_index, uint32_t nr_accesses,
                                  uint32_t nr_slots) {
  std::vector<uint32_t> out;
  uint32_t k = std::min(nr_accesses, nr_slots);
  if (k == 0) return out;
  uint32_t f = first_slot(seed, period_index, range_index, k, nr_slots);
  for (uint32_t m = 0; m < k; m++) {
    out.push_back(f + static_cast<uint32_t>(static_cast<uint64_t>(m) * nr_slots / k));
  }
  return out;
}

namespace {

// A period prepared once (by the thread that completes the barrier) and then read by all.
struct Schedule {
  std::shared_ptr<const Period> period;
  std::vector<uint32_t> slot_begin;  // nr_slots + 1 offsets into `entries`
  std::vector<uint32_t> entries;     // range indices, grouped by slot
  std::vector<uint32_t> idle;        // ranges with nr_accesses 0
};

std::shared_ptr<const Schedule> build_schedule(uint64_t seed, std::shared_ptr<const Period> period) {
  auto s = std::make_shared<Schedule>();
  const Period& p = *period;
  s->slot_begin.assign(static_cast<size_t>(p.nr_slots) + 1, 0);
  std::vector<uint32_t> slots;
  // Counting sort by slot: count, prefix-sum, fill.
  for (size_t i = 0; i < p.ranges.size(); i++) {
    const Range& r = p.ranges[i];
    if (r.nr_accesses == 0) {
      s->idle.push_back(static_cast<uint32_t>(i));
      continue;
    }
    for (uint32_t slot : touch_slots(seed, p.index, i, r.nr_accesses, p.nr_slots)) s->slot_begin[slot + 1]++;
  }
  for (size_t j = 1; j < s->slot_begin.size(); j++) s->slot_begin[j] += s->slot_begin[j - 1];
  s->entries.resize(s->slot_begin.back());
  std::vector<uint32_t> fill(s->slot_begin.begin(), s->slot_begin.end() - 1);
  for (size_t i = 0; i < p.ranges.size(); i++) {
    const Range& r = p.ranges[i];
    if (r.nr_accesses == 0) continue;
    for (uint32_t slot : touch_slots(seed, p.index, i, r.nr_accesses, p.nr_slots)) {
      s->entries[fill[slot]++] = static_cast<uint32_t>(i);
    }
  }
  s->period = std::move(period);
  return s;
}

// A reusable barrier whose last arriving thread runs a completion step before releasing
// the others (C++17 has no std::barrier).
class Barrier {
 public:
  explicit Barrier(size_t n) : n_(n) {
    pthread_mutex_init(&mu_, nullptr);
    pthread_cond_init(&cv_, nullptr);
  }
  ~Barrier() {
    pthread_cond_destroy(&cv_);
    pthread_mutex_destroy(&mu_);
  }
  template <typename F>
  void arrive_and_wait(F&& completion) {
    pthread_mutex_lock(&mu_);
    uint64_t gen = generation_;
    if (++arrived_ == n_) {
      completion();
      arrived_ = 0;
      generation_++;
      pthread_cond_broadcast(&cv_);
    } else {
      while (gen == generation_) pthread_cond_wait(&cv_, &mu_);
    }
    pthread_mutex_unlock(&mu_);
  }

 private:
  pthread_mutex_t mu_;
  pthread_cond_t cv_;
  size_t n_;
  size_t arrived_ = 0;
  uint64_t generation_ = 0;
};

struct WorkerStats {
  ReplayStats s;
};

// This worker's share of a range: a contiguous run of its pages.
inline void shard(const Range& r, uint64_t page, uint32_t worker, uint32_t nr_workers, uint64_t* first,
                  uint64_t* last) {
  uint64_t n = (r.end - r.start) / page;
  *first = n * worker / nr_workers;
  *last = n * (worker + 1) / nr_workers;
}

}  // namespace

ReplayStats run_replay(const PlanHeader& header, const MappedAreas& areas, PeriodQueue& queue, StopToken& stop,
                       uint64_t t0_ns, const PeriodDone& on_period_done) {
  const uint32_t nr_workers = header.nr_threads;
  const uint64_t page = header.page_size_bytes;
  const bool release_idle = (header.flags & kFlagKeepCold) == 0;

  Barrier barrier(nr_workers);
  std::shared_ptr<const Schedule> current;
  uint64_t max_period_lag_ns = 0;
  std::vector<WorkerStats> stats(nr_workers);

  // Runs on the last thread to arrive: the previous period is over for everybody.
  auto advance = [&]() {
    if (current) {
      const Period& p = *current->period;
      uint64_t end = t0_ns + p.start_offset_ns + p.duration_ns;
      uint64_t now = monotonic_ns();
      uint64_t lag = now > end ? now - end : 0;
      max_period_lag_ns = std::max(max_period_lag_ns, lag);
      if (on_period_done) on_period_done(p, lag);
    }
    current.reset();
    if (stop.requested()) return;
    std::shared_ptr<const Period> next = queue.pop();
    if (next) current = build_schedule(header.seed, std::move(next));
  };

  auto worker = [&](uint32_t w) {
    ReplayStats& st = stats[w].s;
    const uint8_t stamp = static_cast<uint8_t>(0x5a + w);
    for (;;) {
      barrier.arrive_and_wait(advance);
      std::shared_ptr<const Schedule> sched = current;
      if (!sched) return;
      const Period& p = *sched->period;
      if (w == 0) st.periods++;
      const uint64_t pstart = t0_ns + p.start_offset_ns;
      if (!stop.sleep_until(pstart)) continue;
      if (release_idle) {
        for (uint32_t idx : sched->idle) {
          const Range& r = p.ranges[idx];
          uint64_t first, last;
          shard(r, page, w, nr_workers, &first, &last);
          if (first == last) continue;
          void* addr = reinterpret_cast<void*>(areas.starts[r.area] + r.start + first * page);
          madvise(addr, (last - first) * page, MADV_DONTNEED);
          st.released_bytes += (last - first) * page;
        }
      }
      bool stopped = false;
      for (uint32_t j = 0; j < p.nr_slots && !stopped; j++) {
        const uint64_t sstart = pstart + static_cast<uint64_t>(static_cast<unsigned __int128>(p.duration_ns) * j / p.nr_slots);
        const uint64_t send = pstart + static_cast<uint64_t>(static_cast<unsigned __int128>(p.duration_ns) * (j + 1) / p.nr_slots);
        if (!stop.sleep_until(sstart)) break;
        for (uint32_t e = sched->slot_begin[j]; e < sched->slot_begin[j + 1]; e++) {
          const Range& r = p.ranges[sched->entries[e]];
          uint64_t first, last;
          shard(r, page, w, nr_workers, &first, &last);
          volatile uint8_t* base = reinterpret_cast<volatile uint8_t*>(areas.starts[r.area] + r.start);
          for (uint64_t i = first; i < last; i++) {
            // A write: it sets the accessed bit every primitive reads, and the soft-dirty bit.
            base[i * page] = stamp;
            if ((i & 1023) == 1023 && stop.requested()) {
              stopped = true;
              break;
            }
          }
          st.touched_pages += last - first;
          if (stopped) break;
        }
        if (w == 0) st.slots++;
        uint64_t now = monotonic_ns();
        if (now > send) {
          st.late_slots++;
          st.max_slot_lag_ns = std::max(st.max_slot_lag_ns, now - send);
        }
      }
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(nr_workers);
  for (uint32_t w = 0; w < nr_workers; w++) threads.emplace_back(worker, w);
  for (auto& t : threads) t.join();

  ReplayStats total;
  for (const WorkerStats& ws : stats) {
    total.periods += ws.s.periods;
    total.slots += ws.s.slots;
    total.touched_pages += ws.s.touched_pages;
    total.released_bytes += ws.s.released_bytes;
    // A slot is late when any worker finished it late; the busiest worker's count is the
    // closest cheap bound.
    total.late_slots = std::max(total.late_slots, ws.s.late_slots);
    total.max_slot_lag_ns = std::max(total.max_slot_lag_ns, ws.s.max_slot_lag_ns);
  }
  total.max_period_lag_ns = max_period_lag_ns;
  return total;
}

}  // namespace damo::replay
