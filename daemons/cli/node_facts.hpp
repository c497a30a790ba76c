// What `dcos node diagnostics` reads of the node besides systemd: the
// daemons' HTTP endpoints, the cgroup layout and the agent's subtree, and
// the versions of the installed packages.
//
// Blocking, every wait bounded; thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/result.hpp"

namespace dcos::cli {

// One GET of a daemon's endpoint and what came of it.
struct Probe {
  std::string daemon;   // "dcos-master"
  std::string address;  // "127.0.0.1:5050"
  std::string path;     // "/health"
  bool answered = false;
  unsigned status = 0;  // the HTTP status when answered
  std::string error;    // why it did not answer
  std::string body;
  double seconds = 0;
};

Probe probe(const std::string& daemon, const std::string& host, uint16_t port, const std::string& path,
            std::chrono::milliseconds timeout);

// The probe as JSON (without its body): daemon, url, answered, status or
// error, seconds.
nlohmann::json probe_json(const Probe& probe);

// The cgroup layout (unified, hybrid, legacy), the mount point of each
// hierarchy, and the cgroup and cgroup2 lines of /proc/self/mountinfo.
Result<nlohmann::json> cgroup_layout_json();

struct SubtreeLimits {
  int depth = 4;            // levels below each root
  size_t cgroups = 2000;    // listed in all, at most
};

// The cgroups below each of `roots` (paths inside the hierarchies, such as
// the agent unit's ControlGroup or its --cgroups_root) in every hierarchy
// that has them, one per line with its process count and the usage and
// limit files present there:
//   memory /dcos/c1  procs=2 memory.usage_in_bytes=1234 memory.limit_in_bytes=67108864
std::string cgroup_subtree_text(const std::vector<std::string>& roots, const SubtreeLimits& limits = {});

// The cgroups of each process named `comm` (its /proc/PID/cgroup), for
// finding the agent without systemd: "pid 123:\n<its /proc/123/cgroup>".
std::string process_cgroups_text(const std::string& comm, size_t max_processes = 16);

// Runs a program (searched in PATH) with `args`, at most `timeout`: its
// exit status (-1 if killed or not run) and up to `max_output` bytes of
// its stdout and stderr.
struct ProgramOutput {
  int status = -1;
  std::string output;
};
Result<ProgramOutput> run_program_output(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                         size_t max_output = 1024 * 1024);

// The dcos packages dpkg knows ("dcos-*": name -> "version status"), or
// why there are none.
nlohmann::json package_versions();

}  // namespace dcos::cli
