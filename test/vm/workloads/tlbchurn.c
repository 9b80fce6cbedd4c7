// SPDX-License-Identifier: GPL-2.0-only
// tlbchurn: makes every vCPU switch address spaces every PERIOD microseconds, so that
// accessed bits cleared by DAMON (or page_idle, or clear_refs) are set again on the next
// access, as they are on real hardware.
//
// Why: x86 Linux clears PTE accessed bits without flushing the TLB (ptep_clear_flush_young
// in arch/x86/mm/pgtable.c), relying on the hardware TLB being small enough that a hot
// page is soon looked up again through the page table, which sets the bit. QEMU's TCG
// soft-TLB grows to millions of entries, so a hot 64 MiB block stays cached forever and
// DAMON reports it as never accessed. A switch to another process's page tables (a CR3
// write; the VM's default CPU model has no PCID) flushes QEMU's TLB of that vCPU. Kernel
// threads and the idle loop do not switch (lazy TLB), so a quiet VM never flushes on its
// own. One process pinned to each CPU that wakes up every PERIOD microseconds does it.
//
// usage: tlbchurn [PERIOD_US]   (default 1000; runs until killed; started by /init)
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long period_us = argc > 1 ? strtol(argv[1], NULL, 0) : 1000;
  long nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
  for (long cpu = 0; cpu < nr_cpus; cpu++) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("tlbchurn: fork");
      return 1;
    }
    if (pid == 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET((int)cpu, &set);
      if (sched_setaffinity(0, sizeof(set), &set) != 0) perror("tlbchurn: sched_setaffinity");
      for (;;) usleep((useconds_t)period_us);
    }
  }
  while (wait(NULL) > 0) {
  }
  return 0;
}
