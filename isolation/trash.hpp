// Directories thrown away and removed in the background.
//
// Removing what a container wrote to its root file system (its overlay's
// upper and work directories, on disk) can take as long as the launch did,
// and nobody waits for it: the container's end is reported without it.
// discard() renames a directory into the trash directory (on the same file
// system: one rename, atomic) and a thread of the Trash removes it. What
// a crash leaves in the trash directory is removed by the next Trash made
// on it.
//
// Bounded: while kMaxPending directories wait, discard() removes the next
// one itself, so discards cannot outrun the disk. The destructor finishes
// what is waiting (at most kMaxPending). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/result.hpp"

namespace dcos::isolation {

class Trash {
 public:
  static constexpr std::size_t kMaxPending = 64;

  // `dir` is made on first use; it must be on the file system of what is
  // discarded into it.
  explicit Trash(std::string dir);
  ~Trash();
  Trash(const Trash&) = delete;
  Trash& operator=(const Trash&) = delete;

  // Moves `path` (a directory, or nothing: a missing path is not an error)
  // out of the way at once; it is removed later.
  Result<void> discard(const std::string& path);

  // Returns when everything discarded so far is removed.
  void drain();

  const std::string& dir() const { return dir_; }

 private:
  void start_locked();
  void work();

  const std::string dir_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> pending_;  // paths inside dir_
  std::size_t removing_ = 0;
  uint64_t counter_ = 0;
  bool stopping_ = false;
  bool swept_ = false;  // leftovers of an earlier process queued
  std::thread worker_;
};

}  // namespace dcos::isolation
