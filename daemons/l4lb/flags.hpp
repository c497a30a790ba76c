// dcos-l4lb's flags (the brief's names): --master, --backend, --vip_range,
// --reconcile_interval, --cleanup, --http_ip, --http_port, --log_level;
// each also from the environment as DCOS_<FLAG>.
#pragma once

#include <cstdint>
#include <string>

#include "netlb/vip_range.hpp"
#include "runtime/duration.hpp"
#include "runtime/flags.hpp"
#include "runtime/log.hpp"

namespace dcos::l4lb {

// auto: IPVS where the kernel has it, else nftables. none: a dry run that
// computes the table and serves it on /vips without touching the kernel.
enum class BackendChoice { automatic, ipvs, nftables, none };

struct DaemonOptions {
  std::string master_host = "127.0.0.1";
  uint16_t master_port = 5050;
  BackendChoice backend = BackendChoice::automatic;
  netlb::VipRange vip_range;  // 11.0.0.0/8
  Duration reconcile_interval = std::chrono::seconds(30);
  bool cleanup = false;
  // 61421, Minuteman's API port; on loopback: /vips and /metrics are for
  // the node itself (dcos vip list, the node's collector).
  std::string http_ip = "127.0.0.1";
  uint16_t http_port = 61421;
  log::Level log_level = log::Level::info;
};

FlagSet make_flags(DaemonOptions* options);

std::string_view backend_name(BackendChoice choice);

}  // namespace dcos::l4lb
