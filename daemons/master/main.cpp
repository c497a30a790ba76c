// dcos-master: parses flags, recovers the registry, serves agents and HTTP
// on one port, and tells systemd when it is ready.
#include <unistd.h>

#include "runtime/asio.hpp"
#include <boost/asio/ip/address.hpp>
#include <iostream>

#include "daemons/master/master.hpp"
#include "runtime/flags.hpp"
#include "runtime/listener.hpp"
#include "runtime/log.hpp"
#include "runtime/notify.hpp"
#include "runtime/service.hpp"

namespace {

std::string local_hostname() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 ? name : "localhost";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dcos;
  master::Options options;
  options.hostname = local_hostname();
  options.work_dir = "/var/lib/dcos/master";
  int64_t max_pings = options.max_missed_pings;
  std::string log_level = "info";

  FlagSet flags("dcos-master", "The cluster's master: admits agents, tracks them, serves /master/state.");
  flags.add("ip", "IP address to listen on", &options.ip);
  flags.add("port", "Port to listen on, for agents and HTTP", &options.port);
  flags.add("hostname", "Hostname the master advertises", &options.hostname);
  flags.add("work_dir", "Directory for the registry", &options.work_dir);
  flags.add("agent_ping_timeout", "How often each agent is pinged; a ping unanswered by the next is missed",
            &options.ping_interval);
  flags.add("max_agent_ping_timeouts", "Missed pings after which an agent is unreachable", &max_pings);
  flags.add("agent_reregister_timeout",
            "How long agents of the registry have to re-register after a master start before they are unreachable",
            &options.reregister_timeout);
  flags.add("log_level", "Least level logged: debug, info, warning, error", &log_level);

  if (auto parsed = flags.parse(argc, argv, environ); !parsed) {
    std::cerr << "dcos-master: " << parsed.error().message << "\n";
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.usage();
    return 0;
  }
  log::Level level;
  if (!log::parse_level(log_level, &level)) {
    std::cerr << "dcos-master: bad value for --log_level: '" << log_level << "' (debug, info, warning, error)\n";
    return 2;
  }
  if (max_pings < 1 || max_pings > 1000) {
    std::cerr << "dcos-master: bad value for --max_agent_ping_timeouts: " << max_pings << " (1-1000)\n";
    return 2;
  }
  if (options.ping_interval <= Duration::zero()) {
    std::cerr << "dcos-master: bad value for --agent_ping_timeout: must be positive\n";
    return 2;
  }
  options.max_missed_pings = static_cast<uint32_t>(max_pings);
  log::init("dcos-master", level);

  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(options.ip, ec);
  if (ec) {
    std::cerr << "dcos-master: bad value for --ip: '" << options.ip << "' is not an IP address\n";
    return 2;
  }

  boost::asio::io_context io(1);
  auto registry = master::Registry::recover(io.get_executor(), options.work_dir);
  if (!registry) {
    log::error("cannot recover the registry: " + registry.error().message);
    return 1;
  }
  master::Master master(io, options, std::move(*registry));
  http::Router router;
  master.install_routes(router);
  net::ListenerOptions listener_options;
  listener_options.framed.counters = &master.counters();
  auto listener = net::Listener::bind(
      io.get_executor(), {address, options.port}, router,
      [&master](std::shared_ptr<net::Connection> c) { return master.serve_agent(std::move(c)); }, listener_options);
  if (!listener) {
    log::error("cannot serve: " + listener.error().message);
    return 1;
  }
  master.start();
  (*listener)->start();
  log::info("master " + master.id() + " listening on " + options.ip + ":" + std::to_string((*listener)->port()),
            {{"MASTER_ID", master.id()}});
  notify::ready("serving on port " + std::to_string((*listener)->port()));
  run_until_signalled(io, [&] { (*listener)->stop(); });
  return 0;
}
