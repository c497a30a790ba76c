#include "isolation/image.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include "isolation/archive_library.hpp"
#include "isolation/launch_plan.hpp"
#include "runtime/atomic_file.hpp"

namespace dcos::isolation {
namespace {

// The cache key of a tarball: where it is and which version of it. A
// changed file (size or modification time) unpacks anew.
std::string cache_key(const struct stat& st) {
  char key[96];
  std::snprintf(key, sizeof key, "%llx-%llx-%llx-%llx", static_cast<unsigned long long>(st.st_dev),
                static_cast<unsigned long long>(st.st_ino), static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ull +
                    static_cast<unsigned long long>(st.st_mtim.tv_nsec));
  return key;
}

Result<void> unpack(const std::string& tarball, const std::string& target, const ImageLimits& limits) {
  const std::string where = "image '" + tarball + "'";
  auto library = archive_library();
  if (!library) return Error{where + ": cannot unpack: " + library.error().message};
  const ArchiveLibrary& la = **library;
  std::unique_ptr<archive, decltype(la.read_free)> reader(la.read_new(), la.read_free);
  std::unique_ptr<archive, decltype(la.write_free)> writer(la.write_disk_new(), la.write_free);
  la.read_support_filter_all(reader.get());
  la.read_support_format_tar(reader.get());
  la.read_support_format_gnutar(reader.get());
  // No ACLs or extended attributes: trusted.overlay.* in the lower layer
  // would steer the overlay, and file capabilities do nothing under
  // no_new_privs anyway.
  la.write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                                                   ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  if (la.read_open_filename(reader.get(), tarball.c_str(), 1 << 16) != ARCHIVE_OK)
    return Error{where + ": " + la.error_string(reader.get())};
  uint64_t entries = 0, bytes = 0;
  for (;;) {
    archive_entry* entry = nullptr;
    const int status = la.read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) return Error{where + ": " + la.error_string(reader.get())};
    if (++entries > limits.max_entries)
      return Error{where + ": more than " + std::to_string(limits.max_entries) + " entries"};
    bytes += static_cast<uint64_t>(std::max<la_int64_t>(la.entry_size(entry), 0));
    if (bytes > limits.max_bytes) return Error{where + ": larger than " + std::to_string(limits.max_bytes) + " bytes"};
    const std::string name = la.entry_pathname(entry) ? la.entry_pathname(entry) : "";
    // Device nodes, FIFOs and sockets are left out: a container gets its
    // /dev from the containerizer, and a node could reach a host device.
    const auto type = la.entry_filetype(entry);
    if (type == AE_IFBLK || type == AE_IFCHR || type == AE_IFIFO || type == AE_IFSOCK) continue;
    // The names must stay inside the tree; libarchive checks what follows
    // (no "..", no writing through symbolic links) on the prefixed path.
    if (!name.empty() && name[0] == '/') return Error{where + ": entry '" + name + "' has an absolute path"};
    la.entry_set_pathname(entry, (target + "/" + name).c_str());
    if (const char* link = la.entry_hardlink(entry)) {
      if (link[0] == '/') return Error{where + ": entry '" + name + "' links to an absolute path"};
      la.entry_set_hardlink(entry, (target + "/" + link).c_str());
    }
    if (la.write_header(writer.get(), entry) < ARCHIVE_WARN)
      return Error{where + ": entry '" + name + "': " + la.error_string(writer.get())};
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      const int read = la.read_data_block(reader.get(), &block, &size, &offset);
      if (read == ARCHIVE_EOF) break;
      if (read < ARCHIVE_WARN) return Error{where + ": entry '" + name + "': " + la.error_string(reader.get())};
      if (la.write_data_block(writer.get(), block, size, offset) < ARCHIVE_WARN)
        return Error{where + ": entry '" + name + "': " + la.error_string(writer.get())};
    }
    if (la.write_finish_entry(writer.get()) < ARCHIVE_WARN)
      return Error{where + ": entry '" + name + "': " + la.error_string(writer.get())};
  }
  if (la.write_close(writer.get()) != ARCHIVE_OK) return Error{where + ": " + la.error_string(writer.get())};
  return {};
}

// The directories the containerizer mounts on, made where the tarball
// lacks them: the unpacked tree is the cache's own, and with all of them a
// read-only root is the tree bound as it is, no overlay. Nothing is made
// through or below an entry that is not a directory (such an image is
// refused at launch).
Result<void> add_mount_points(const std::string& tree) {
  std::vector<std::string> blocked;  // "/mnt/": below an entry that is not a directory
  for (const char* dir : kRootMountPoints) {
    const std::string_view name = dir;
    if (std::any_of(blocked.begin(), blocked.end(), [&](const std::string& b) { return name.rfind(b, 0) == 0; }))
      continue;
    const std::string path = tree + dir;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) blocked.push_back(std::string(name) + "/");
      continue;
    }
    if (errno != ENOENT) return errno_error("lstat '" + path + "'");
    if (::mkdir(path.c_str(), 0755) < 0) return errno_error("mkdir '" + path + "'");
  }
  return {};
}

// "<target>.partial.<pid>.<n>" of a process that is gone: an unpack killed
// half-way. Removed before the next unpack of the same image.
void remove_abandoned_unpacks(const std::string& cache, const std::string& target) {
  const std::string prefix = std::filesystem::path(target).filename().string() + ".partial.";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(cache, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const pid_t pid = static_cast<pid_t>(std::strtol(name.c_str() + prefix.size(), nullptr, 10));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      std::filesystem::remove_all(entry.path(), ignored);
    }
  }
}

}  // namespace

Result<std::string> prepare_rootfs(const std::string& image, const std::string& cache_dir, const ImageLimits& limits) {
  struct stat st {};
  if (::stat(image.c_str(), &st) < 0) return errno_error("image '" + image + "'");
  if (S_ISDIR(st.st_mode)) return image;
  if (!S_ISREG(st.st_mode)) return Error{"image '" + image + "' is neither a directory nor a tarball"};

  if (auto made = make_directories(cache_dir, 0700); !made) return made.error();
  // Unpacking refuses to write through symbolic links, those in the cache's
  // own path included: resolve them first.
  std::error_code error;
  const std::string cache = std::filesystem::canonical(cache_dir, error);
  if (error) return Error{"image cache '" + cache_dir + "': " + error.message()};
  const std::string target = cache + "/" + cache_key(st);
  if (::access(target.c_str(), F_OK) == 0) return target;
  remove_abandoned_unpacks(cache, target);
  static std::atomic<unsigned> counter{0};
  const std::string partial = target + ".partial." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  if (::mkdir(partial.c_str(), 0755) < 0) return errno_error("mkdir '" + partial + "'");
  auto unpacked = unpack(image, partial, limits);
  if (unpacked) unpacked = add_mount_points(partial);
  if (!unpacked) {
    std::error_code ignored;
    std::filesystem::remove_all(partial, ignored);
    return unpacked.error();
  }
  if (::rename(partial.c_str(), target.c_str()) < 0) {
    const int error = errno;
    std::error_code ignored;
    std::filesystem::remove_all(partial, ignored);
    // Another launch unpacked the same tarball first: use theirs.
    if (error == EEXIST || error == ENOTEMPTY) return target;
    errno = error;
    return errno_error("rename '" + partial + "' to '" + target + "'");
  }
  return target;
}

}  // namespace dcos::isolation
