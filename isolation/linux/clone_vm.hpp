// clone3 of a child that runs a function on a stack of its own, as vfork
// does: with CLONE_VM | CLONE_VFORK the child uses the caller's memory
// (nothing is copied, however large the caller) and the caller sleeps
// until the child has exec'd or exited; unlike vfork, clone3 also takes
// namespaces and CLONE_INTO_CGROUP.
//
// A child on a new stack cannot return from the system call's C wrapper
// (its frame is on the old stack), so a few instructions per architecture
// make the call and, in the child, call `fn(arg)` and exit with its result.
// Async-signal-safe.
#pragma once

#include <linux/sched.h>

#include <cstddef>

#include "runtime/result.hpp"

namespace dcos::isolation::clone_vm {

// Whether this architecture has the instructions (x86-64, arm64); where not,
// run() returns -ENOSYS and the caller clones without CLONE_VM.
bool supported() noexcept;

// clone3(args) with the child calling fn(arg) on args.stack; the child
// exits with fn's result if it returns. Returns the child's pid to the
// caller, or -errno.
long run(clone_args& args, int (*fn)(void*), void* arg) noexcept;

// A child's stack: kSize bytes with a guard page below them, mapped by the
// caller before it clones. Only the pages the child touches are backed.
class Stack {
 public:
  static constexpr std::size_t kSize = 1 << 20;

  Stack() = default;
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  Result<void> map();
  void* stack() const { return stack_; }  // its lowest address: clone_args.stack

 private:
  void* base_ = nullptr;
  std::size_t mapped_ = 0;
  void* stack_ = nullptr;
};

}  // namespace dcos::isolation::clone_vm
