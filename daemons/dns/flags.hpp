// dcos-dns's flags (the brief's names): --master, --listen, --upstream,
// --forward_zones, --upstream_timeout, --upstream_backoff, --max_in_flight, --cache_entries,
// --cache_max_ttl, --serve_stale_for, --ttl, --domain, --allow_clients,
// --http_ip, --http_port, --log_level; each also from the environment as
// DCOS_<FLAG>.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "netlb/vip_range.hpp"
#include "runtime/duration.hpp"
#include "runtime/flags.hpp"
#include "runtime/log.hpp"
#include "runtime/result.hpp"

namespace dcos::dns {

using Endpoint = std::pair<std::string, uint16_t>;  // an IP address (text) and a port

struct DaemonOptions {
  std::string master_host = "127.0.0.1";
  uint16_t master_port = 5050;
  std::vector<Endpoint> listen = {{"127.0.0.1", 53}};
  // Resolvers for every name outside the cluster zones and forward zones.
  std::vector<Endpoint> upstreams;
  // Domains sent to their own servers: (domain as given, servers).
  std::vector<std::pair<std::string, std::vector<Endpoint>>> forward_zones;
  Duration upstream_timeout = std::chrono::seconds(2);
  Duration upstream_backoff = std::chrono::seconds(1);
  uint64_t max_in_flight = 1024;
  uint64_t cache_entries = 10000;
  Duration cache_max_ttl = std::chrono::hours(1);
  Duration serve_stale_for = std::chrono::seconds(30);
  Duration ttl = std::chrono::seconds(5);
  std::string domain = "mesos";
  std::string allow_clients = "local";
  // --vip_range: named VIPs' addresses, as dcos-l4lb computes them (netlb/vip_table.hpp).
  netlb::VipRange vip_range;
  // 8123, Mesos-DNS's HTTP port; on loopback: /metrics is for the node's
  // own collector.
  std::string http_ip = "127.0.0.1";
  uint16_t http_port = 8123;
  log::Level log_level = log::Level::info;
};

FlagSet make_flags(DaemonOptions* options);

// "IP[:PORT][,IP[:PORT]...]" (IPv6 as "[::1]:53"), the port `default_port`
// when left out; every IP checked.
Result<std::vector<Endpoint>> parse_endpoints(std::string_view text, uint16_t default_port);

// --forward_zones: "DOMAIN=IP[:PORT][,IP[:PORT]...][;DOMAIN=...]", e.g.
// "corp.example.com=10.0.0.1,10.0.0.2:5353;consul=127.0.0.1:8600"; each
// domain checked as a DNS name, each server as parse_endpoints() does. An
// empty text is no zones.
Result<std::vector<std::pair<std::string, std::vector<Endpoint>>>> parse_forward_zones(std::string_view text);

}  // namespace dcos::dns
