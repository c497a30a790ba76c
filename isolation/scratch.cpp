#include "isolation/scratch.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include "isolation/launch_plan.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/log.hpp"

namespace dcos::isolation {
namespace {

void remove_now(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) log::warning("scratch: remove '" + path + "': " + error.message() + ", ignoring");
}

// The entries of `dir`, as paths; none if it does not exist.
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) out.push_back(entry.path());
  return out;
}

}  // namespace

Scratch::Scratch(std::string dir)
    : dir_(std::move(dir)), spare_dir_(dir_ + "/.spare"), trash_dir_(dir_ + "/.trash") {}

Scratch::~Scratch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool Scratch::is_own(const std::string& name) {
  return name == ".spare" || name == ".trash" || name == ".mount-points";
}

Result<std::string> Scratch::mount_points() {
  const std::string tree = dir_ + "/.mount-points";
  std::lock_guard lock(mutex_);
  // Made again if something removed it meanwhile (one stat: the deepest
  // directory is made last).
  if (::access((tree + kSandboxInRootfs).c_str(), F_OK) == 0) return tree;
  // Parents first; what an earlier process made is there already.
  for (const char* dir : kRootMountPoints)
    if (auto made = make_directories(tree + dir, 0755); !made) return made.error();
  return tree;
}

// On first use: spares an earlier process made are used, half-made ones
// and its discards removed.
void Scratch::start_locked() {
  if (started_) return;
  started_ = true;
  for (const auto& path : entries(spare_dir_)) {
    if (std::filesystem::path(path).filename().string().rfind("ready-", 0) == 0) {
      spares_.push_back(path);
    } else {
      discarded_.push_back(path);  // removed where it is
    }
  }
  for (const auto& path : entries(trash_dir_)) discarded_.push_back(path);
  worker_ = std::thread([this] { work(); });
}

Result<std::string> Scratch::make_spare() {
  uint64_t number;
  {
    std::lock_guard lock(mutex_);
    number = counter_++;
  }
  const std::string name = std::to_string(::getpid()) + "-" + std::to_string(number);
  const std::string making = spare_dir_ + "/making-" + name, ready = spare_dir_ + "/ready-" + name;
  Result<void> made = make_directories(spare_dir_, 0700);
  if (made) made = make_directories(making + "/work", 0755);
  if (made) made = make_directories(making + "/upper", 0755);
  if (made && ::rename(making.c_str(), ready.c_str()) < 0) made = errno_error("rename '" + making + "'");
  if (!made) {
    remove_now(making);
    return made.error();
  }
  return ready;
}

Result<std::string> Scratch::take(const std::string& id) {
  std::string spare;
  {
    std::lock_guard lock(mutex_);
    start_locked();
    wants_spares_ = true;
    if (!spares_.empty()) {
      spare = std::move(spares_.front());
      spares_.pop_front();
    }
  }
  changed_.notify_all();  // the worker makes the next one
  if (spare.empty()) {
    auto made = make_spare();
    if (!made) return made.error();
    spare = std::move(*made);
  }
  const std::string target = dir_ + "/" + id;
  if (::renameat2(AT_FDCWD, spare.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) < 0) {
    const Error error = errno_error("move the spare '" + spare + "' to '" + target + "'");
    remove_now(spare);
    return error;
  }
  return target;
}

Result<void> Scratch::discard(const std::string& id) {
  const std::string path = dir_ + "/" + id;
  // Most containers have none (no root file system of their own).
  if (::access(path.c_str(), F_OK) != 0) return {};
  std::unique_lock lock(mutex_);
  if (discarded_.size() >= kMaxDiscarded) {
    lock.unlock();
    remove_now(path);
    return {};
  }
  start_locked();
  if (auto made = make_directories(trash_dir_, 0700); !made) return made;
  const std::string target = trash_dir_ + "/" + id + "." + std::to_string(counter_++);
  if (::rename(path.c_str(), target.c_str()) < 0) {
    if (errno == ENOENT) return {};
    return errno_error("move '" + path + "' to the trash '" + target + "'");
  }
  discarded_.push_back(target);
  lock.unlock();
  changed_.notify_all();
  return {};
}

void Scratch::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] {
    return discarded_.empty() && busy_ == 0 && (!wants_spares_ || !worker_.joinable() || spares_.size() >= kSpares);
  });
}

void Scratch::work() {
  std::unique_lock lock(mutex_);
  const auto short_of_spares = [this] { return wants_spares_ && !stopping_ && spares_.size() < kSpares; };
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !discarded_.empty() || short_of_spares(); });
    if (short_of_spares()) {
      // Spares first: the next launch may be waiting for one.
      ++busy_;
      lock.unlock();
      auto made = make_spare();
      lock.lock();
      --busy_;
      if (made) {
        spares_.push_back(std::move(*made));
      } else {
        log::warning("scratch: make a spare in '" + spare_dir_ + "': " + made.error().message +
                     "; launches make their own");
        wants_spares_ = false;
      }
    } else if (!discarded_.empty()) {
      // Stopping still empties the trash: it holds at most kMaxDiscarded.
      const std::string path = std::move(discarded_.front());
      discarded_.pop_front();
      ++busy_;
      lock.unlock();
      remove_now(path);
      lock.lock();
      --busy_;
    } else {
      return;  // stopping, nothing left to remove
    }
    changed_.notify_all();
  }
}

}  // namespace dcos::isolation
