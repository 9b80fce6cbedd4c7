// SPDX-License-Identifier: GPL-2.0-only
// vmprobe: low-level page-state probes the VM scenarios use to establish ground truth
// independently of damo-ts. Every subcommand prints one line of key=value pairs.
//
//   vmprobe pagemap PID START END      pages present swapped softdirty exclusive (pagemap bits)
//   vmprobe idle-mark PID START END    mark the present pages' PFNs idle (page_idle/bitmap)
//   vmprobe idle-count PID START END   how many present pages are still idle
//   vmprobe madvise PID START END cold|pageout   process_madvise(2) on [START, END)
//   vmprobe cputime PID                CPU time of PID in microseconds (schedstat, else stat)
//   vmprobe rss PID                    resident anonymous/file bytes (/proc/PID/status)
//   vmprobe run FILE CMD [ARGS...]     run CMD (SIGINT/SIGTERM forwarded; SIGINT/SIGQUIT not
//                                      ignored even when started with & from sh), then write
//                                      rc cpu_us user_us sys_us wall_ms maxrss_kb to FILE
//                                      and exit with CMD's status (128+N if killed by N)
//
// Addresses are decimal or 0x-hex; ranges are [START, END) and page aligned.
// Kernel interfaces: Documentation/admin-guide/mm/pagemap.rst (bit 55 soft-dirty, 56
// exclusive, 62 swapped, 63 present, bits 0-54 PFN) and idle_page_tracking.rst (bitmap of
// 64-bit words, bit set = idle; reads and writes in 8-byte units).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif

#define PM_PFN_MASK ((1ull << 55) - 1)
#define PM_SOFT_DIRTY (1ull << 55)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_SWAP (1ull << 62)
#define PM_PRESENT (1ull << 63)
#define IDLE_BITMAP "/sys/kernel/mm/page_idle/bitmap"

static void die(const char *what) {
  fprintf(stderr, "vmprobe: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t parse_addr(const char *s) { return strtoull(s, NULL, 0); }

// Reads the pagemap entries of [start, end) of pid; returns the number of pages.
static size_t read_pagemap(const char *pid, uint64_t start, uint64_t end, uint64_t **out) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%s/pagemap", pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) die(path);
  const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  size_t n = (size_t)((end - start) / page);
  uint64_t *e = calloc(n ? n : 1, sizeof(uint64_t));
  if (!e) die("calloc");
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, e + done, (n - done) * 8, (off_t)((start / page + done) * 8));
    if (r < 0) die("pread pagemap");
    if (r == 0) break;
    done += (size_t)r / 8;
  }
  close(fd);
  *out = e;
  return done;
}

static int cmd_pagemap(const char *pid, uint64_t start, uint64_t end) {
  uint64_t *e;
  size_t n = read_pagemap(pid, start, end, &e);
  size_t present = 0, swapped = 0, softdirty = 0, exclusive = 0;
  for (size_t i = 0; i < n; i++) {
    if (e[i] & PM_PRESENT) present++;
    if (e[i] & PM_SWAP) swapped++;
    if (e[i] & PM_SOFT_DIRTY) softdirty++;
    if (e[i] & PM_EXCLUSIVE) exclusive++;
  }
  printf("pages=%zu present=%zu swapped=%zu softdirty=%zu exclusive=%zu\n", n, present, swapped,
         softdirty, exclusive);
  free(e);
  return 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

// Marks or reads the idle bits of the present pages of [start, end). PFNs are sorted and
// grouped into 64-bit bitmap words, and runs of consecutive words go in one pread/pwrite:
// one syscall per page is far too slow under TCG.
static int cmd_idle(const char *pid, uint64_t start, uint64_t end, int mark) {
  uint64_t *e;
  size_t n = read_pagemap(pid, start, end, &e);
  size_t present = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t pfn = e[i] & PM_PFN_MASK;
    if ((e[i] & PM_PRESENT) && pfn != 0) e[present++] = pfn;  // pfn 0: hidden (not root)
  }
  qsort(e, present, sizeof(uint64_t), cmp_u64);
  int fd = open(IDLE_BITMAP, mark ? O_WRONLY : O_RDONLY);
  if (fd < 0) die(IDLE_BITMAP);
  uint64_t *words = malloc((present ? present : 1) * sizeof(uint64_t));
  if (!words) die("malloc");
  // The kernel processes the last bitmap word even when max_pfn is not a multiple of 64,
  // but leaves it out of the byte count it returns (mm/page_idle.c advances its word
  // pointer only after bit 63). Writes of it are done anyway; its bits cannot be read, so
  // those pages are counted as unreadable.
  size_t idle = 0, unreadable = 0, i = 0;
  while (i < present) {
    // One run: consecutive bitmap words starting at e[i] / 64.
    uint64_t first_word = e[i] / 64, nr_words = 0;
    size_t run_start = i;
    while (i < present && e[i] / 64 <= first_word + nr_words) {
      uint64_t w = e[i] / 64 - first_word;
      if (w == nr_words) words[nr_words++] = 0;
      words[w] |= 1ull << (e[i] % 64);
      i++;
    }
    // sysfs moves at most one page (512 words) per call; 0 means the partial last word.
    uint64_t done_words = 0;
    while (done_words < nr_words) {
      uint64_t chunk = nr_words - done_words;
      if (chunk > 512) chunk = 512;
      off_t off = (off_t)((first_word + done_words) * 8);
      ssize_t r = mark ? pwrite(fd, words + done_words, chunk * 8, off)
                       : pread(fd, words + done_words, chunk * 8, off);
      if (r < 0) die(mark ? "pwrite page_idle bitmap" : "pread page_idle bitmap");
      if (r == 0) break;
      done_words += (uint64_t)r / 8;
    }
    if (mark) continue;
    uint64_t readable_words = done_words;
    for (size_t j = run_start; j < i; j++) {
      uint64_t w = e[j] / 64 - first_word;
      if (w >= readable_words) unreadable++;
      else if (words[w] & (1ull << (e[j] % 64))) idle++;
    }
  }
  close(fd);
  free(words);
  free(e);
  if (mark) printf("pages=%zu marked=%zu\n", n, present);
  else printf("pages=%zu present=%zu idle=%zu unreadable=%zu\n", n, present, idle, unreadable);
  return 0;
}

