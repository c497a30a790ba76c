// dcos-l4lb: parses flags, opens the kernel datapath, binds the HTTP port,
// follows the master's state into the kernel and tells systemd once it
// serves.
#include "daemons/l4lb/backend.hpp"
#include "daemons/l4lb/daemon.hpp"
#include "daemons/l4lb/flags.hpp"
#include "runtime/daemon_flags.hpp"
#include "runtime/listener.hpp"
#include "runtime/log.hpp"
#include "runtime/notify.hpp"
#include "runtime/service.hpp"

int main(int argc, char** argv) {
  using namespace dcos;
  l4lb::DaemonOptions options;
  FlagSet flags = l4lb::make_flags(&options);
  if (auto exit_code = parse_or_exit(flags, "dcos-l4lb", argc, argv)) return *exit_code;
  log::init("dcos-l4lb", options.log_level);

  auto backend = l4lb::open_backend(options.backend);
  if (!backend) {
    log::error("cannot open the datapath: " + backend.error().message);
    return 1;
  }
  const std::string datapath(backend->datapath->name());
  boost::asio::io_context io(1);
  l4lb::L4lbDaemon daemon(io, options, std::move(*backend));
  http::Router router;
  daemon.install_routes(router);
  auto listener = net::Listener::bind(io.get_executor(),
                                      {boost::asio::ip::make_address(options.http_ip), options.http_port}, router,
                                      nullptr);
  if (!listener) {
    log::error("cannot serve HTTP: " + listener.error().message);
    return 1;
  }
  daemon.start();
  (*listener)->start();
  log::info("programming the " + datapath + " datapath, HTTP on " + options.http_ip + ":" +
            std::to_string((*listener)->port()) + "; following master " + options.master_host + ":" +
            std::to_string(options.master_port));
  notify::ready("programming the " + datapath + " datapath");
  run_until_signalled(io, [&] {
    (*listener)->stop();
    daemon.stop();
  });
  return 0;
}
