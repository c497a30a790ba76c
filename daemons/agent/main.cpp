// dcos-agent: parses flags, detects the node's resources, recovers its
// checkpointed id and its containers, serves HTTP, and registers with the
// master.
#include "daemons/agent/agent.hpp"
#include "daemons/agent/flags.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/daemon_flags.hpp"
#include "runtime/listener.hpp"
#include "runtime/log.hpp"
#include "runtime/notify.hpp"
#include "runtime/service.hpp"

#include <iostream>

int main(int argc, char** argv) {
  using namespace dcos;
  agent::Config config;
  config.options.hostname = local_hostname();
  config.options.work_dir = "/var/lib/dcos/agent";
  FlagSet flags = agent::make_flags(&config);
  if (auto exit_code = parse_or_exit(flags, "dcos-agent", argc, argv)) return *exit_code;
  if (!flags.was_set("master")) {
    std::cerr << "dcos-agent: no master address: set DCOS_MASTER=HOST:PORT (in /etc/dcos/dcos-agent.env) or --master\n";
    return 2;
  }
  config.options.flags = flags.values();
  log::init("dcos-agent", config.log_level);
  const agent::Options& options = config.options;

  if (auto made = make_directories(options.work_dir); !made) {
    log::error("cannot create the work directory: " + made.error().message);
    return 1;
  }
  auto resources = agent::offered_resources(config);
  if (!resources) {
    log::error(resources.error().message);
    return 1;
  }
  mesos::v1::AgentInfo info;
  info.set_hostname(options.hostname);
  info.set_port(options.port);
  for (const auto& resource : *resources) *info.add_resources() = resource;
  for (const auto& attribute : config.attributes) *info.add_attributes() = attribute;

  boost::asio::io_context io(1);
  agent::Agent agent(io, options, info);
  if (auto recovered = agent.recover(); !recovered) {
    log::error("cannot recover: " + recovered.error().message);
    return 1;
  }
  // Before READY: under systemd the agent first moves into its leaf cgroup;
  // then the tasks of an earlier run are recovered.
  auto containerizer = agent::start_containerizer(config.containerizer, options.work_dir);
  if (!containerizer) {
    log::error("cannot start the containerizer: " + containerizer.error().message);
    return 1;
  }
  agent::TaskBook tasks(io, **containerizer, options.work_dir, options.status_update_retry,
                        options.status_update_retry_max, static_cast<std::size_t>(options.launcher_threads));
  if (agent.info().has_id()) tasks.set_agent_id(agent.info().id().value());
  if (auto recovered = tasks.recover(); !recovered) {
    log::error("cannot recover tasks: " + recovered.error().message);
    return 1;
  }
  agent.set_tasks(&tasks);
  http::Router router;
  agent.install_routes(router);
  auto listener = net::Listener::bind(io.get_executor(), {boost::asio::ip::make_address(options.ip), options.port},
                                      router, nullptr);
  if (!listener) {
    log::error("cannot serve: " + listener.error().message);
    return 1;
  }
  (*listener)->start();
  log::info("agent listening on " + options.ip + ":" + std::to_string((*listener)->port()) + " with resources " +
            format_resources(*resources));
  boost::asio::co_spawn(io, agent.run(), boost::asio::detached);
  notify::ready("recovered; registering with " + options.master_host + ":" + std::to_string(options.master_port));
  run_until_signalled(io, [&] {
    (*listener)->stop();
    agent.stop();
  });
  return 0;
}
