// SPDX-License-Identifier: GPL-2.0-only
// clear_refs: /proc/PID/clear_refs "1" plus the `Referenced:` field of /proc/PID/smaps.
//
// The only Accessed-bit source a kernel without idle page tracking offers for another process
// (Brendan Gregg's wss.pl uses it). prepare: write "1" to clear_refs; the kernel clears the
// young bit of every present PTE/PMD and PG_referenced of every folio of the process. check:
// read smaps; each mapping's `Referenced:` is the kB of its pages touched since the clear.
//
// "1" does not flush the TLB, and the CPU sets an accessed bit only when it walks the page
// table: an access through a cached translation leaves the bit clear and the page looks idle.
// On the test host that hid 99-100% of a busy process's 8 MiB hot set (docs/NATIVE-ENGINE.md,
// "Why clear_refs missed accesses"). So prepare also writes "4" when the kernel does not track
// soft-dirty bits: there "4" changes no bit and only runs its flush_tlb_mm(), so the next
// access to every page walks the table and sets the bit again. Where the kernel does track
// soft-dirty bits, "4" would write-protect every PTE (a fault per page written after each
// sample) and wipe the soft-dirty state other tools rely on, so there is no flush and the
// estimate stays low for hot sets that fit in the TLB.
//
// smaps answers per mapping, not per page: it says how many bytes of a mapping were
// accessed, not which. The check answers as if those bytes were packed at the start of the
// mapping: a sampling address at offset o of a mapping of S bytes with R referenced bytes is
// "accessed" when o < R. DAMON's regions then converge on one accessed part of R bytes per
// mapping, so working-set sizes and each mapping's accessed fraction are right, while the
// position of the accessed part inside a mapping is not known. granularity_bytes() reports
// the largest mapping the answers covered, so snapshots say how coarse they are. (Answering
// every address with probability R/S instead spreads the fraction over the whole mapping:
// every region gets a noisy rate, nothing merges, the region count explodes, a working-set
// estimate counts the whole mapping, and DAMON's integer merge averages bias it low.)
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
  uint64_t referenced_bytes;
};

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Parses smaps text into (range, Referenced bytes) per mapping.
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
        if (e > s) out.push_back({s, e, 0});
      }
    } else if (le - p > 11 && std::memcmp(p, "Referenced:", 11) == 0 && !out.empty()) {
      const char* q = p + 11;
      while (q < le && *q == ' ') q++;
      uint64_t kb = 0;
      while (q < le && *q >= '0' && *q <= '9') kb = kb * 10 + static_cast<uint64_t>(*q - '0'), q++;
      out.back().referenced_bytes = kb * 1024;
    }
    p = eol ? eol + 1 : end;
  }
}

class ClearRefs final : public AccessPrimitive {
 public:
  ClearRefs() = default;

  const char* name() const override { return "clear_refs"; }

  void attach(OpsKind ops, const std::vector<Target>& targets) override {
    if (ops == OpsKind::paddr)
      throw EngineError("E_USAGE", "clear_refs works on process address spaces only (vaddr or fvaddr), not paddr");
    flush_tlb_ = kernel_tracks_soft_dirty(nullptr, nullptr) == 0;
    per_target_.clear();
    per_target_.resize(targets.size());
    for (size_t i = 0; i < targets.size(); i++) {
      auto& st = per_target_[i];
      st.clear_refs = open_target_file(name(), targets[i].pid, "clear_refs", O_WRONLY);
      st.smaps = open_target_file(name(), targets[i].pid, "smaps", O_RDONLY);
    }
  }

  bool prepare_access_checks(size_t ti, Target&, const SampleTime&) override {
    const int fd = per_target_[ti].clear_refs.get();
    if (!write_clear_refs(name(), fd, '1')) return false;
    return !flush_tlb_ || write_clear_refs(name(), fd, '4');
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
      uint8_t hit = 0;
      if (it != st.vmas.begin()) {
        const VmaRef& v = *(it - 1);
        if (addr < v.end) {
          hit = addr - v.start < v.referenced_bytes ? 1 : 0;
          largest = std::max(largest, v.end - v.start);
        }
      }
      accessed[i] = hit;
    }
    st.granularity = std::max(st.granularity, largest);
    return true;
  }

  uint64_t granularity_bytes(size_t ti) override {
    // Reset once read, so each snapshot gets the figure of its own aggregation interval.
    const uint64_t g = per_target_[ti].granularity;
    per_target_[ti].granularity = 0;
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

  std::vector<PerTarget> per_target_;
  std::string text_;
  bool flush_tlb_ = false;
};

}  // namespace

std::unique_ptr<AccessPrimitive> make_clear_refs() { return std::make_unique<ClearRefs>(); }

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
