// seccomp_bpf: our own classic BPF program for a profile's native arch.
//
// libseccomp's program for an allow-list tests the syscall number against
// ~350 constants (a tree of JEQs: ~400 instructions for the default profile)
// and the kernel checks, converts and JITs every one of them at each
// launch. Here the numbers are first merged into ranges of equal verdict
// (an allow-list is a few dozen runs), and a balanced tree of JGEs over the
// ranges' starts finds the verdict: ~60 instructions, about 7 deep.
// Syscalls with argument conditions get a block of their own at their leaf.
//
//   ld arch; native? -> ld nr; [x86_64: nr >= X32 bit? -> compat / badarch]
//                       range tree -> RET verdict | argument block
//            else    -> `compat` (libseccomp's program for the other
//                       arches the profile admits), or RET badarch
//
// seccomp.cpp resolves the profile (names, includes/excludes) into
// NativeFilter and decides when this applies; tests/isolation compare its
// verdicts with libseccomp's for every syscall number.
//
// Thread safety: a function of its arguments.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <span>
#include <vector>

#include "isolation/linux/seccomp.hpp"
#include "runtime/result.hpp"

namespace dcos::isolation::seccomp {

// One syscall's rules, all of one action (a SECCOMP_RET_* value with its
// data). Empty `alternatives`: every call gets `action`; otherwise a call
// gets it when all conditions of any alternative hold, else the default.
struct SyscallVerdict {
  uint32_t nr = 0;
  uint32_t action = 0;
  std::vector<std::vector<ArgCondition>> alternatives;
};

struct NativeFilter {
  uint32_t arch = 0;  // AUDIT_ARCH_* of the native ABI
  // x86_64: numbers with __X32_SYSCALL_BIT belong to the x32 ABI (same
  // AUDIT_ARCH): they go to `compat` when x32 is admitted, else get
  // bad_arch_action (nr -1 gets the default, as in libseccomp's program).
  bool x32_bit = false;
  bool x32_admitted = false;
  uint32_t default_action = 0;
  uint32_t bad_arch_action = 0;
  std::vector<SyscallVerdict> syscalls;  // sorted by nr, each nr once
};

// The whole program: the native part, then `compat` verbatim (it checks
// the arch itself). Errors when the result is past BPF_MAXINSNS.
Result<std::vector<sock_filter>> native_program(const NativeFilter& filter, std::span<const sock_filter> compat);

}  // namespace dcos::isolation::seccomp
