// SPDX-License-Identifier: GPL-2.0-only
// wsstruth: page-exact working set of a process over time, from idle page tracking, as the
// ground truth the accuracy scenarios judge DAMON's (and damo-ts's) recordings against.
// The method of Brendan Gregg's wss tools: every window, mark every present page of the
// target idle, wait, and count the pages whose idle bit was cleared by an access.
//
//   wsstruth PID INTERVAL_MS OUT [DURATION_S]
//
// Runs until PID exits, SIGINT/SIGTERM, or DURATION_S. Writes OUT (flushed every window):
//   # wsstruth pid=N interval_ms=N page_bytes=N
//   w K MARK_START_NS MARK_END_NS READ_START_NS READ_END_NS PRESENT ACCESSED NEW UNREADABLE
//   r START END            (runs of accessed pages of window K, virtual addresses, [START, END))
// Times are CLOCK_MONOTONIC. The window is [MARK_END, READ_START]; pages marked early in the
// sweep had a slightly longer one. PRESENT: pages mapped at READ time; ACCESSED: of those,
// not idle (touched since marked, or new since the mark: the kernel clears the idle flag of
// every freshly allocated page); NEW: pages whose PFN was not marked; UNREADABLE: pages in
// the partial last bitmap word (see vmprobe.c), left out of both counts.
//
// Caveat, written into docs/ACCURACY.md: every accessed-bit user clears PTE young bits. DAMON
// and the native page_idle engine set a sampled page idle again (damon_ptep_mkold), so a page
// touched only before such a sample in a window reads idle here (the truth undercounts pages
// touched once per window; hot pages are touched again and are not affected). Reading the
// bitmap does not hide accesses from DAMON: the kernel clears the idle flag it checks too.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PM_PFN_MASK ((1ull << 55) - 1)
#define PM_PRESENT (1ull << 63)
#define IDLE_BITMAP "/sys/kernel/mm/page_idle/bitmap"

