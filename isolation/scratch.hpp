// The containers' scratch space on disk: for each container with a root
// file system of its own, <dir>/<id> holds its overlay's upper/ (what the
// task writes to its root) and work/ directories.
//
// Making them and removing them is disk work no launch needs to wait for.
// A thread keeps a few spares ready (<dir>/.spare/<n>, upper/ and work/
// empty: an image lacking mount points gets them at launch, and those from
// the image cache have them) and removes what was discarded
// (<dir>/.trash). take() renames a spare into place, discard() renames
// into the trash: one rename each, on one file system, atomic. What a
// crash leaves in .spare and .trash is used or removed by the next Scratch
// made on the directory. Beside them, <dir>/.mount-points: what read-only
// roots need (mount_points()).
//
// Bounded: while kMaxDiscarded directories wait for removal, discard()
// removes the next one itself, so discards cannot outrun the disk. The
// destructor finishes the removals that wait (at most kMaxDiscarded).
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/result.hpp"

namespace dcos::isolation {

class Scratch {
 public:
  static constexpr std::size_t kMaxDiscarded = 64;
  static constexpr std::size_t kSpares = 2;

  // Nothing is made before the first take() or discard().
  explicit Scratch(std::string dir);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  // <dir>/<id>, with upper/ and work/, for a new container; made on the
  // spot when no spare is ready. An error if it exists.
  Result<std::string> take(const std::string& id);

  // Moves <dir>/<id> out of the way at once (nothing there is not an
  // error); it is removed later.
  Result<void> discard(const std::string& id);

  // Returns when everything discarded so far is removed and the spares are
  // ready.
  void drain();

  // <dir>/.mount-points, made where it is not there: kRootMountPoints
  // (launch_plan.hpp) as empty directories, the top layer that read-only
  // roots share where their image lacks some.
  Result<std::string> mount_points();

  const std::string& dir() const { return dir_; }
  // Whether `name`, an entry of dir(), is the Scratch's own (.spare, .trash).
  static bool is_own(const std::string& name);

 private:
  void start_locked();
  void work();
  Result<std::string> make_spare();

  const std::string dir_;
  const std::string spare_dir_;
  const std::string trash_dir_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> spares_;     // ready, in spare_dir_
  std::deque<std::string> discarded_;  // in trash_dir_, to remove
  std::size_t busy_ = 0;               // removals and spares under way
  uint64_t counter_ = 0;               // for unique names
  bool started_ = false;
  bool wants_spares_ = false;  // once take() was called
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace dcos::isolation
