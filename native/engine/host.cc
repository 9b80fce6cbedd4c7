// SPDX-License-Identifier: GPL-2.0-only
#include "engine/host.h"

#include <sys/utsname.h>
#include <unistd.h>

namespace damo {

HostFacts read_host_facts() {
  HostFacts facts{};
  long page = sysconf(_SC_PAGESIZE);
  facts.page_size_bytes = page > 0 ? static_cast<uint64_t>(page) : 4096;
  struct utsname uts {};
  if (uname(&uts) == 0) facts.kernel_release = uts.release;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  facts.nr_cpus = cpus > 0 ? static_cast<uint32_t>(cpus) : 1;
  return facts;
}

}  // namespace damo
