// SPDX-License-Identifier: GPL-2.0-only
// The README's and `npm run demo`'s workload: allocates 256 MiB, touches all of it once,
// then keeps rewriting its first 32 MiB until SECONDS (default 10) have passed. A recording
// of it shows a working set of about 32 MiB in a 256 MiB mapping, at 0x600000000000 (the hot
// 32 MiB up to 0x600002000000) unless that range is taken.
//
// Usage: touch [SECONDS]        (built by `npm run build` into dist/examples/touch)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MIB (1024UL * 1024UL)
#define TOTAL_BYTES (256 * MIB)
#define HOT_BYTES (32 * MIB)
#define PAGE_BYTES 4096UL
#define TOUCH_ADDR 0x600000000000UL

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? strtod(argv[1], NULL) : 10.0;
  if (argc > 2 || !(seconds > 0)) {
    fprintf(stderr, "usage: touch [SECONDS]  (a positive number; default 10)\n");
    return 2;
  }
  // At a fixed address when it is free (a hint, not MAP_FIXED), so that the README's
  // --address_range example names the hot block whatever the address space layout.
  unsigned char *mem = mmap((void *)TOUCH_ADDR, TOTAL_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    perror("touch: mmap 256 MiB");
    return 1;
  }
  memset(mem, 1, TOTAL_BYTES);
  // A pass writes one byte per page: every page of the hot block is accessed, cheaply. The
  // short sleep between passes keeps the loop from taking a whole CPU.
  const struct timespec pause = {0, 1000000};
  unsigned char value = 0;
  double end = now_s() + seconds;
  while (now_s() < end) {
    value++;
    for (size_t off = 0; off < HOT_BYTES; off += PAGE_BYTES) mem[off] = value;
    nanosleep(&pause, NULL);
  }
  munmap(mem, TOTAL_BYTES);
  return 0;
}
