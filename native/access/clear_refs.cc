// clear_refs: /proc/PID/clear_refs "1" plus the `Referenced:` field of /proc/PID/smaps.
//
// The only Accessed-bit source a kernel without idle page tracking offers for another process
// (Brendan Gregg's wss.pl uses it). prepare: write "1" to clear_refs; the kernel clears the
// young bit of every present PTE/PMD and PG_referenced of every folio of the process. check:
// read smaps; each mapping's `Referenced:` is the kB of its pages touched since the clear.
//
// smaps answers per mapping, not per page. A mapping with R referenced bytes out of S has
// fraction f = R / S of its bytes accessed, so a random address in it was accessed with
// probability f. The check answers each region's sampling address with exactly that
// probability (a seeded Bernoulli draw). Over an aggregation interval a region's nr_accesses
// then has the same expectation DAMON's per-page check would give if the accessed pages
// were spread evenly over the mapping; where in the mapping they are is unknown, and
// granularity_bytes() reports the largest mapping size so consumers can tell.
//
// Costs: clearing walks every page table of the process under the mmap write lock (the
// target stalls on faults meanwhile), and smaps walks them again: both grow with the
// process's resident size (about 14 ms and 11 ms per GiB measured), once per sample.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "access/primitive.h"
#include "access/procfs.h"
#include "engine/errors.h"

namespace damo {

namespace {

struct VmaRef {
  uint64_t start;
  uint64_t end;
  double fraction;
};

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Parses smaps text into (range, Referenced fraction) per mapping.
void parse_smaps_referenced(const std::string& text, std::vector<VmaRef>& out) {
  out.clear();
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    const char* eol = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* le = eol ? eol : end;
    if (is_hex(*p)) {
      uint64_t s = 0, e = 0;
      const char* q = p;
      while (q < le && is_hex(*q)) s = s * 16 + static_cast<uint64_t>(*q <= '9' ? *q - '0' : *q - 'a' + 10), q++;
      if (q < le && *q == '-') {
        q++;
        while (q < le && is_hex(*q)) e = e * 16 + static_cast<uint64_t>(*q <= '9' ? *q - '0' : *q - 'a' + 10), q++;
        if (e > s) out.push_back({s, e, 0.0});
      }
    } else if (le - p > 11 && std::memcmp(p, "Referenced:", 11) == 0 && !out.empty()) {
      const char* q = p + 11;
      while (q < le && *q == ' ') q++;
      uint64_t kb = 0;
      while (q < le && *q >= '0' && *q <= '9') kb = kb * 10 + static_cast<uint64_t>(*q - '0'), q++;
      VmaRef& v = out.back();
      const double f = static_cast<double>(kb * 1024) / static_cast<double>(v.end - v.start);
      v.fraction = f > 1.0 ? 1.0 : f;
    }
    p = eol ? eol + 1 : end;
  }
}

class ClearRefs final : public AccessPrimitive {
 public:
  explicit ClearRefs(uint64_t seed) : rng_(seed ^ 0x636c6561725f7266ULL) {}

  const char* name() const override { return "clear_refs"; }

  void attach(OpsKind ops, const std::vector<Target>& targets) override {
    if (ops == OpsKind::paddr)
      throw EngineError("E_USAGE", "clear_refs works on process address spaces only (vaddr or fvaddr), not paddr");
    per_target_.clear();
    per_target_.resize(targets.size());
    for (size_t i = 0; i < targets.size(); i++) {
      auto& st = per_target_[i];
      const std::string cr = proc_path(targets[i].pid, "clear_refs");
      st.clear_refs = open_fd(cr, O_WRONLY);
      if (!st.clear_refs.ok()) {
        const int e = errno;
        throw EngineError(errno_code(e), "clear_refs: cannot open " + cr + " for writing: " + errno_text(e));
      }
      const std::string sm = proc_path(targets[i].pid, "smaps");
      st.smaps = open_fd(sm, O_RDONLY);
      if (!st.smaps.ok()) {
        const int e = errno;
        throw EngineError(errno_code(e), "clear_refs: cannot open " + sm + ": " + errno_text(e));
      }
    }
  }

