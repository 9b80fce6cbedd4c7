// SPDX-License-Identifier: GPL-2.0-only
// Address-space layouts read from procfs: a process's mappings (/proc/PID/maps) for vaddr
// targets and the System RAM ranges (/proc/iomem) for paddr targets. Plain C++17.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/damon.h"

namespace damo {

struct Vma {
  uint64_t start;
  uint64_t end;
  std::string perms;     // "rw-p"
  uint64_t offset;
  std::string pathname;  // "" for anonymous mappings, "[heap]", "/usr/lib/..."
};

// Parses the text of /proc/PID/maps. The gate area ("[vsyscall]") is not part of the
// process's VMA tree, which the kernel's three-regions walk iterates, so it is skipped.
std::vector<Vma> parse_proc_maps(const std::string& text);

// Ranges of the mappings (sorted, as maps lists them).
std::vector<AddrRange> vma_ranges(const std::vector<Vma>& vmas);

// Reads /proc/PID/maps. Returns false with errno set when the file cannot be read.
bool read_proc_maps(int pid, std::vector<Vma>& out);

// Top-level "System RAM" resources of /proc/iomem, as [start, end) (iomem prints inclusive
// ends). Unprivileged readers see zeros; those lines are dropped, so the result is empty.
std::vector<AddrRange> parse_iomem_system_ram(const std::string& text);

// The biggest System RAM range, as damon_set_region_biggest_system_ram_default() chooses.
// Returns false when there is none.
bool damon_find_biggest_system_ram(const std::vector<AddrRange>& ram, AddrRange& out);

// Reads a whole (proc) file into `out`; false with errno set on failure.
bool read_text_file(const std::string& path, std::string& out);

}  // namespace damo
