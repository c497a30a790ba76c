#include "isolation/trash.hpp"

#include <stdio.h>

#include <cerrno>
#include <filesystem>

#include "runtime/atomic_file.hpp"
#include "runtime/log.hpp"

namespace dcos::isolation {
namespace {

void remove_now(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) log::warning("trash: remove '" + path + "': " + error.message() + ", ignoring");
}

}  // namespace

Trash::Trash(std::string dir) : dir_(std::move(dir)) {
  std::error_code error;
  if (std::filesystem::directory_iterator(dir_, error) != std::filesystem::directory_iterator()) {
    std::lock_guard lock(mutex_);
    start_locked();
  }
}

Trash::~Trash() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Trash::start_locked() {
  if (!swept_) {
    // What an earlier process discarded and did not get to remove.
    swept_ = true;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) pending_.push_back(entry.path());
  }
  if (!worker_.joinable()) worker_ = std::thread([this] { work(); });
}

Result<void> Trash::discard(const std::string& path) {
  std::unique_lock lock(mutex_);
  if (pending_.size() >= kMaxPending) {
    lock.unlock();
    remove_now(path);
    return {};
  }
  if (auto made = make_directories(dir_, 0700); !made) return made;
  const std::string name = std::filesystem::path(path).filename();
  const std::string target = dir_ + "/" + name + "." + std::to_string(counter_++);
  if (::rename(path.c_str(), target.c_str()) < 0) {
    if (errno == ENOENT) return {};
    return errno_error("move '" + path + "' to the trash '" + target + "'");
  }
  pending_.push_back(target);
  start_locked();
  lock.unlock();
  changed_.notify_all();
  return {};
}

void Trash::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return pending_.empty() && removing_ == 0; });
}

void Trash::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // Stopping still empties the queue: it holds at most kMaxPending.
    changed_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;
    const std::string path = std::move(pending_.front());
    pending_.pop_front();
    ++removing_;
    lock.unlock();
    remove_now(path);
    lock.lock();
    --removing_;
    changed_.notify_all();
  }
}

}  // namespace dcos::isolation
