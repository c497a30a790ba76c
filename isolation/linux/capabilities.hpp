// Linux capabilities by name, and the calls that reduce a process to a set.
//
// Names are the kernel's ("CAP_NET_ADMIN"; the "CAP_" prefix is optional and
// case does not matter on input). A set is a 64-bit mask indexed by number.
// apply() is async-signal-safe: the launcher calls it between fork and exec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::isolation::capabilities {

using Set = uint64_t;

inline constexpr int kLast = 40;  // CAP_CHECKPOINT_RESTORE, kernel 5.9

constexpr Set bit(int capability) { return Set{1} << capability; }

// "CAP_CHOWN" for 0; "" past kLast.
std::string_view name(int capability);
// The number of a name, or an error naming it.
Result<int> parse(std::string_view name);
// A comma-separated list ("CHOWN,NET_BIND_SERVICE"); "" is the empty set,
// "ALL" every capability.
Result<Set> parse_list(std::string_view list);
std::vector<std::string> names(Set set);

// What Docker grants a container by default: CHOWN, DAC_OVERRIDE, FSETID,
// FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP,
// NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE.
Set docker_default();

// The two halves of reducing a process to `keep`, both async-signal-safe,
// each returning 0 or the errno of the failed call. The launcher calls
// limit_bounding() while still fully privileged (it needs CAP_SETPCAP), then
// switches user (which needs CAP_SETUID/CAP_SETGID), then set_process().
//
// Drops every capability outside `keep` from the bounding set and clears
// the ambient set: nothing outside `keep` can be regained, even by exec of a
// set-uid or file-capability binary.
// `last` is the running kernel's highest capability (last_capability()).
int limit_bounding(Set keep, int last) noexcept;
// /proc/sys/kernel/cap_last_cap: capabilities a newer kernel has beyond
// kLast are dropped too. kLast when it cannot be read.
int last_capability();
// Permitted, effective and inheritable become `keep` (as far as the process
// holds them). After exec a root process keeps `keep`; another user's
// process has none effective, as with Docker.
int set_process(Set keep) noexcept;

}  // namespace dcos::isolation::capabilities
