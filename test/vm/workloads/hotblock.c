// SPDX-License-Identifier: GPL-2.0-only
// hotblock: a workload of known access shape for the VM suite.
//
// Maps TOTAL MiB of anonymous memory, touches every page once (so the whole mapping is
// resident), then keeps touching only one HOT MiB block of it, page by page, in passes.
// Every PERIOD seconds the hot block jumps to another slot (slots visited with a stride of 3
// so consecutive blocks are not adjacent). Each move is appended to the timeline file, which
// is the ground truth a recording is checked against:
//
//   # hotblock pid=<pid> total_bytes=<n> hot_bytes=<n> period_s=<n> mode=<write|read>
//   mapping <start> <end>                       (decimal addresses, [start, end))
//   hot <monotonic_ns> <realtime_ns> <start> <end>
//   end <monotonic_ns> <realtime_ns>            (on a clean exit: duration over or SIGTERM)
//
// Built statically on the host (test/vm/build-initramfs.sh); runs inside the VM.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static uint64_t now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(void) {
  fprintf(stderr,
          "usage: hotblock [--total-mib N] [--hot-mib N] [--period-s N] [--duration-s N]\n"
          "                [--timeline FILE] [--mode write|read] [--pass-sleep-us N]\n"
          "                [--first-slot N] [--thp]\n"
          "  defaults: 512 MiB mapping, 64 MiB hot block moving every 3 s, run until SIGTERM,\n"
          "  timeline to stdout, writes (so soft-dirty sees the hot block), 1000 us between passes\n");
  exit(2);
}

int main(int argc, char **argv) {
  unsigned long total_mib = 512, hot_mib = 64, first_slot = 0;
  double period_s = 3, duration_s = 0;
  long pass_sleep_us = 1000;
  const char *timeline_path = NULL;
  int write_mode = 1, thp = 0;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--thp")) { thp = 1; continue; }
    if (!v) usage();
    if (!strcmp(a, "--total-mib")) total_mib = strtoul(v, NULL, 0);
    else if (!strcmp(a, "--hot-mib")) hot_mib = strtoul(v, NULL, 0);
    else if (!strcmp(a, "--period-s")) period_s = strtod(v, NULL);
    else if (!strcmp(a, "--duration-s")) duration_s = strtod(v, NULL);
    else if (!strcmp(a, "--timeline")) timeline_path = v;
    else if (!strcmp(a, "--pass-sleep-us")) pass_sleep_us = strtol(v, NULL, 0);
    else if (!strcmp(a, "--first-slot")) first_slot = strtoul(v, NULL, 0);
    else if (!strcmp(a, "--mode")) {
      if (!strcmp(v, "write")) write_mode = 1;
      else if (!strcmp(v, "read")) write_mode = 0;
      else usage();
    } else usage();
    i++;
  }
  if (hot_mib == 0 || total_mib < hot_mib || total_mib % hot_mib != 0) {
    fprintf(stderr, "hotblock: --total-mib must be a positive multiple of --hot-mib\n");
    return 2;
  }

  FILE *tl = stdout;
  if (timeline_path && !(tl = fopen(timeline_path, "w"))) {
    fprintf(stderr, "hotblock: cannot open %s: %s\n", timeline_path, strerror(errno));
    return 1;
  }
  setvbuf(tl, NULL, _IOLBF, 0);

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t total = total_mib << 20, hot = hot_mib << 20;
  const unsigned long nr_slots = total_mib / hot_mib;
  unsigned char *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    fprintf(stderr, "hotblock: mmap %zu bytes: %s\n", total, strerror(errno));
    return 1;
  }
  // 4 KiB pages unless asked: the checks count pages, and THP would make them 2 MiB units.
  madvise(base, total, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  for (size_t off = 0; off < total; off += page) base[off] = 1;

  fprintf(tl, "# hotblock pid=%d total_bytes=%zu hot_bytes=%zu period_s=%g mode=%s\n", getpid(), total,
          hot, period_s, write_mode ? "write" : "read");
  fprintf(tl, "mapping %lu %lu\n", (unsigned long)base, (unsigned long)(base + total));

  const uint64_t start_ns = now_ns(CLOCK_MONOTONIC);
  const uint64_t period_ns = (uint64_t)(period_s * 1e9), duration_ns = (uint64_t)(duration_s * 1e9);
  unsigned long step = 0;
  uint64_t next_move_ns = 0;
  unsigned char *hot_start = base;
  volatile unsigned char sink = 0;

  while (!stop_requested) {
    uint64_t t = now_ns(CLOCK_MONOTONIC);
    if (duration_ns && t - start_ns >= duration_ns) break;
    if (t >= next_move_ns) {
      unsigned long slot = (first_slot + step * 3) % nr_slots;
      hot_start = base + slot * hot;
      fprintf(tl, "hot %llu %llu %lu %lu\n", (unsigned long long)t,
              (unsigned long long)now_ns(CLOCK_REALTIME), (unsigned long)hot_start,
              (unsigned long)(hot_start + hot));
      step++;
      next_move_ns = period_ns ? t + period_ns : UINT64_MAX;
    }
    if (write_mode) {
      for (size_t off = 0; off < hot; off += page) hot_start[off]++;
    } else {
      for (size_t off = 0; off < hot; off += page) sink += hot_start[off];
    }
    if (pass_sleep_us > 0) usleep((useconds_t)pass_sleep_us);
  }
  fprintf(tl, "end %llu %llu\n", (unsigned long long)now_ns(CLOCK_MONOTONIC),
          (unsigned long long)now_ns(CLOCK_REALTIME));
  (void)sink;
  return 0;
}
