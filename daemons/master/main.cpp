// dcos-master: parses flags, recovers the registry, serves agents and HTTP
// on one port, and tells systemd when it is ready.
#include "daemons/master/flags.hpp"
#include "daemons/master/master.hpp"
#include "runtime/daemon_flags.hpp"
#include "runtime/listener.hpp"
#include "runtime/log.hpp"
#include "runtime/notify.hpp"
#include "runtime/service.hpp"

int main(int argc, char** argv) {
  using namespace dcos;
  master::Options options;
  options.hostname = local_hostname();
  options.work_dir = "/var/lib/dcos/master";
  log::Level level = log::Level::info;
  FlagSet flags = master::make_flags(&options, &level);
  if (auto exit_code = parse_or_exit(flags, "dcos-master", argc, argv)) return *exit_code;
  options.flags = flags.values();
  log::init("dcos-master", level);

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
      io.get_executor(), {boost::asio::ip::make_address(options.ip), options.port}, router,
      [&master](std::shared_ptr<net::Connection> c) { return master.serve_framed(std::move(c)); }, listener_options);
  if (!listener) {
    log::error("cannot serve: " + listener.error().message);
    return 1;
  }
  master.start();
  (*listener)->start();
  log::info("master " + master.id() + " listening on " + options.ip + ":" + std::to_string((*listener)->port()),
            {{"MASTER_ID", master.id()}});
  notify::ready("serving on port " + std::to_string((*listener)->port()));
  run_until_signalled(io, [&] {
    (*listener)->stop();
    master.stop();
  });
  return 0;
}
