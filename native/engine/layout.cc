// SPDX-License-Identifier: GPL-2.0-only
#include "engine/layout.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace damo {

namespace {

bool parse_hex(const char*& p, const char* end, uint64_t& out) {
  const char* start = p;
  uint64_t v = 0;
  while (p < end) {
    const char ch = *p;
    int d;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    else if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
    else break;
    v = v * 16 + static_cast<uint64_t>(d);
    p++;
  }
  out = v;
  return p != start;
}

void skip_spaces(const char*& p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t')) p++;
}

std::string word(const char*& p, const char* end) {
  skip_spaces(p, end);
  const char* s = p;
  while (p < end && *p != ' ' && *p != '\t') p++;
  return std::string(s, p);
}

}  // namespace

std::vector<Vma> parse_proc_maps(const std::string& text) {
  std::vector<Vma> out;
  const char* p = text.data();
  const char* const text_end = p + text.size();
  while (p < text_end) {
    const char* eol = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(text_end - p)));
    const char* end = eol ? eol : text_end;
    Vma v{};
    const char* q = p;
    if (parse_hex(q, end, v.start) && q < end && *q == '-' && parse_hex(++q, end, v.end) &&
        v.end > v.start) {
      v.perms = word(q, end);
      skip_spaces(q, end);
      parse_hex(q, end, v.offset);
      word(q, end);  // dev
      word(q, end);  // inode
      skip_spaces(q, end);
      v.pathname.assign(q, end);
      if (v.pathname != "[vsyscall]") out.push_back(std::move(v));
    }
    p = eol ? eol + 1 : text_end;
  }
  return out;
}

std::vector<AddrRange> vma_ranges(const std::vector<Vma>& vmas) {
  std::vector<AddrRange> out;
  out.reserve(vmas.size());
  for (const auto& v : vmas) out.push_back({v.start, v.end});
  return out;
}

bool read_text_file(const std::string& path, std::string& out) {
  out.clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      errno = e;
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

bool read_proc_maps(int pid, std::vector<Vma>& out) {
  std::string text;
  if (!read_text_file("/proc/" + std::to_string(pid) + "/maps", text)) return false;
  out = parse_proc_maps(text);
  return true;
}

std::vector<AddrRange> parse_iomem_system_ram(const std::string& text) {
  std::vector<AddrRange> out;
  const char* p = text.data();
  const char* const text_end = p + text.size();
  while (p < text_end) {
    const char* eol = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(text_end - p)));
    const char* end = eol ? eol : text_end;
    // Nested resources are indented; System RAM resources that walk_system_ram_res() visits
    // are top level.
    if (p < end && *p != ' ') {
      const char* q = p;
      uint64_t s = 0, e = 0;
      if (parse_hex(q, end, s) && q < end && *q == '-' && parse_hex(++q, end, e)) {
        skip_spaces(q, end);
        if (q < end && *q == ':') {
          q++;
          skip_spaces(q, end);
          const std::string name(q, end);
          if (name == "System RAM" && e > s) out.push_back({s, e + 1});
        }
      }
    }
    p = eol ? eol + 1 : text_end;
  }
  return out;
}

bool damon_find_biggest_system_ram(const std::vector<AddrRange>& ram, AddrRange& out) {
  bool found = false;
  for (const auto& r : ram) {
    if (!found || r.end - r.start > out.end - out.start) {
      out = r;
      found = true;
    }
  }
  return found;
}

}  // namespace damo
