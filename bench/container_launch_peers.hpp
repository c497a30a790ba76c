// The launches container-launch-bench times as whole programs: our
// dcos-container CLI, crun and runc (an OCI bundle the benchmark writes),
// and the unshare wrapper crun needs on a hybrid host.
//
// run_timed() starts a program in a process group of its own (so that a
// Ctrl-C at the terminal reaches the benchmark, which stops between
// launches, and not a runtime halfway through a container), with stdin from
// /dev/null and stdout and stderr in a log file, and waits for it, bounded.
// oci_config() is config.json of a bundle with the limits, namespaces,
// capabilities and seccomp filter our containerizer applies by default, so
// that the peers do the same work. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/result.hpp"

namespace dcos::bench {

// The program's path on $PATH, or "" when it is not there.
std::string find_program(const std::string& name);

// Wall time from spawn to reaping `argv` in ms; an error (with the exit
// status and the log's last lines) unless it exited 0 within `timeout`.
Result<double> run_timed(const std::vector<std::string>& argv, const std::string& log_path,
                         std::chrono::milliseconds timeout);

struct BundleSpec {
  std::string rootfs;        // absolute
  std::string cgroups_path;  // relative to each hierarchy's mount: "/dcos-bench-1/crun/c-0"
  std::string hostname;
  uint64_t memory_bytes = 0;
  uint64_t pids = 0;
  uint64_t cpu_shares = 0;  // v1 shares; the runtimes convert to cpu.weight on v2
  bool read_only = false;   // root.readonly
  // A cgroup namespace (ours has one on v2); /sys/fs/cgroup is mounted
  // read-only either way, as ours.
  bool cgroup_namespace = false;
};

// The OCI runtime spec (1.0) config.json for `spec`, running /bin/true.
nlohmann::json oci_config(const BundleSpec& spec);

}  // namespace dcos::bench
