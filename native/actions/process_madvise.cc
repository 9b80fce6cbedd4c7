// SPDX-License-Identifier: GPL-2.0-only
#include "actions/process_madvise.h"

#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

// Syscall numbers from the unified table (every architecture but alpha), for C libraries
// whose headers predate them.
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif

namespace damo {

namespace {

uint64_t mono_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

long sys_process_madvise(int pidfd, const struct iovec* iov, size_t n, int advice) {
  return ::syscall(SYS_process_madvise, pidfd, iov, n, advice, 0U);
}

// Errors that are about the call, not about one range: every remaining range fails alike.
bool is_global_error(int err) {
  return err == ESRCH || err == EPERM || err == EBADF || err == ENOSYS || err == EACCES;
}

constexpr int kMaxRetries = 3;

}  // namespace

int open_pidfd(int pid) {
  const long fd = ::syscall(SYS_pidfd_open, pid, 0U);
  if (fd < 0) return -errno;
  return static_cast<int>(fd);
}

int probe_process_madvise(int pidfd, int advice) {
  // No ranges: the kernel validates the pidfd, our access to the mm, the advice and the
  // capability, then has nothing to do.
  const long r = sys_process_madvise(pidfd, nullptr, 0, advice);
  return r < 0 ? errno : 0;
}

MadviseBatchResult madvise_ranges(int pidfd, const std::vector<MadviseRange>& ranges, int advice) {
  MadviseBatchResult out;
  out.ranges.resize(ranges.size());
  const size_t n = ranges.size();
#ifdef IOV_MAX
  const size_t iov_max = IOV_MAX;
#else
  const size_t iov_max = 1024;
#endif
  std::vector<struct iovec> iov;
  iov.reserve(std::min(n, iov_max));

  // One range alone, retried on EINTR/EAGAIN: its own result.
  auto single = [&](size_t k) {
    struct iovec v {
      reinterpret_cast<void*>(static_cast<uintptr_t>(ranges[k].start)), static_cast<size_t>(ranges[k].len)
    };
    for (int attempt = 0;; attempt++) {
      const uint64_t t0 = mono_ns();
      const long r = sys_process_madvise(pidfd, &v, 1, advice);
      const int err = r < 0 ? errno : 0;
      out.elapsed_ns += mono_ns() - t0;
      out.nr_syscalls++;
      if (r >= 0 && static_cast<uint64_t>(r) >= ranges[k].len) {
        out.ranges[k] = {ranges[k].len, 0};
        return 0;
      }
      if ((err == EINTR || err == EAGAIN) && attempt < kMaxRetries) continue;
      // A short count for one range cannot happen (a range either completes or fails);
      // treat it as a failure of unknown cause rather than invent bytes.
      out.ranges[k] = {0, r < 0 ? err : EIO};
      return out.ranges[k].err;
    }
  };

  size_t i = 0;
  int retries = 0;
  while (i < n) {
    const size_t batch = std::min(iov_max, n - i);
    iov.clear();
    uint64_t total = 0;
    for (size_t k = i; k < i + batch; k++) {
      iov.push_back({reinterpret_cast<void*>(static_cast<uintptr_t>(ranges[k].start)), static_cast<size_t>(ranges[k].len)});
      total += ranges[k].len;
    }
    const uint64_t t0 = mono_ns();
    const long r = sys_process_madvise(pidfd, iov.data(), iov.size(), advice);
    const int err = r < 0 ? errno : 0;
    out.elapsed_ns += mono_ns() - t0;
    out.nr_syscalls++;
    if (r < 0) {
      if ((err == EINTR || err == EAGAIN) && retries++ < kMaxRetries) continue;
      retries = 0;
      if (is_global_error(err)) {
        for (size_t k = i; k < n; k++) out.ranges[k] = {0, err};
        return out;
      }
      // Nothing completed: the first range failed, with this errno.
      out.ranges[i] = {0, err};
      i++;
      continue;
    }
    retries = 0;
    // The kernel counts whole ranges only: walk the completed prefix.
    uint64_t left = static_cast<uint64_t>(r);
    size_t k = i;
    while (k < i + batch && left >= ranges[k].len) {
      out.ranges[k] = {ranges[k].len, 0};
      left -= ranges[k].len;
      k++;
    }
    if (static_cast<uint64_t>(r) >= total || k >= i + batch) {
      i += batch;
      continue;
    }
    // Range k failed and process_madvise() dropped its errno: ask again for it alone.
    const int e = single(k);
    if (e != 0 && is_global_error(e)) {
      for (size_t m = k + 1; m < n; m++) out.ranges[m] = {0, e};
      return out;
    }
    i = k + 1;
  }
  return out;
}

std::string errno_name(int err) {
  switch (err) {
    case 0: return "OK";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case ENOSYS: return "ENOSYS";
    case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EINTR: return "EINTR";
    case EACCES: return "EACCES";
    case EIO: return "EIO";
    case EBUSY: return "EBUSY";
    case ENOENT: return "ENOENT";
    case EHWPOISON: return "EHWPOISON";
    default: return "E" + std::to_string(err);
  }
}

}  // namespace damo
