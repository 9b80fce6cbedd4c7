// SPDX-License-Identifier: GPL-2.0-only
// Small helpers for the procfs/sysfs files the primitives read and write.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "engine/errors.h"

namespace damo {

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

inline Fd open_fd(const std::string& path, int flags) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return Fd(fd);
}

// pread of exactly `len` bytes; returns the bytes read (short at EOF) or -1 with errno.
inline ssize_t pread_full(int fd, void* buf, size_t len, off_t off) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, static_cast<char*>(buf) + done, len - done, off + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

inline std::string proc_path(int pid, const char* file) {
  return "/proc/" + std::to_string(pid) + "/" + file;
}

// Opens /proc/PID/<file> of a target; failures name the primitive and say why.
inline Fd open_target_file(const char* primitive, int pid, const char* file, int flags) {
  const std::string path = proc_path(pid, file);
  Fd fd = open_fd(path, flags);
  if (!fd.ok()) {
    const int e = errno;
    const char* how = (flags & O_ACCMODE) == O_WRONLY ? " for writing: " : ": ";
    throw EngineError(errno_code(e), std::string(primitive) + ": cannot open " + path + how + errno_text(e));
  }
  return fd;
}

// Writes a /proc/PID/clear_refs command ("1" clears accessed bits, "4" soft-dirty bits).
// Returns false when the target is gone.
inline bool write_clear_refs(const char* primitive, int fd, char command) {
  for (;;) {
    if (::write(fd, &command, 1) == 1) return true;
    if (errno == EINTR) continue;
    if (errno == ESRCH || errno == ENOENT) return false;
    throw EngineError(errno_code(errno), std::string(primitive) + ": writing clear_refs failed: " + errno_text(errno));
  }
}

// /proc/PID/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst).
constexpr uint64_t PM_PFN_MASK = (1ULL << 55) - 1;
constexpr uint64_t PM_SOFT_DIRTY = 1ULL << 55;
constexpr uint64_t PM_SWAP = 1ULL << 62;
constexpr uint64_t PM_PRESENT = 1ULL << 63;

// /proc/kpageflags bits.
constexpr uint64_t KPF_LRU = 1ULL << 5;
constexpr uint64_t KPF_COMPOUND_HEAD = 1ULL << 15;
constexpr uint64_t KPF_COMPOUND_TAIL = 1ULL << 16;
constexpr uint64_t KPF_HUGE = 1ULL << 17;
constexpr uint64_t KPF_NOPAGE = 1ULL << 20;
constexpr uint64_t KPF_THP = 1ULL << 22;

}  // namespace damo
