// SPDX-License-Identifier: GPL-2.0-only
// synthetic: a deterministic, seeded stand-in for real memory.
//
// The pattern is a list of entries "during [t0, t1), an address in [start, end) is accessed
// in a sample with probability p" (overlaps: the highest p wins). Times are sample-count
// times (sample_index * sample_us), never the wall clock, so a run with the same pattern,
// seed and attributes produces the same snapshots whether it sleeps between samples or runs
// in virtual time. Used for accuracy tests (a moving hot block whose truth is known), for
// replaying a recorded trace's nr_accesses as probabilities, and for benchmarks.
#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "access/primitive.h"
#include "engine/errors.h"

namespace damo {

namespace {

class Synthetic final : public AccessPrimitive {
 public:
  Synthetic(std::vector<SyntheticEntry> entries, uint64_t seed)
      : entries_(std::move(entries)), rng_(seed ^ 0x73796e7468657469ULL) {
    std::stable_sort(entries_.begin(), entries_.end(),
                     [](const SyntheticEntry& a, const SyntheticEntry& b) { return a.t0_ns < b.t0_ns; });
  }

  const char* name() const override { return "synthetic"; }
  bool supports_virtual_time() const override { return true; }

  void attach(OpsKind, const std::vector<Target>&) override {
    next_entry_ = 0;
    active_.clear();
    segs_.clear();
    valid_from_ = 1.0;  // force a rebuild at the first sample
    valid_until_ = 0.0;
  }

  bool prepare_access_checks(size_t, Target&, const SampleTime&) override { return true; }

  bool check_accesses(size_t, Target& t, const SampleTime& now, uint8_t* accessed) override {
    advance(now.time_ns);
    const size_t n = t.regions.size();
    if (segs_.empty()) {
      std::fill(accessed, accessed + n, 0);
      return true;
    }
    for (size_t i = 0; i < n; i++) {
      const double p = lookup(t.regions[i].sampling_addr);
      accessed[i] = p >= 1.0 ? 1 : (p > 0.0 && rng_.next_double() < p ? 1 : 0);
    }
    return true;
  }

 private:
  struct Seg {
    uint64_t start;
    uint64_t end;
    double p;
  };

  double lookup(uint64_t addr) const {
    auto it = std::upper_bound(segs_.begin(), segs_.end(), addr,
                               [](uint64_t a, const Seg& s) { return a < s.start; });
    if (it == segs_.begin()) return 0.0;
    --it;
    return addr < it->end ? it->p : 0.0;
  }

  // Brings the active entry set to time t (monotonically increasing) and rebuilds the
  // non-overlapping segments when the set changed.
  void advance(double t) {
    if (t >= valid_from_ && t < valid_until_) return;
    bool changed = false;
    if (t < valid_from_) {  // time went backwards (a new run): start over
      next_entry_ = 0;
      active_.clear();
      changed = true;
    }
    while (next_entry_ < entries_.size() && entries_[next_entry_].t0_ns <= t) {
      active_.push_back(next_entry_++);
      changed = true;
    }
    const size_t before = active_.size();
    active_.erase(std::remove_if(active_.begin(), active_.end(),
                                 [&](size_t i) { return entries_[i].t1_ns <= t; }),
                  active_.end());
    changed = changed || active_.size() != before;
    valid_from_ = t;
    valid_until_ = next_entry_ < entries_.size() ? entries_[next_entry_].t0_ns : 1e300;
    for (size_t i : active_) valid_until_ = std::min(valid_until_, entries_[i].t1_ns);
    if (changed) rebuild();
  }

  void rebuild() {
    segs_.clear();
    std::vector<size_t> idx;
    for (size_t i : active_)
      if (entries_[i].end > entries_[i].start && entries_[i].p > 0.0) idx.push_back(i);
    std::sort(idx.begin(), idx.end(),
              [&](size_t a, size_t b) { return entries_[a].start < entries_[b].start; });
    bool overlap = false;
    for (size_t k = 1; k < idx.size(); k++)
      if (entries_[idx[k]].start < entries_[idx[k - 1]].end) overlap = true;
    if (!overlap) {
      for (size_t i : idx) segs_.push_back({entries_[i].start, entries_[i].end, entries_[i].p});
      return;
    }
    // Sweep the boundaries; each elementary interval takes the highest covering p.
    struct Ev {
      uint64_t addr;
      bool open;
      double p;
    };
    std::vector<Ev> ev;
    for (size_t i : idx) {
      ev.push_back({entries_[i].start, true, entries_[i].p});
      ev.push_back({entries_[i].end, false, entries_[i].p});
    }
    std::sort(ev.begin(), ev.end(), [](const Ev& a, const Ev& b) { return a.addr < b.addr; });
    std::multiset<double> live;
    for (size_t k = 0; k < ev.size();) {
      const uint64_t addr = ev[k].addr;
      for (; k < ev.size() && ev[k].addr == addr; k++) {
        if (ev[k].open)
          live.insert(ev[k].p);
        else
          live.erase(live.find(ev[k].p));
      }
      if (k < ev.size() && !live.empty()) {
        const double p = *live.rbegin();
        if (!segs_.empty() && segs_.back().end == addr && segs_.back().p == p)
          segs_.back().end = ev[k].addr;
        else
          segs_.push_back({addr, ev[k].addr, p});
      }
    }
  }

  std::vector<SyntheticEntry> entries_;
  Rng rng_;
  size_t next_entry_ = 0;
  std::vector<size_t> active_;
  std::vector<Seg> segs_;
  double valid_from_ = 1.0;
  double valid_until_ = 0.0;
};

}  // namespace

std::unique_ptr<AccessPrimitive> make_synthetic(std::vector<SyntheticEntry> entries, uint64_t seed) {
  return std::make_unique<Synthetic>(std::move(entries), seed);
}

Capability probe_synthetic(OpsKind, int pid) {
  Capability cap;
  if (pid > 0) {
    cap.code = "E_USAGE";
    cap.reason = "the synthetic primitive answers from a pattern, not from a process; give address ranges, not a pid";
    return cap;
  }
  cap.available = true;
  return cap;
}

const char* ops_name(OpsKind ops) {
  switch (ops) {
    case OpsKind::vaddr:
      return "vaddr";
    case OpsKind::fvaddr:
      return "fvaddr";
    case OpsKind::paddr:
      return "paddr";
  }
  return "?";
}

Capability probe_primitive(const std::string& name, OpsKind ops, int pid) {
  if (name == "page_idle") return probe_page_idle(ops, pid);
  if (name == "soft_dirty") return probe_soft_dirty(ops, pid);
  if (name == "clear_refs") return probe_clear_refs(ops, pid);
  if (name == "synthetic") return probe_synthetic(ops, pid);
  Capability cap;
  cap.code = "E_USAGE";
  cap.reason = "unknown access-check primitive '" + name + "' (use page_idle, soft_dirty, clear_refs or synthetic)";
  return cap;
}

}  // namespace damo
