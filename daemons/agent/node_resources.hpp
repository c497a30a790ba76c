// What this node offers the cluster, detected the way Mesos' agent does:
// cpus from the CPUs this process may run on, mem from /proc/meminfo less a
// reservation for the system (1 GiB, or half of memory below 2 GiB), disk
// from the file system of the work directory less a reservation (5 GiB, or
// half below 10 GiB), and ports 31000-32000. Operator flags (--resources)
// override any of them by name.
#pragma once

#include <string>

#include "runtime/resources.hpp"
#include "runtime/result.hpp"

namespace dcos::agent {

Result<Resources> detect_resources(const std::string& work_dir, const std::string& role);

}  // namespace dcos::agent