  bool prepare_access_checks(size_t ti, Target&, const SampleTime&) override {
    auto& st = per_target_[ti];
    for (;;) {
      if (::write(st.clear_refs.get(), "1", 1) == 1) return true;
      if (errno == EINTR) continue;
      if (errno == ESRCH || errno == ENOENT) return false;
      throw EngineError(errno_code(errno), "clear_refs: writing clear_refs failed: " + errno_text(errno));
    }
  }

  bool check_accesses(size_t ti, Target& t, const SampleTime&, uint8_t* accessed) override {
    auto& st = per_target_[ti];
    if (!read_smaps(st)) return false;
    parse_smaps_referenced(text_, st.vmas);
    if (st.vmas.empty()) return false;  // an exited process has no mappings
    uint64_t largest = 0;
    for (size_t i = 0; i < t.regions.size(); i++) {
      const uint64_t addr = t.regions[i].sampling_addr;
      auto it = std::upper_bound(st.vmas.begin(), st.vmas.end(), addr,
                                 [](uint64_t a, const VmaRef& v) { return a < v.start; });
      double f = 0.0;
      if (it != st.vmas.begin()) {
        const VmaRef& v = *(it - 1);
        if (addr < v.end) {
          f = v.fraction;
          largest = std::max(largest, v.end - v.start);
        }
      }
      accessed[i] = f >= 1.0 ? 1 : (f > 0.0 && rng_.next_double() < f ? 1 : 0);
    }
    st.granularity = std::max(st.granularity, largest);
    return true;
  }

  uint64_t granularity_bytes(size_t ti) const override {
    // Reported per aggregation: reset once read so each snapshot gets its own figure.
    auto& st = const_cast<PerTarget&>(per_target_[ti]);
    const uint64_t g = st.granularity;
    st.granularity = 0;
    return g;
  }

 private:
  struct PerTarget {
    Fd clear_refs;
    Fd smaps;
    std::vector<VmaRef> vmas;
    uint64_t granularity = 0;
  };

  bool read_smaps(PerTarget& st) {
    text_.clear();
    if (::lseek(st.smaps.get(), 0, SEEK_SET) < 0) return false;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(st.smaps.get(), buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == ESRCH || errno == ENOENT || errno == EIO) return false;
        throw EngineError(errno_code(errno), "clear_refs: reading smaps failed: " + errno_text(errno));
      }
      if (n == 0) break;
      text_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  Rng rng_;
  std::vector<PerTarget> per_target_;
  std::string text_;
};

}  // namespace

std::unique_ptr<AccessPrimitive> make_clear_refs(uint64_t seed) { return std::make_unique<ClearRefs>(seed); }

Capability probe_clear_refs(OpsKind ops, int pid) {
  Capability cap;
  if (ops == OpsKind::paddr) {
    cap.code = "E_USAGE";
    cap.reason = "clear_refs and smaps describe one process; use vaddr or fvaddr";
    return cap;
  }
  const std::string who = pid > 0 ? std::to_string(pid) : "self";
  Fd cr = open_fd("/proc/" + who + "/clear_refs", O_WRONLY);
  if (!cr.ok()) {
    cap.code = errno_code(errno);
    cap.reason = "cannot open /proc/" + who + "/clear_refs for writing: " + errno_text(errno) +
                 " (it is writable by the process's owner or root)";
    return cap;
  }
  std::string text;
  Fd sm = open_fd("/proc/" + who + "/smaps", O_RDONLY);
  if (!sm.ok()) {
    cap.code = errno_code(errno);
    cap.reason = "cannot open /proc/" + who + "/smaps: " + errno_text(errno);
    return cap;
  }
  char buf[8192];
  const ssize_t n = ::read(sm.get(), buf, sizeof(buf));
  if (n > 0) text.assign(buf, static_cast<size_t>(n));
  if (n > 0 && text.find("\nReferenced:") == std::string::npos) {
    cap.code = "E_UNSUPPORTED";
    cap.reason = "/proc/" + who + "/smaps has no Referenced: field";
    return cap;
  }
  cap.available = true;
  return cap;
}

}  // namespace damo
