// Root file systems for containers: a directory as it is, or a tarball
// (tar, tar.gz, tar.xz, ... anything libarchive reads) unpacked once into a
// cache and reused. Unpacking refuses entries that would land outside the
// tree (absolute paths, "..", writes through symbolic links) and is bounded
// in entries and bytes; the unpacked tree gets the directories a container
// is mounted on (launch_plan.hpp's kRootMountPoints) where it lacks them.
// Thread-safe: concurrent unpacks of one tarball each
// write a private directory and the first rename wins.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/result.hpp"

namespace dcos::isolation {

struct ImageLimits {
  uint64_t max_bytes = 16ull << 30;
  uint64_t max_entries = 1'000'000;
};

// The directory to use as the container's root file system. An error names
// the image and what is wrong ("image '/x.tar': no such file").
Result<std::string> prepare_rootfs(const std::string& image, const std::string& cache_dir,
                                   const ImageLimits& limits = {});

}  // namespace dcos::isolation
