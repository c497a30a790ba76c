// dcos-agent: parses flags, detects the node's resources, recovers its
// checkpointed id, serves HTTP, and registers with the master.
#include <unistd.h>

#include "runtime/asio.hpp"
#include <boost/asio/ip/address.hpp>
#include <iostream>

#include "daemons/agent/agent.hpp"
#include "daemons/agent/node_resources.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/flags.hpp"
#include "runtime/http_client.hpp"
#include "runtime/listener.hpp"
#include "runtime/log.hpp"
#include "runtime/notify.hpp"
#include "runtime/service.hpp"

namespace {

int usage_error(const std::string& message) {
  std::cerr << "dcos-agent: " << message << "\n";
  return 2;
}

std::string local_hostname() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 ? name : "localhost";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dcos;
  agent::Options options;
  options.hostname = local_hostname();
  options.work_dir = "/var/lib/dcos/agent";
  std::string master = "127.0.0.1:5050";
  std::string resources_text;
  std::string attributes_text;
  std::string log_level = "info";

  FlagSet flags("dcos-agent", "The cluster's agent: registers this node's resources with the master.");
  flags.add("master", "The master, as host:port", &master);
  flags.add("ip", "IP address to listen on", &options.ip);
  flags.add("port", "Port to listen on (HTTP)", &options.port);
  flags.add("hostname", "Hostname the agent advertises", &options.hostname);
  flags.add("work_dir", "Directory for the agent's checkpoints", &options.work_dir);
  flags.add("resources", "Resources to offer, overriding detection by name: cpus:2;mem:1024;ports:[31000-32000]",
            &resources_text);
  flags.add("attributes", "Attributes of this node: rack:r1;zone:z2", &attributes_text);
  flags.add("default_role", "Role of the node's resources: * for private agents, slave_public for public ones",
            &options.default_role);
  flags.add("registration_backoff_factor", "First delay before reconnecting to a lost master; doubles up to 1mins",
            &options.backoff_factor);
  flags.add("log_level", "Least level logged: debug, info, warning, error", &log_level);

  if (auto parsed = flags.parse(argc, argv, environ); !parsed) return usage_error(parsed.error().message);
  if (flags.help_requested()) {
    std::cout << flags.usage();
    return 0;
  }
  log::Level level;
  if (!log::parse_level(log_level, &level)) return usage_error("bad value for --log_level: '" + log_level + "'");
  auto master_address = http::split_host_port(master, 5050);
  if (!master_address) return usage_error("bad value for --master: " + master_address.error().message);
  std::tie(options.master_host, options.master_port) = *master_address;
  if (options.backoff_factor <= Duration::zero()) return usage_error("bad value for --registration_backoff_factor: must be positive");
  auto overrides = parse_resources(resources_text, options.default_role);
  if (!overrides) return usage_error("bad value for --resources: " + overrides.error().message);
  auto attributes = parse_attributes(attributes_text);
  if (!attributes) return usage_error("bad value for --attributes: " + attributes.error().message);
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(options.ip, ec);
  if (ec) return usage_error("bad value for --ip: '" + options.ip + "' is not an IP address");
  log::init("dcos-agent", level);

  if (auto made = make_directories(options.work_dir); !made) {
    log::error("cannot create the work directory: " + made.error().message);
    return 1;
  }
  auto detected = agent::detect_resources(options.work_dir, options.default_role);
  if (!detected) {
    log::error("cannot detect the node's resources: " + detected.error().message);
    return 1;
  }
  mesos::v1::AgentInfo info;
  info.set_hostname(options.hostname);
  info.set_port(options.port);
  for (const auto& r : override_resources(*detected, *overrides)) *info.add_resources() = r;
  for (const auto& a : *attributes) *info.add_attributes() = a;

  boost::asio::io_context io(1);
  agent::Agent agent(io, options, info);
  if (auto recovered = agent.recover(); !recovered) {
    log::error("cannot recover: " + recovered.error().message);
    return 1;
  }
  http::Router router;
  agent.install_routes(router);
  auto listener = net::Listener::bind(io.get_executor(), {address, options.port}, router, nullptr);
  if (!listener) {
    log::error("cannot serve: " + listener.error().message);
    return 1;
  }
  (*listener)->start();
  log::info("agent listening on " + options.ip + ":" + std::to_string((*listener)->port()) + " with resources " +
            format_resources(Resources(info.resources().begin(), info.resources().end())));
  boost::asio::co_spawn(io, agent.run(), boost::asio::detached);
  notify::ready("recovered; registering with " + master);
  run_until_signalled(io, [&] {
    (*listener)->stop();
    agent.stop();
  });
  return 0;
}
