// dcos-dns: parses flags, binds the DNS endpoints and the HTTP port,
// follows the master's state and tells systemd once it serves.
#include "daemons/dns/daemon.hpp"
#include "daemons/dns/flags.hpp"
#include "runtime/daemon_flags.hpp"
#include "runtime/listener.hpp"
#include "runtime/log.hpp"
#include "runtime/notify.hpp"
#include "runtime/service.hpp"

int main(int argc, char** argv) {
  using namespace dcos;
  dns::DaemonOptions options;
  FlagSet flags = dns::make_flags(&options);
  if (auto exit_code = parse_or_exit(flags, "dcos-dns", argc, argv)) return *exit_code;
  log::init("dcos-dns", options.log_level);

  boost::asio::io_context io(1);
  auto daemon = dns::DnsDaemon::create(io, options);
  if (!daemon) {
    log::error("cannot serve DNS: " + daemon.error().message);
    return 1;
  }
  http::Router router;
  (*daemon)->install_routes(router);
  auto listener = net::Listener::bind(io.get_executor(),
                                      {boost::asio::ip::make_address(options.http_ip), options.http_port}, router,
                                      nullptr);
  if (!listener) {
    log::error("cannot serve HTTP: " + listener.error().message);
    return 1;
  }
  (*daemon)->start();
  (*listener)->start();
  const std::string listen = flags.values()["listen"];
  log::info("serving DNS on " + listen + ", HTTP on " + options.http_ip + ":" + std::to_string((*listener)->port()) +
            "; following master " + options.master_host + ":" + std::to_string(options.master_port));
  notify::ready("serving DNS on " + listen);
  run_until_signalled(io, [&] {
    (*listener)->stop();
    (*daemon)->stop();
  });
  return 0;
}
