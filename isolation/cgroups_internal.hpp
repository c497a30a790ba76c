// What cgroups.cpp, cgroups_v1.cpp and cgroups_v2.cpp share; not for other
// users (the interface is cgroups.hpp). Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "isolation/cgroups.hpp"

namespace dcos::isolation::cgroups_internal {

// `mount` is the cgroup2 mount point, `root` a normalized relative path
// ("/dcos").
Result<std::unique_ptr<Cgroups>> open_v2(const std::string& mount, const std::string& root);
Result<std::unique_ptr<Cgroups>> open_v1(const CgroupMounts& mounts, const std::string& root);

// A container name is one path component.
Result<void> check_name(const std::string& container);

// Where the calling process sits: its path in the v2 hierarchy
// (controller "") or in the v1 hierarchy of `controller`, from /proc/self/cgroup.
Result<std::string> own_cgroup(std::string_view controller);

// The names of the cgroups directly below `dir`, except one that holds
// `own` (the calling process's cgroup, an absolute path) or is it.
Result<std::vector<std::string>> child_cgroups(const std::string& dir, const std::string& own);

}  // namespace dcos::isolation::cgroups_internal
