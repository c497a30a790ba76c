// How this host mounts cgroups, and where a process sits in them.
//
// Three layouts exist in the wild, told apart as systemd does, by the file
// system type of /sys/fs/cgroup:
//   unified  cgroup2 mounted at /sys/fs/cgroup (pure v2; what systemd wants)
//   hybrid   a tmpfs there, v1 controllers under it, and cgroup2 at
//            /sys/fs/cgroup/unified (with no controllers, or few)
//   legacy   a tmpfs there, v1 controllers only
// The mount points themselves come from /proc/self/mountinfo. The parsers
// are pure functions of the files' text (unit-tested, fuzzable); detect()
// reads the live files. Thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::isolation {

enum class CgroupLayout { unified, hybrid, legacy };

std::string_view layout_name(CgroupLayout layout);

struct CgroupMounts {
  std::string unified;  // the cgroup2 mount point, "" when there is none
  // v1 hierarchies: each controller ("memory", or a named one such as
  // "name=systemd") -> the mount point of its hierarchy.
  std::map<std::string, std::string, std::less<>> v1;
};

// cgroup and cgroup2 mounts from /proc/<pid>/mountinfo. Malformed lines are
// an error naming the line.
Result<CgroupMounts> parse_cgroup_mounts(std::string_view mountinfo);

// One line of /proc/<pid>/cgroup: "hierarchy-ID:controller-list:path".
// Hierarchy 0 with no controllers is the cgroup2 one.
struct ProcessCgroup {
  unsigned hierarchy = 0;
  std::vector<std::string> controllers;
  std::string path;
};

Result<std::vector<ProcessCgroup>> parse_process_cgroups(std::string_view text);

struct HostCgroups {
  CgroupLayout layout = CgroupLayout::legacy;
  CgroupMounts mounts;
};

// Reads statfs("<root>") and /proc/self/mountinfo; root is /sys/fs/cgroup
// except in tests.
Result<HostCgroups> detect_host_cgroups(const std::string& root = "/sys/fs/cgroup");

}  // namespace dcos::isolation
