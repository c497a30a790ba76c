#include "daemons/l4lb/flags.hpp"

#include "runtime/daemon_flags.hpp"
#include "runtime/http_client.hpp"

namespace dcos::l4lb {

std::string_view backend_name(BackendChoice choice) {
  switch (choice) {
    case BackendChoice::ipvs:
      return "ipvs";
    case BackendChoice::nftables:
      return "nftables";
    case BackendChoice::none:
      return "none";
    case BackendChoice::automatic:
      break;
  }
  return "auto";
}

FlagSet make_flags(DaemonOptions* options) {
  FlagSet flags("dcos-l4lb",
                "The node's layer-4 load balancer: VIPs from the master's state, balanced by the kernel.");
  http::add_host_port_flag(flags, "master", "The master, as host:port", &options->master_host, &options->master_port);
  flags.add("backend",
            "The kernel datapath: auto (IPVS where the kernel has it, else nftables), ipvs, nftables, or none "
            "(a dry run: the table on /vips, the kernel untouched)",
            std::string(backend_name(options->backend)), [options](std::string_view text) -> Result<void> {
              for (const auto choice :
                   {BackendChoice::automatic, BackendChoice::ipvs, BackendChoice::nftables, BackendChoice::none})
                if (text == backend_name(choice)) {
                  options->backend = choice;
                  return {};
                }
              return Error{"'" + std::string(text) + "' is not auto, ipvs, nftables or none"};
            });
  netlb::add_vip_range_flag(flags, &options->vip_range);
  add_positive_duration_flag(flags, "reconcile_interval",
                             "How often the kernel's rules are read back and brought to the wanted table",
                             &options->reconcile_interval);
  flags.add("cleanup", "On shutdown, remove every rule and VIP address dcos-l4lb owns", &options->cleanup);
  add_http_flags(flags, &options->http_ip, &options->http_port, "/health, /metrics, /vips");
  add_log_level_flag(flags, &options->log_level);
  return flags;
}

}  // namespace dcos::l4lb
