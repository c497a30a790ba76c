// Resource limits (setrlimit) by their ulimit names, parsed before a launch
// and applied with setrlimit in the launcher's child. Thread-safe.
#pragma once

#include <sys/resource.h>

#include <string>
#include <string_view>

#include "runtime/result.hpp"

namespace dcos::isolation {

struct Rlimit {
  int resource = 0;  // RLIMIT_*
  rlim_t soft = 0;
  rlim_t hard = 0;
};

// "nofile=1024:4096", "nproc=512" (soft = hard), "core=0",
// "memlock=unlimited". Names: as, core, cpu, data, fsize, locks, memlock,
// msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack.
Result<Rlimit> parse_rlimit(std::string_view spec);
std::string rlimit_name(int resource);

}  // namespace dcos::isolation
