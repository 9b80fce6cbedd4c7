// SPDX-License-Identifier: GPL-2.0-only
// page_idle: idle page tracking (Documentation/admin-guide/mm/idle_page_tracking.rst).
//
// prepare: find the PFN behind each sampling address (pagemap for vaddr/fvaddr; the address
// itself for paddr), resolve it to the head PFN of its folio through /proc/kpageflags, and
// set that page's bit in /sys/kernel/mm/page_idle/bitmap (the kernel clears the page's young
// bits in every mapping and sets PG_idle). check: read the bit back; the kernel re-checks the
// PTEs through rmap first, so a cleared bit means "accessed since prepare". This is what
// DAMON's own mkold/young pair does (pte_young || !folio_test_idle), seen from user space.
//
// Details that matter:
// - The bitmap is u64 words: PFN i is bit i%64 of word i/64; reads and writes must be 8-byte
//   aligned. A write ORs, so writing a word with one bit set marks just that page.
// - Only LRU pages are tracked; others are ignored on write and read back as "not idle",
//   which would look like an access. Like the kernel's damon_get_folio(), pages that are not
//   on the LRU (hugetlb, kernel memory, free pages under paddr) count as not accessed.
// - Large folios keep PG_idle on the head page only and tail PFNs are ignored, so tail PFNs
//   are mapped to their head: folios are naturally aligned, so the head is the nearest
//   COMPOUND_HEAD at or below the PFN within the PMD-sized block.
// - A page that was not present at prepare but is at check was faulted in during the
//   interval, i.e. accessed; the kernel sees that as a young PTE.
#include <sys/mman.h>

#include <memory>
#include <vector>

#include "access/primitive.h"
#include "access/procfs.h"
#include "engine/errors.h"

namespace damo {

namespace {

constexpr uint64_t NO_PFN = ~0ULL;
constexpr const char* BITMAP_PATH = "/sys/kernel/mm/page_idle/bitmap";

class PageIdle final : public AccessPrimitive {
 public:
  explicit PageIdle(uint64_t page_size) : page_size_(page_size), pmd_pages_((2ULL << 20) / page_size) {}

  const char* name() const override { return "page_idle"; }

  void attach(OpsKind ops, const std::vector<Target>& targets) override {
    ops_ = ops;
    bitmap_ = open_fd(BITMAP_PATH, O_RDWR);
    if (!bitmap_.ok()) {
      const int e = errno;
      if (e == ENOENT)
        throw EngineError("E_UNSUPPORTED",
                          "page_idle: this kernel has no idle page tracking (CONFIG_IDLE_PAGE_TRACKING "
                          "is not set; /sys/kernel/mm/page_idle/bitmap does not exist)");
      throw EngineError(errno_code(e), std::string("page_idle: cannot open ") + BITMAP_PATH +
                                           ": " + errno_text(e) + " (it is root-only)");
    }
    kpageflags_ = open_fd("/proc/kpageflags", O_RDONLY);
    if (!kpageflags_.ok()) {
      const int e = errno;
      throw EngineError(errno_code(e), "page_idle: cannot open /proc/kpageflags: " + errno_text(e) +
                                           " (needs root)");
    }
    per_target_.clear();
    per_target_.resize(targets.size());
    if (ops_ != OpsKind::paddr) {
      for (size_t i = 0; i < targets.size(); i++) {
        const std::string path = proc_path(targets[i].pid, "pagemap");
        per_target_[i].pagemap = open_fd(path, O_RDONLY);
        if (!per_target_[i].pagemap.ok()) {
          const int e = errno;
          throw EngineError(errno_code(e), "page_idle: cannot open " + path + ": " + errno_text(e));
        }
      }
    }
  }