static int cmd_madvise(const char *pid, uint64_t start, uint64_t end, const char *advice) {
  int behavior;
  if (!strcmp(advice, "cold")) behavior = MADV_COLD;
  else if (!strcmp(advice, "pageout")) behavior = MADV_PAGEOUT;
  else {
    fprintf(stderr, "vmprobe: advice must be cold or pageout\n");
    return 2;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, atoi(pid), 0);
  if (pidfd < 0) die("pidfd_open");
  struct iovec iov = {.iov_base = (void *)(uintptr_t)start, .iov_len = (size_t)(end - start)};
  long r = syscall(SYS_process_madvise, pidfd, &iov, 1, behavior, 0);
  if (r < 0) die("process_madvise");
  printf("advised_bytes=%ld\n", r);
  close(pidfd);
  return 0;
}

// CPU time of a thread: /proc/PID/schedstat's first field (sum_exec_runtime, ns;
// CONFIG_SCHED_INFO) when the kernel has it, else utime+stime from /proc/PID/stat, which
// only moves in USER_HZ (10 ms) steps.
static int cmd_cputime(const char *pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof(path), "/proc/%s/schedstat", pid);
  FILE *f = fopen(path, "r");
  unsigned long long run_ns;
  if (f && fscanf(f, "%llu", &run_ns) == 1) {
    fclose(f);
    printf("cpu_us=%llu from=schedstat\n", run_ns / 1000);
    return 0;
  }
  if (f) fclose(f);
  snprintf(path, sizeof(path), "/proc/%s/stat", pid);
  f = fopen(path, "r");
  if (!f) die(path);
  size_t len = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[len] = 0;
  // comm may hold spaces and parentheses: fields restart after the last ')'.
  char *p = strrchr(buf, ')');
  if (!p) return 1;
  unsigned long long utime = 0, stime = 0;
  // after ')': state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
    return 1;
  long hz = sysconf(_SC_CLK_TCK);
  printf("cpu_us=%llu from=stat\n", (utime + stime) * 1000000ull / (unsigned long long)hz);
  return 0;
}

static int cmd_rss(const char *pid) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%s/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) die(path);
  unsigned long long anon = 0, file = 0, swap = 0;
  while (fgets(line, sizeof(line), f)) {
    sscanf(line, "RssAnon: %llu", &anon);
    sscanf(line, "RssFile: %llu", &file);
    sscanf(line, "VmSwap: %llu", &swap);
  }
  fclose(f);
  printf("rss_anon_bytes=%llu rss_file_bytes=%llu swap_bytes=%llu\n", anon * 1024, file * 1024,
         swap * 1024);
  return 0;
}

static volatile pid_t run_child;

static void forward_signal(int sig) {
  if (run_child > 0) kill(run_child, sig);
}

// CPU time of a command and its waited-for descendants, from wait4's rusage: the figure
// scenarios report as the recorder's overhead.
static int cmd_run(const char *out_path, char **argv) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    // sh starts background jobs with SIGINT and SIGQUIT ignored, and exec keeps that; a
    // Ctrl-C test needs the dispositions a terminal's foreground job would have.
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(argv[0], argv);
    fprintf(stderr, "vmprobe run: %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  run_child = pid;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = forward_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) die("wait4");
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  long long user_us = (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
  long long sys_us = (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
  long long wall_ms = ((long long)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec)) / 1000000;
  FILE *f = fopen(out_path, "w");
  if (!f) die(out_path);
  fprintf(f, "rc=%d cpu_us=%lld user_us=%lld sys_us=%lld wall_ms=%lld maxrss_kb=%ld\n", rc,
          user_us + sys_us, user_us, sys_us, wall_ms, ru.ru_maxrss);
  fclose(f);
  return rc;
}

int main(int argc, char **argv) {
  if (argc >= 4 && !strcmp(argv[1], "run")) return cmd_run(argv[2], argv + 3);
  if (argc >= 5 && !strcmp(argv[1], "pagemap"))
    return cmd_pagemap(argv[2], parse_addr(argv[3]), parse_addr(argv[4]));
  if (argc >= 5 && !strcmp(argv[1], "idle-mark"))
    return cmd_idle(argv[2], parse_addr(argv[3]), parse_addr(argv[4]), 1);
  if (argc >= 5 && !strcmp(argv[1], "idle-count"))
    return cmd_idle(argv[2], parse_addr(argv[3]), parse_addr(argv[4]), 0);
  if (argc >= 6 && !strcmp(argv[1], "madvise"))
    return cmd_madvise(argv[2], parse_addr(argv[3]), parse_addr(argv[4]), argv[5]);
  if (argc >= 3 && !strcmp(argv[1], "cputime")) return cmd_cputime(argv[2]);
  if (argc >= 3 && !strcmp(argv[1], "rss")) return cmd_rss(argv[2]);
  fprintf(stderr,
          "usage: vmprobe pagemap|idle-mark|idle-count PID START END\n"
          "       vmprobe madvise PID START END cold|pageout\n"
          "       vmprobe cputime PID | rss PID\n"
          "       vmprobe run FILE CMD [ARGS...]\n");
  return 2;
}
