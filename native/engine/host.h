// SPDX-License-Identifier: GPL-2.0-only
// Facts about the machine the engine runs on. Plain C++, no N-API.
#pragma once
#include <cstdint>
#include <string>

namespace damo {

struct HostFacts {
  uint64_t page_size_bytes;
  std::string kernel_release;
  uint32_t nr_cpus;
};

HostFacts read_host_facts();

}  // namespace damo
