#include "daemons/agent/node_resources.hpp"

#include <sched.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace dcos::agent {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

Result<double> total_memory_mib() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemTotal:") return kib / 1024.0;
  }
  return Error{"read '/proc/meminfo': no MemTotal line"};
}

int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return 1;
}

}  // namespace

Result<Resources> detect_resources(const std::string& work_dir, const std::string& role) {
  auto mem = total_memory_mib();
  if (!mem) return mem.error();
  const double mem_reserved = *mem >= 2048 ? 1024 : *mem / 2;

  struct statvfs fs {};
  if (::statvfs(work_dir.c_str(), &fs) != 0) return errno_error("statvfs '" + work_dir + "'");
  const double disk = static_cast<double>(fs.f_blocks) * fs.f_frsize / kMiB;
  const double disk_reserved = disk >= 10240 ? 5120 : disk / 2;

  std::ostringstream text;
  text << "cpus:" << usable_cpus() << ";mem:" << static_cast<uint64_t>(*mem - mem_reserved)
       << ";disk:" << static_cast<uint64_t>(disk - disk_reserved) << ";ports:[31000-32000]";
  return parse_resources(text.str(), role);
}

}  // namespace dcos::agent
