// SPDX-License-Identifier: GPL-2.0-only
// soft_dirty: soft-dirty bits (Documentation/admin-guide/mm/soft-dirty.rst).
//
// prepare: write "4" to /proc/PID/clear_refs. The kernel clears the soft-dirty bit of every
// PTE of the process and write-protects it (with a TLB flush), so the next write to each page
// faults and sets the bit again. check: read bit 55 of the pagemap entry at each sampling
// address. It sees writes only (reads never fault), and one clear covers the whole process
// per sample, whatever the number of regions. Needs CONFIG_MEM_SOFT_DIRTY.
#include <sys/mman.h>

#include <cstring>
#include <memory>
#include <vector>

#include "access/primitive.h"
#include "access/procfs.h"
#include "engine/errors.h"

namespace damo {

namespace {

class SoftDirty final : public AccessPrimitive {
 public:
  explicit SoftDirty(uint64_t page_size) : page_size_(page_size) {}

  const char* name() const override { return "soft_dirty"; }

  void attach(OpsKind ops, const std::vector<Target>& targets) override {
    if (ops == OpsKind::paddr)
      throw EngineError("E_USAGE", "soft_dirty works on process address spaces only (vaddr or fvaddr), not paddr");
    per_target_.clear();
    per_target_.resize(targets.size());
    for (size_t i = 0; i < targets.size(); i++) {
      auto& st = per_target_[i];
      st.clear_refs = open_target_file(name(), targets[i].pid, "clear_refs", O_WRONLY);
      st.pagemap = open_target_file(name(), targets[i].pid, "pagemap", O_RDONLY);
    }
  }

  bool prepare_access_checks(size_t ti, Target&, const SampleTime&) override {
    return write_clear_refs(name(), per_target_[ti].clear_refs.get(), '4');
  }

  bool check_accesses(size_t ti, Target& t, const SampleTime&, uint8_t* accessed) override {
    auto& st = per_target_[ti];
    for (size_t i = 0; i < t.regions.size(); i++) {
      uint64_t e = 0;
      const ssize_t n = pread_full(st.pagemap.get(), &e, 8,
                                   static_cast<off_t>(t.regions[i].sampling_addr / page_size_ * 8));
      if (n != 8) {
        if (n < 0 && errno != ESRCH && errno != ENOENT && errno != EIO)
          throw EngineError(errno_code(errno), "soft_dirty: reading pagemap failed: " + errno_text(errno));
        return false;
      }
      // pagemap reports an unpopulated page of a VMA that still carries VM_SOFTDIRTY (a
      // mapping created after the last clear) as soft-dirty too: only a page that is in
      // memory or in swap can have been written (fs/proc/task_mmu.c: pagemap_pte_hole sets
      // PM_SOFT_DIRTY for holes of such a VMA).
      accessed[i] = (e & PM_SOFT_DIRTY) && (e & (PM_PRESENT | PM_SWAP)) ? 1 : 0;
    }
    return true;
  }

 private:
  struct PerTarget {
    Fd clear_refs;
    Fd pagemap;
  };
  uint64_t page_size_;
  std::vector<PerTarget> per_target_;
};

}  // namespace

std::unique_ptr<AccessPrimitive> make_soft_dirty(uint64_t page_size) {
  return std::make_unique<SoftDirty>(page_size);
}

int kernel_tracks_soft_dirty(std::string* code, std::string* why) {
  // A freshly mapped and written page is soft-dirty (new VMAs carry VM_SOFTDIRTY) when the
  // kernel tracks soft-dirty bits at all; without CONFIG_MEM_SOFT_DIRTY bit 55 is never set.
  const long page = ::sysconf(_SC_PAGESIZE);
  void* mem = ::mmap(nullptr, static_cast<size_t>(page), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    if (code) *code = "E_INTERNAL";
    if (why) *why = "cannot map a probe page: " + errno_text(errno);
    return -1;
  }
  std::memset(mem, 1, static_cast<size_t>(page));
  uint64_t e = 0;
  Fd pm = open_fd("/proc/self/pagemap", O_RDONLY);
  const bool read_ok =
      pm.ok() && pread_full(pm.get(), &e, 8,
                            static_cast<off_t>(reinterpret_cast<uintptr_t>(mem) / static_cast<uint64_t>(page) * 8)) == 8;
  const int read_errno = errno;
  ::munmap(mem, static_cast<size_t>(page));
  if (!read_ok) {
    if (code) *code = errno_code(read_errno);
    if (why) *why = "cannot read /proc/self/pagemap: " + errno_text(read_errno);
    return -1;
  }
  return (e & PM_SOFT_DIRTY) ? 1 : 0;
}

Capability probe_soft_dirty(OpsKind ops, int pid) {
  Capability cap;
  if (ops == OpsKind::paddr) {
    cap.code = "E_USAGE";
    cap.reason = "soft-dirty bits belong to process page tables; use vaddr or fvaddr";
    return cap;
  }
  const int tracks = kernel_tracks_soft_dirty(&cap.code, &cap.reason);
  if (tracks < 0) return cap;
  if (tracks == 0) {
    cap.code = "E_UNSUPPORTED";
    cap.reason =
        "this kernel does not track soft-dirty bits (CONFIG_MEM_SOFT_DIRTY is not set: pagemap bit 55 "
        "stays clear on a freshly written page)";
    return cap;
  }
  if (pid > 0) {
    Fd cr = open_fd(proc_path(pid, "clear_refs"), O_WRONLY);
    if (!cr.ok()) {
      cap.code = errno_code(errno);
      cap.reason = "cannot open /proc/" + std::to_string(pid) + "/clear_refs for writing: " + errno_text(errno) +
                   " (it is writable by the process's owner or root)";
      return cap;
    }
  }
  cap.available = true;
  return cap;
}

}  // namespace damo
