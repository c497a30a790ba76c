// Device access for cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program built
// from allow rules, loaded once and attached to each container's cgroup
// (what the v1 devices controller does with devices.allow). Thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include <linux/bpf.h>

#include "runtime/result.hpp"
#include "runtime/unique_fd.hpp"

namespace dcos::isolation {

// One allowed device class, as devices.allow spells it ("c 1:3 rwm").
struct DeviceRule {
  char type;           // 'c', 'b', or 'a' (any)
  int64_t major;       // -1: any
  int64_t minor;       // -1: any
  const char* access;  // of "rwm"
};

namespace device_filter {

// The program: allow what a rule allows, deny everything else.
std::vector<bpf_insn> program(const std::vector<DeviceRule>& rules);
// Loads it (the verifier runs once); the fd is the program.
Result<UniqueFd> load(const std::vector<bpf_insn>& program);
// Attaches a loaded program to the cgroup directory `cgroup_fd`.
Result<void> attach(int cgroup_fd, int program_fd);

}  // namespace device_filter
}  // namespace dcos::isolation