struct page {
  uint64_t vaddr;
  uint64_t pfn;
  int accessed;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void die(const char *what) {
  fprintf(stderr, "wsstruth: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t page_bytes;
static int pid_;

// Every present page of the target, in address order. Returns the count (0 when the
// target is gone: its maps file cannot be opened).
static size_t scan(struct page **pages, size_t *cap, int *gone) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/maps", pid_);
  FILE *maps = fopen(path, "r");
  if (!maps) { *gone = 1; return 0; }
  snprintf(path, sizeof(path), "/proc/%d/pagemap", pid_);
  int fd = open(path, O_RDONLY);
  if (fd < 0) { fclose(maps); *gone = 1; return 0; }
  static uint64_t buf[65536];
  size_t n = 0;
  char line[512];
  while (fgets(line, sizeof(line), maps)) {
    unsigned long long s, e;
    if (sscanf(line, "%llx-%llx", &s, &e) != 2) continue;
    if (strstr(line, "[vsyscall]")) continue;
    for (uint64_t a = s; a < e;) {
      size_t want = (size_t)((e - a) / page_bytes);
      if (want > 65536) want = 65536;
      ssize_t r = pread(fd, buf, want * 8, (off_t)(a / page_bytes * 8));
      if (r <= 0) break;
      size_t got = (size_t)r / 8;
      for (size_t i = 0; i < got; i++) {
        uint64_t pfn = buf[i] & PM_PFN_MASK;
        if (!(buf[i] & PM_PRESENT) || pfn == 0) continue;  // pfn 0: hidden (not root)
        if (n == *cap) {
          *cap = *cap ? *cap * 2 : 65536;
          *pages = realloc(*pages, *cap * sizeof(struct page));
          if (!*pages) die("realloc");
        }
        (*pages)[n].vaddr = a + i * page_bytes;
        (*pages)[n].pfn = pfn;
        (*pages)[n].accessed = 0;
        n++;
      }
      a += got * page_bytes;
    }
  }
  close(fd);
  fclose(maps);
  return n;
}

static struct page *sort_base;
static int by_pfn(const void *a, const void *b) {
  uint64_t x = sort_base[*(const size_t *)a].pfn, y = sort_base[*(const size_t *)b].pfn;
  return x < y ? -1 : x > y;
}
static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

// Marks (mark=1) or reads (mark=0) the idle bits of pages[idx[0..n)] (idx sorted by pfn):
// runs of consecutive bitmap words go in one call, at most 512 words (one page) per call,
// the most sysfs moves at once. Reading sets pages[].accessed = !idle and returns the
// number of pages in the unreadable partial last word (their accessed = -1).
static size_t idle_io(int fd, struct page *pages, const size_t *idx, size_t n, int mark) {
  static uint64_t words[512];
  size_t unreadable = 0, i = 0;
  while (i < n) {
    uint64_t first = pages[idx[i]].pfn / 64, nr = 0;
    size_t run = i;
    while (i < n && pages[idx[i]].pfn / 64 <= first + nr) {
      uint64_t w = pages[idx[i]].pfn / 64 - first;
      if (w == nr) { if (nr == 512) break; words[nr++] = 0; }
      words[w] |= 1ull << (pages[idx[i]].pfn % 64);
      i++;
    }
    uint64_t done = 0;
    while (done < nr) {
      off_t off = (off_t)((first + done) * 8);
      ssize_t r = mark ? pwrite(fd, words + done, (nr - done) * 8, off)
                       : pread(fd, words + done, (nr - done) * 8, off);
      if (r < 0) die(mark ? "pwrite page_idle bitmap" : "pread page_idle bitmap");
      if (r == 0) break;
      done += (uint64_t)r / 8;
    }
    if (mark) continue;
    for (size_t j = run; j < i; j++) {
      struct page *p = &pages[idx[j]];
      uint64_t w = p->pfn / 64 - first;
      if (w >= done) { p->accessed = -1; unreadable++; }
      else p->accessed = !(words[w] & (1ull << (p->pfn % 64)));
    }
  }
  return unreadable;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: wsstruth PID INTERVAL_MS OUT [DURATION_S]\n");
    return 2;
  }
  pid_ = atoi(argv[1]);
  uint64_t interval_ns = strtoull(argv[2], NULL, 10) * 1000000ull;
  double duration_s = argc > 4 ? atof(argv[4]) : 0;
  page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
  FILE *out = fopen(argv[3], "w");
  if (!out) die(argv[3]);
  int fd = open(IDLE_BITMAP, O_RDWR);
  if (fd < 0) die(IDLE_BITMAP);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  fprintf(out, "# wsstruth pid=%d interval_ms=%s page_bytes=%llu\n", pid_, argv[2],
          (unsigned long long)page_bytes);
  fflush(out);

  struct page *pages = NULL;
  size_t cap = 0, *idx = NULL, idx_cap = 0;
  uint64_t *marked = NULL;
  size_t nr_marked = 0;
  int gone = 0;
  uint64_t t_begin = now_ns();
  size_t n = scan(&pages, &cap, &gone);
  for (unsigned k = 0; !stop && !gone; k++) {
    // Mark the pages found by the last scan.
    uint64_t mark_start = now_ns();
    if (idx_cap < n) {
      idx_cap = n;
      idx = realloc(idx, idx_cap * sizeof(size_t));
      marked = realloc(marked, idx_cap * sizeof(uint64_t));
      if (!idx || !marked) die("realloc");
    }
    for (size_t i = 0; i < n; i++) idx[i] = i;
    sort_base = pages;
    qsort(idx, n, sizeof(size_t), by_pfn);
    idle_io(fd, pages, idx, n, 1);
    for (size_t i = 0; i < n; i++) marked[i] = pages[idx[i]].pfn;
    nr_marked = n;
    uint64_t mark_end = now_ns();

    uint64_t deadline = mark_start + interval_ns;
    while (!stop) {
      uint64_t t = now_ns();
      if (t >= deadline) break;
      uint64_t left = deadline - t;
      struct timespec ts = { (time_t)(left / 1000000000ull), (long)(left % 1000000000ull) };
      nanosleep(&ts, NULL);
    }
    if (duration_s > 0 && (double)(now_ns() - t_begin) / 1e9 >= duration_s) stop = 1;

    uint64_t read_start = now_ns();
    n = scan(&pages, &cap, &gone);
    if (gone) break;
    if (idx_cap < n) {
      idx = realloc(idx, n * sizeof(size_t));
      uint64_t *m2 = malloc(n * sizeof(uint64_t));
      if (!idx || !m2) die("realloc");
      memcpy(m2, marked, nr_marked * sizeof(uint64_t));
      free(marked);
      marked = m2;
      idx_cap = n;
    }
    for (size_t i = 0; i < n; i++) idx[i] = i;
    sort_base = pages;
    qsort(idx, n, sizeof(size_t), by_pfn);
    size_t unreadable = idle_io(fd, pages, idx, n, 0);
    uint64_t read_end = now_ns();

    size_t accessed = 0, fresh = 0;
    for (size_t i = 0; i < n; i++) {
      if (pages[i].accessed > 0) accessed++;
      if (!bsearch(&pages[i].pfn, marked, nr_marked, sizeof(uint64_t), cmp_u64)) fresh++;
    }
    fprintf(out, "w %u %llu %llu %llu %llu %zu %zu %zu %zu\n", k,
            (unsigned long long)mark_start, (unsigned long long)mark_end,
            (unsigned long long)read_start, (unsigned long long)read_end, n - unreadable,
            accessed, fresh, unreadable);
    // Runs of accessed pages in address order (scan order is address order).
    for (size_t i = 0; i < n;) {
      if (pages[i].accessed <= 0) { i++; continue; }
      size_t j = i + 1;
      while (j < n && pages[j].accessed > 0 && pages[j].vaddr == pages[j - 1].vaddr + page_bytes) j++;
      fprintf(out, "r %llu %llu\n", (unsigned long long)pages[i].vaddr,
              (unsigned long long)(pages[j - 1].vaddr + page_bytes));
      i = j;
    }
    fflush(out);
  }
  fclose(out);
  close(fd);
  return 0;
}
