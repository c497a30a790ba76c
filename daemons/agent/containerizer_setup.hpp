// The agent's containerizer, set up before the agent reports ready: where
// its containers' cgroups go, and what is left of the containers of an
// earlier run of the agent.
#pragma once

#include <memory>
#include <string>

#include "isolation/containerizer.hpp"
#include "runtime/result.hpp"

namespace dcos::agent {

struct ContainerizerConfig {
  std::string runtime_dir = "/run/dcos/agent";  // --runtime_dir
  std::string cgroups_root;                     // --cgroups_root; "" decides as below
  std::string image_cache;                      // <work_dir>/images unless set
};

// Whether this process is the main process of a systemd unit (systemd 248+
// sets $SYSTEMD_EXEC_PID to it; children inherit the variable, not the pid).
bool started_by_systemd();

// Containers' cgroups go below --cgroups_root when it is given. Else, when
// systemd started the agent (its unit has Delegate=yes), the agent moves
// itself into the leaf "<unit's cgroup>/agent" and its containers become
// siblings of that leaf, as systemd's delegation rules want. Else "/dcos".
// Then the containerizer recovers: it re-attaches to the containers still
// running and destroys those without a record (logged, one line each).
Result<std::unique_ptr<isolation::Containerizer>> start_containerizer(ContainerizerConfig config,
                                                                      const std::string& work_dir);

}  // namespace dcos::agent
