// seccomp: syscall filters for containers. Profiles are in Docker's JSON
// format (the one Docker, runc and crun read); compiled to a classic BPF
// program (the native arch by seccomp_bpf.cpp as a tree over ranges of
// syscall numbers, the 32-bit arches a profile admits by libseccomp), and a
// forked child installs that program just before exec (seccomp.cpp).
//
//   parse_profile / default_profile   the policy, as data
//             (seccomp_profile.cpp, seccomp_default.cpp)
//   compile   in the launcher, before fork: resolves names, applies the
//             includes/excludes, builds the BPF program (allocates freely)
//   install   in the forked child, after prctl(PR_SET_NO_NEW_PRIVS) and
//             before execve: async-signal-safe, no allocation, no locks
//
// Errors name the field and where it is: "syscalls[3].action: unknown action
// 'SCMP_ACT_FOO'". Syscall names this libseccomp does not know are skipped,
// as Docker does (names differ by kernel and arch), and listed in
// Filter::unknown_syscalls for the caller to log.
//
// Thread safety: parse_profile, default_profile and compile are functions of
// their arguments only (each compile has its own libseccomp context) and may
// run on any thread. install filters the calling thread only (no TSYNC): call
// it in the single-threaded child.
#pragma once

#include <linux/filter.h>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::isolation::seccomp {

// Bounds on what parse_profile accepts (Docker's default profile is ~20 KiB,
// ~60 entries, ~400 names).
inline constexpr std::size_t kMaxProfileBytes = 1 << 20;
inline constexpr std::size_t kMaxRules = 1024;  // entries of syscalls[]
inline constexpr std::size_t kMaxNames = 8192;  // names over all entries
inline constexpr std::size_t kMaxDepth = 16;    // JSON nesting (Docker's needs 5)
inline constexpr uint32_t kMaxErrno = 4095;     // the kernel's MAX_ERRNO

// What a matching syscall gets. kKillThread is also SCMP_ACT_KILL.
enum class Action { kAllow, kErrno, kKillThread, kKillProcess, kTrap, kTrace, kLog };

// The JSON names: "SCMP_ACT_ALLOW", ...; and SCMP_CMP_NE, ... for Op.
std::string_view action_name(Action action);

enum class Op { kNotEqual, kLessThan, kLessOrEqual, kEqual, kGreaterOrEqual, kGreaterThan, kMaskedEqual };

std::string_view op_name(Op op);

// One comparison of a syscall argument: `arg[index] <op> value`, or for
// kMaskedEqual `(arg[index] & value) == value_two`.
struct ArgCondition {
  unsigned index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  Op op = Op::kEqual;
  bool operator==(const ArgCondition&) const = default;
};

struct KernelVersion {
  unsigned major = 0;
  unsigned minor = 0;
  auto operator<=>(const KernelVersion&) const = default;
};

// "6.1.0-13-amd64" -> 6.1. `whole`: the text must be just "major.minor"
// (a profile's minKernel), not a release with more after it.
Result<KernelVersion> parse_kernel_version(std::string_view text, bool whole);

// When an entry applies ("includes") or does not ("excludes"):
//   includes: the container has every one of `caps`, the host arch is one of
//             `arches`, the kernel is at least `min_kernel` (each if given);
//   excludes: the container has any of `caps`, or the host arch is one of
//             `arches`, or the kernel is at least `min_kernel`.
struct Selector {
  std::vector<int> caps;            // capability numbers (linux/capability.h)
  std::vector<std::string> arches;  // Docker's names: "amd64", "arm64", "x86", "x32", "arm", ...
  std::optional<KernelVersion> min_kernel;
  bool operator==(const Selector&) const = default;
};

// One entry of syscalls[]. Conditions on different arguments must all hold;
// several conditions on the same argument are each a rule of their own (any
// may hold), which is what runc does with such profiles.
struct Rule {
  std::vector<std::string> names;
  Action action = Action::kAllow;
  // kErrno: the errno returned (EPERM when not given); kTrace: the message
  // number the tracer sees (EPERM when not given). Others take none.
  std::optional<uint32_t> errno_ret;
  std::vector<ArgCondition> args;
  Selector includes;
  Selector excludes;
  bool operator==(const Rule&) const = default;
};

// Arches are libseccomp's names: "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", ...
struct ArchMapEntry {
  std::string architecture;
  std::vector<std::string> sub_architectures;
  bool operator==(const ArchMapEntry&) const = default;
};

// Docker's seccomp profile. Fields it has that are not here ("comment",
// "flags", "listenerPath", "listenerMetadata") are read past: none of them
// makes the filter stricter.
struct Profile {
  Action default_action = Action::kErrno;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;
  std::vector<ArchMapEntry> arch_map;
  std::vector<Rule> syscalls;
  bool operator==(const Profile&) const = default;
};