  bool prepare_access_checks(size_t ti, Target& t, const SampleTime&) override {
    auto& st = per_target_[ti];
    const size_t n = t.regions.size();
    st.entries.resize(n);
    st.heads.resize(n);
    uint64_t last_written = NO_PFN;
    for (size_t i = 0; i < n; i++) {
      uint64_t pfn;
      if (ops_ == OpsKind::paddr) {
        pfn = t.regions[i].sampling_addr / page_size_;
        st.entries[i] = 0;
      } else {
        uint64_t e;
        if (!read_pagemap(st, t.regions[i].sampling_addr, e)) return false;
        st.entries[i] = e;
        pfn = (e & PM_PRESENT) ? (e & PM_PFN_MASK) : NO_PFN;
      }
      const uint64_t head = pfn == NO_PFN ? NO_PFN : head_pfn(pfn);
      st.heads[i] = head;
      // Regions sampling the same folio in a row share one mark, like the kernel's reuse of
      // the last checked folio.
      if (head != NO_PFN && head != last_written) {
        set_idle(head);
        last_written = head;
      }
    }
    return true;
  }

  bool check_accesses(size_t ti, Target& t, const SampleTime&, uint8_t* accessed) override {
    auto& st = per_target_[ti];
    const size_t n = t.regions.size();
    uint64_t cached_word_off = NO_PFN, cached_word = 0;
    for (size_t i = 0; i < n; i++) {
      uint64_t head = i < st.heads.size() ? st.heads[i] : NO_PFN;
      if (ops_ != OpsKind::paddr) {
        uint64_t now;
        if (!read_pagemap(st, t.regions[i].sampling_addr, now)) return false;
        const uint64_t before = i < st.entries.size() ? st.entries[i] : 0;
        if (!(now & PM_PRESENT)) {
          accessed[i] = 0;
          continue;
        }
        if (!(before & PM_PRESENT) || (before & PM_PFN_MASK) != (now & PM_PFN_MASK)) {
          accessed[i] = 1;  // faulted in (or swapped in) during the interval
          continue;
        }
      }
      if (head == NO_PFN) {
        accessed[i] = 0;
        continue;
      }
      const uint64_t off = head / 64 * 8;
      if (off != cached_word_off) {
        if (pread_full(bitmap_.get(), &cached_word, 8, static_cast<off_t>(off)) != 8) {
          accessed[i] = 0;
          cached_word_off = NO_PFN;
          continue;
        }
        cached_word_off = off;
      }
      accessed[i] = (cached_word >> (head % 64)) & 1 ? 0 : 1;
    }
    return true;
  }

 private:
  struct PerTarget {
    Fd pagemap;
    std::vector<uint64_t> entries;  // pagemap entry at prepare
    std::vector<uint64_t> heads;    // head PFN marked idle at prepare, or NO_PFN
  };

  bool read_pagemap(PerTarget& st, uint64_t addr, uint64_t& entry) {
    const ssize_t n = pread_full(st.pagemap.get(), &entry, 8, static_cast<off_t>(addr / page_size_ * 8));
    if (n == 8) return true;
    if (n < 0 && errno != ESRCH && errno != ENOENT && errno != EIO)
      throw EngineError(errno_code(errno), "page_idle: reading pagemap failed: " + errno_text(errno));
    return false;  // the target's mm is gone
  }

  bool kpageflags(uint64_t pfn, uint64_t& flags) {
    return pread_full(kpageflags_.get(), &flags, 8, static_cast<off_t>(pfn * 8)) == 8;
  }

  // Head PFN of the LRU folio holding `pfn`, or NO_PFN when page_idle cannot track it.
  uint64_t head_pfn(uint64_t pfn) {
    uint64_t flags;
    if (!kpageflags(pfn, flags) || (flags & KPF_NOPAGE)) return NO_PFN;
    uint64_t head = pfn;
    if (flags & KPF_COMPOUND_TAIL) {
      const uint64_t block = pfn / pmd_pages_ * pmd_pages_;
      const size_t count = static_cast<size_t>(pfn - block + 1);
      block_flags_.resize(count);
      if (pread_full(kpageflags_.get(), block_flags_.data(), count * 8, static_cast<off_t>(block * 8)) !=
          static_cast<ssize_t>(count * 8))
        return NO_PFN;
      head = NO_PFN;
      for (size_t k = count; k-- > 0;) {
        if (block_flags_[k] & KPF_COMPOUND_HEAD) {
          head = block + k;
          flags = block_flags_[k];
          break;
        }
      }
      if (head == NO_PFN) return NO_PFN;  // a folio larger than a PMD (hugetlb): not LRU anyway
    }
    if (!(flags & KPF_LRU)) return NO_PFN;
    return head;
  }

