// `dcos node list`: the agents of the master's /master/state, as a table for
// people or as JSON for programs.
//
// The state lists agents in three places; each gets a status:
//   slaves               "active" (connected) or "inactive" (registered,
//                        connection down)
//   recovered_slaves     "recovered" (in the registry, not re-registered
//                        since the master started)
//   unreachable_agents   "unreachable"
// Agents are sorted by hostname, then id. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/result.hpp"

namespace dcos::cli {

struct Agent {
  std::string hostname;
  std::string ip;  // from the pid, "slave(1)@IP:PORT"; "" if unknown ("-" in the table)
  std::string id;
  std::string type;
  std::string status;
  double cpus = 0;
  double mem = 0;         // MiB
  double disk = 0;        // MiB
  nlohmann::json object;  // as the master sent it, plus "status"
};

// Errors name the offending field: "slaves[2].resources.cpus is not a number".
Result<std::vector<Agent>> agents_from_state(const nlohmann::json& state);

// HOSTNAME IP ID TYPE STATUS CPUS MEM (MiB) DISK (MiB); "no agents" under
// the header when there are none.
std::string node_table(const std::vector<Agent>& agents);

// A JSON array of the agent objects, 2-space indent, newline-terminated.
std::string node_json(const std::vector<Agent>& agents);

}  // namespace dcos::cli