// Parses a profile, checking every field's type and value; the first
// problem is an error naming the field, e.g. "syscalls[0].args[1].index: 6
// is more than 5". Inputs over kMaxProfileBytes, kMaxRules, kMaxNames or
// kMaxDepth are refused before anything is built from them.
Result<Profile> parse_profile(std::string_view json);

// The containerizer's default: an allow-list that withholds what Docker's
// default profile withholds from a container, calls refused with EPERM:
//   - always: keyctl, add_key, request_key, move_pages, migrate_pages,
//     io_uring_*, obsolete calls (create_module, nfsservctl, uselib, vm86,
//     _sysctl, sysfs, ustat, bdflush, ...), and every syscall the list does
//     not name, such as ones newer than it;
//   - unless the container has the capability:
//       CAP_SYS_ADMIN   mount and the new mount API, umount, pivot_root,
//                       swapon/off, unshare, setns, sethostname,
//                       setdomainname, quotactl, fanotify_init,
//                       lookup_dcookie, clone with CLONE_NEW* flags, clone3
//                       (ENOSYS without, so glibc falls back to clone), and
//                       (also with CAP_BPF / CAP_PERFMON / CAP_SYSLOG /
//                       CAP_DAC_READ_SEARCH) bpf, perf_event_open, syslog,
//                       name_to_handle_at
//       CAP_SYS_BOOT    reboot, kexec_load, kexec_file_load
//       CAP_SYS_MODULE  init_module, finit_module, delete_module
//       CAP_SYS_PTRACE  ptrace, process_vm_readv/writev, kcmp, pidfd_getfd,
//                       process_madvise, userfaultfd
//       CAP_SYS_TIME    settimeofday, stime, clock_settime, adjtimex,
//                       clock_adjtime
//       CAP_SYS_RAWIO   iopl, ioperm
//       CAP_SYS_NICE    mbind, get/set_mempolicy (NUMA placement)
//       CAP_SYS_PACCT   acct
//       CAP_SYS_CHROOT  chroot
//       CAP_SYS_TTY_CONFIG vhangup
//       CAP_DAC_READ_SEARCH open_by_handle_at
//   - personality only with the values Docker allows (query, PER_LINUX,
//     PER_LINUX32, UNAME26 and their combination).
// Unlike Docker, ptrace and process_vm_* need CAP_SYS_PTRACE on every kernel,
// and only the native arch is admitted: a syscall through a 32-bit ABI (x86
// and x32 on x86_64, arm on aarch64) kills the process.
Profile default_profile();

// "CAP_SYS_ADMIN" -> 21 (the kernel's numbers, CAP_CHOWN..CAP_CHECKPOINT_RESTORE).
std::optional<int> capability_number(std::string_view name);

// Who writes the program. kRangeTree: seccomp_bpf.cpp for the native arch
// (~60 instructions for the default profile instead of ~400), libseccomp
// for the other arches; it falls back to kLibseccomp for a profile that
// gives one syscall rules of different actions, and on an arch other than
// x86_64 and aarch64. kLibseccomp: libseccomp's program for every arch
// (tests compare the two).
enum class Generator { kRangeTree, kLibseccomp };

struct CompileOptions {
  // The container's capabilities (numbers, as in linux/capability.h),
  // matched against the entries' includes/excludes.
  std::set<int> capabilities{};
  // Matched against includes/excludes minKernel: "6.1.0-13-amd64". Empty
  // means this host's (uname).
  std::string kernel_release{};
  Generator generator = Generator::kRangeTree;
};

struct Filter {
  std::vector<sock_filter> program;           // what install() loads
  std::vector<std::string> unknown_syscalls;  // skipped names, sorted, each once
  Generator generator = Generator::kLibseccomp;  // who wrote `program`
};

// Builds the BPF program for this host's arch. The filter covers the native
// arch and those of its 32-bit ABIs that the profile names (architectures,
// or archMap under the native arch); a syscall from any other arch kills the
// process. Entries whose action is the default action are left out (they
// change nothing). no_new_privs is not part of the filter: the caller sets it.
Result<Filter> compile(const Profile& profile, const CompileOptions& options = {});

// Loads `filter` into the calling thread with seccomp(SECCOMP_SET_MODE_FILTER)
// (prctl(PR_SET_SECCOMP) on kernels without seccomp(2)). Returns 0, or the
// errno: EACCES without no_new_privs or CAP_SYS_ADMIN, EINVAL for an empty or
// malformed program. Async-signal-safe: meant for a child between fork and
// exec.
int install(const Filter& filter) noexcept;

}  // namespace dcos::isolation::seccomp
