// SPDX-License-Identifier: GPL-2.0-only
// DAMOS actions on another process through process_madvise(2) (Linux 5.10+), for online
// application of schemes by the native engine. Plain C++17, no N-API.
//
// What the kernel's vaddr DAMOS does in-kernel (damos_madvise(): do_madvise() on the
// region, success counts the whole length), done from user space:
//   cold -> MADV_COLD (5.10), pageout -> MADV_PAGEOUT (5.10), willneed -> MADV_WILLNEED
//   (remote since 5.15), collapse -> MADV_COLLAPSE (6.1). Other advice is EINVAL for a
//   remote process (mm/madvise.c process_madvise_remote_valid()).
//
// process_madvise() takes up to IOV_MAX ranges per call, stops at the first range that
// fails and returns the bytes of the ranges it completed (a failed range's error is then
// lost). madvise_ranges() batches the ranges, and on a short count re-issues the failed
// range alone to learn its errno, then goes on after it: every range gets its own result.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace damo {

// Advice numbers (include/uapi/asm-generic/mman-common.h), fixed across architectures
// that use the generic values (x86, arm64, riscv, ...).
constexpr int kMadvWillneed = 3;
constexpr int kMadvCold = 20;
constexpr int kMadvPageout = 21;
constexpr int kMadvCollapse = 25;

struct MadviseRange {
  uint64_t start;
  uint64_t len;
};

struct MadviseRangeResult {
  uint64_t bytes = 0;  // len when the advice was applied to the whole range, else 0
  int err = 0;         // errno of the failure, 0 on success
};

struct MadviseBatchResult {
  std::vector<MadviseRangeResult> ranges;  // one per input range, same order
  uint64_t elapsed_ns = 0;                 // CLOCK_MONOTONIC time spent in the syscalls
  uint32_t nr_syscalls = 0;
};

// pidfd_open(pid, 0): the fd, or -errno (ENOSYS before 5.3, ESRCH for no such process).
int open_pidfd(int pid);

// Whether this kernel accepts `advice` for the process behind `pidfd` from us: a
// process_madvise() with no ranges goes through every check (pidfd, ptrace access,
// remote-valid advice, CAP_SYS_NICE) and does nothing. 0, or the errno: ENOSYS (no
// process_madvise: Linux < 5.10 or CONFIG_ADVISE_SYSCALLS=n), EINVAL (advice not allowed
// for another process on this kernel), EPERM (no CAP_SYS_NICE or no ptrace access), ESRCH
// (the process is gone), EBADF.
int probe_process_madvise(int pidfd, int advice);

// Applies `advice` to every range. Ranges must be page aligned; they are processed in
// order, IOV_MAX at a time. EINTR/EAGAIN retry the same ranges (a bounded number of times).
MadviseBatchResult madvise_ranges(int pidfd, const std::vector<MadviseRange>& ranges, int advice);

// "EINVAL"-style name of an errno value.
std::string errno_name(int err);

}  // namespace damo