  void set_idle(uint64_t pfn) {
    const uint64_t word = 1ULL << (pfn % 64);
    // -ENXIO past max_pfn and -EINVAL are "cannot track", not fatal.
    (void)!::pwrite(bitmap_.get(), &word, 8, static_cast<off_t>(pfn / 64 * 8));
  }

  uint64_t page_size_;
  uint64_t pmd_pages_;
  OpsKind ops_ = OpsKind::vaddr;
  Fd bitmap_;
  Fd kpageflags_;
  std::vector<PerTarget> per_target_;
  std::vector<uint64_t> block_flags_;
};

}  // namespace

std::unique_ptr<AccessPrimitive> make_page_idle(uint64_t page_size) {
  return std::make_unique<PageIdle>(page_size);
}

Capability probe_page_idle(OpsKind ops, int pid) {
  Capability cap;
  if (::access(BITMAP_PATH, F_OK) != 0) {
    cap.code = "E_UNSUPPORTED";
    cap.reason =
        "this kernel has no idle page tracking: /sys/kernel/mm/page_idle/bitmap does not exist "
        "(needs CONFIG_IDLE_PAGE_TRACKING=y)";
    return cap;
  }
  Fd bitmap = open_fd(BITMAP_PATH, O_RDWR);
  if (!bitmap.ok()) {
    cap.code = errno_code(errno);
    cap.reason = std::string("cannot open /sys/kernel/mm/page_idle/bitmap for reading and writing: ") +
                 errno_text(errno) + " (it is root-only; run as root)";
    return cap;
  }
  Fd kpf = open_fd("/proc/kpageflags", O_RDONLY);
  if (!kpf.ok()) {
    cap.code = errno_code(errno);
    cap.reason = "cannot read /proc/kpageflags: " + errno_text(errno) + " (needs root)";
    return cap;
  }
  if (ops != OpsKind::paddr) {
    // pagemap zeroes PFNs for readers without CAP_SYS_ADMIN (since Linux 4.2).
    static volatile uint64_t probe_word = 1;
    probe_word = probe_word + 1;
    Fd pm = open_fd("/proc/self/pagemap", O_RDONLY);
    uint64_t e = 0;
    const long page = ::sysconf(_SC_PAGESIZE);
    const uint64_t addr = reinterpret_cast<uintptr_t>(&probe_word);
    if (!pm.ok() || pread_full(pm.get(), &e, 8, static_cast<off_t>(addr / static_cast<uint64_t>(page) * 8)) != 8) {
      cap.code = errno_code(errno);
      cap.reason = "cannot read /proc/self/pagemap: " + errno_text(errno);
      return cap;
    }
    if ((e & PM_PRESENT) && (e & PM_PFN_MASK) == 0) {
      cap.code = "E_PERM";
      cap.reason = "/proc/PID/pagemap hides page frame numbers from this process (needs CAP_SYS_ADMIN)";
      return cap;
    }
    if (pid > 0) {
      Fd tpm = open_fd(proc_path(pid, "pagemap"), O_RDONLY);
      if (!tpm.ok()) {
        cap.code = errno_code(errno);
        cap.reason = "cannot open /proc/" + std::to_string(pid) + "/pagemap: " + errno_text(errno);
        return cap;
      }
    }
  }
  cap.available = true;
  return cap;
}

}  // namespace damo
