// `dcos node diagnostics`: a bundle (a tar.gz) of what an operator needs to
// see why this node is unwell, and a summary of what looks unhealthy.
//
// The bundle holds, under one folder named like the file:
//   summary.json            the summary (what --json prints)
//   host.json               host name, time, kernel, the CLI's version
//   units/<unit>.json       each dcos unit's properties, as `systemctl show`
//                           (or units/README.txt saying why there are none)
//   journal/<unit>.jsonl    the unit's last journal entries with their fields,
//   journal/<unit>.txt      and the same as text lines
//   endpoints.json          each GET below: answered or why not, status, time
//   endpoints/<daemon>_<path>.json|.txt   what each endpoint answered
//                           (dcos-master, dcos-agent, dcos-dns, dcos-l4lb)
//   versions.json           the CLI's, each daemon's (from its state), dpkg's
//   cgroups/layout.json     the cgroup layout and mounts
//   cgroups/agent-subtree.txt    the agent's cgroups and their usage
//   cgroups/agent-processes.txt  /proc/PID/cgroup of each dcos-agent process
// A daemon that does not answer within the timeout is recorded as such.
// Exit codes: 0 the bundle was written (whatever it found); 1 it could
// not be. Thread-safe as far as the streams are.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemons/cli/node_facts.hpp"
#include "daemons/cli/systemd_facts.hpp"

namespace dcos::cli {

struct DaemonAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
};

struct DiagnosticsOptions {
  DaemonAddress master{"127.0.0.1", 5050};
  DaemonAddress agent{"127.0.0.1", 5051};
  DaemonAddress dns{"127.0.0.1", 8123};
  DaemonAddress l4lb{"127.0.0.1", 61421};
  std::string output;  // "" -> default_bundle_name() in the working directory
  std::chrono::milliseconds timeout{std::chrono::seconds(2)};  // for each endpoint
  JournalLimits journal;
};

// One line of the summary: a unit or daemon, and what is wrong with it.
struct Problem {
  std::string what;
  std::string problem;
};

// Failed units, units restarting or restarted, units that cannot load.
std::vector<Problem> unit_problems(const std::vector<UnitFacts>& units);
// Daemons not answering, answering with an error, or saying they are
// unhealthy (and an agent not registered, a DNS server without its master),
// except daemons whose unit (<daemon>.service) systemd says is not
// installed here (`units`: LoadState not-found): a master node has no agent.
std::vector<Problem> probe_problems(const std::vector<Probe>& probes, const std::vector<UnitFacts>& units = {});

struct Summary {
  std::string bundle;
  std::string host;
  std::string time;  // ISO 8601, UTC
  size_t files = 0;
  std::string systemd_absent;  // systemd_absent_reason()
  std::vector<Problem> unhealthy;
};

nlohmann::json summary_json(const Summary& summary);
// The bundle's path, then a table of the problems (or a line saying there
// are none).
std::string summary_text(const Summary& summary);

// Collects everything, showing progress on `progress` (rewriting one line
// when `in_place`), and prints the summary on `out` (JSON with `json`).
int node_diagnostics(const DiagnosticsOptions& options, bool json, bool in_place, std::ostream& out,
                     std::ostream& progress);

}  // namespace dcos::cli
