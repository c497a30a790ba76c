#include "daemons/agent/containerizer_setup.hpp"

#include <unistd.h>

#include <cstdlib>

#include "isolation/cgroups.hpp"
#include "isolation/linux_containerizer.hpp"
#include "runtime/log.hpp"

namespace dcos::agent {

bool started_by_systemd() {
  const char* pid = std::getenv("SYSTEMD_EXEC_PID");
  return pid != nullptr && std::to_string(::getpid()) == pid;
}

Result<std::unique_ptr<isolation::Containerizer>> start_containerizer(ContainerizerConfig config,
                                                                      const std::string& work_dir) {
  auto host = isolation::detect_host_cgroups();
  if (!host) return Error{"cgroups: " + host.error().message};
  if (config.cgroups_root.empty()) {
    if (started_by_systemd()) {
      auto root = isolation::enter_delegated_leaf(*host);
      if (!root) return Error{"cgroups: cannot use the unit's delegated cgroup: " + root.error().message};
      log::info("moved into the leaf cgroup " + *root + "/agent; containers go beside it");
      config.cgroups_root = *root;
    } else {
      config.cgroups_root = "/dcos";
    }
  }
  isolation::LinuxContainerizerOptions options;
  options.runtime_dir = config.runtime_dir;
  options.image_cache = config.image_cache.empty() ? work_dir + "/images" : config.image_cache;
  options.scratch_dir = work_dir + "/containers";
  options.cgroups_root = config.cgroups_root;
  options.host = *host;
  auto containerizer = isolation::LinuxContainerizer::create(options);
  if (!containerizer) return containerizer.error();
  auto report = (*containerizer)->recover();
  if (!report) return Error{"recover containers: " + report.error().message};
  for (const auto& id : report->recovered) log::info("re-attached to container " + id, {{"CONTAINER_ID", id}});
  for (const auto& id : report->destroyed)
    log::warning("destroyed container " + id + ": no record of it, or its supervisor was gone", {{"CONTAINER_ID", id}});
  log::info("containerizer ready: cgroup " + std::string((*containerizer)->cgroups().version()) + " below " +
            config.cgroups_root + ", runtime state in " + config.runtime_dir);
  return std::unique_ptr<isolation::Containerizer>(std::move(*containerizer));
}

}  // namespace dcos::agent
