// SPDX-License-Identifier: GPL-2.0-only
// Access-check primitives: the part of DAMON's operations set (damon_operations
// ->prepare_access_checks / ->check_accesses) that answers "was this address accessed during
// the last sampling interval". The engine picks every region's sampling address (damon_rand)
// and calls the primitive once per target per sample, so per-region costs stay in one loop.
//
// Each primitive also has a capability probe that says whether it can run on this machine
// and, if not, why and what would fix it. Plain C++17, no N-API.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/damon.h"

namespace damo {

enum class OpsKind { vaddr, fvaddr, paddr };

const char* ops_name(OpsKind ops);

struct Capability {
  bool available = false;
  std::string code;    // when unavailable: E_UNSUPPORTED (kernel lacks it), E_PERM, E_NOENT, E_USAGE
  std::string reason;  // why not, and what would fix it (empty when available)
};

struct SampleTime {
  uint64_t sample_index;  // samples completed before this one
  double time_ns;         // start of this sampling interval, ns since monitoring started, by
                          // sample count (sample_index * sample_us): the same in real and
                          // virtual-time runs
};

class AccessPrimitive {
 public:
  virtual ~AccessPrimitive() = default;
  virtual const char* name() const = 0;

  // Opens what the primitive needs for these targets. Throws EngineError (with a code such as
  // E_PERM or E_UNSUPPORTED) when it cannot run. Called once, before the first sample.
  virtual void attach(OpsKind ops, const std::vector<Target>& targets) = 0;

  // damon_operations->prepare_access_checks for one target: make the page at every region's
  // sampling_addr "old". Returns false when the target is gone (process exited).
  virtual bool prepare_access_checks(size_t target_idx, Target& t, const SampleTime& now) = 0;

  // damon_operations->check_accesses for one target: accessed[i] = 1 when region i's sampling
  // address was accessed since prepare_access_checks. Returns false when the target is gone.
  virtual bool check_accesses(size_t target_idx, Target& t, const SampleTime& now,
                              uint8_t* accessed) = 0;

  // Coarsest spatial resolution of the answers given for a target since the last call, in
  // bytes; 0 when page-exact. Called once per target per aggregation.
  virtual uint64_t granularity_bytes(size_t /*target_idx*/) { return 0; }

  // True when answers do not depend on wall-clock time, so the engine may run without sleeping.
  virtual bool supports_virtual_time() const { return false; }
};

// One entry of a synthetic access pattern: during [t0_ns, t1_ns) (ns since monitoring
// started), each sample of an address in [start, end) is an access with probability p.
// Where entries overlap, the highest p applies.
struct SyntheticEntry {
  double t0_ns;
  double t1_ns;
  uint64_t start;
  uint64_t end;
  double p;
};

std::unique_ptr<AccessPrimitive> make_page_idle(uint64_t page_size);
std::unique_ptr<AccessPrimitive> make_soft_dirty(uint64_t page_size);
std::unique_ptr<AccessPrimitive> make_clear_refs();
std::unique_ptr<AccessPrimitive> make_synthetic(std::vector<SyntheticEntry> entries, uint64_t seed);

// Capability probes. `pid` is the process to monitor (or -1 to check only the machine).
Capability probe_page_idle(OpsKind ops, int pid);
Capability probe_soft_dirty(OpsKind ops, int pid);
Capability probe_clear_refs(OpsKind ops, int pid);
Capability probe_synthetic(OpsKind ops, int pid);

// 1 when the kernel tracks soft-dirty bits (CONFIG_MEM_SOFT_DIRTY), 0 when it does not, -1
// when it cannot tell (code and why then say what failed).
int kernel_tracks_soft_dirty(std::string* code, std::string* why);

// By name: "page_idle", "soft_dirty", "clear_refs", "synthetic". Unknown names are unavailable.
Capability probe_primitive(const std::string& name, OpsKind ops, int pid);

}  // namespace damo
