#include "daemons/dns/flags.hpp"

#include <arpa/inet.h>

#include "dnsproxy/client_networks.hpp"
#include "dnsproxy/name.hpp"
#include "runtime/daemon_flags.hpp"
#include "runtime/http_client.hpp"

namespace dcos::dns {

namespace {

bool is_ip(const std::string& text) {
  unsigned char bytes[16];
  return inet_pton(AF_INET, text.c_str(), bytes) == 1 || inet_pton(AF_INET6, text.c_str(), bytes) == 1;
}

std::string endpoints_text(const std::vector<Endpoint>& endpoints) {
  std::string out;
  for (const auto& [ip, port] : endpoints) {
    if (!out.empty()) out += ",";
    out += (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
  }
  return out;
}

}  // namespace

Result<std::vector<Endpoint>> parse_endpoints(std::string_view text, uint16_t default_port) {
  std::vector<Endpoint> endpoints;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = text.find(',', start);
    const std::string item(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    auto split = http::split_host_port(item, default_port);
    if (!split) return Error{"'" + item + "': " + split.error().message};
    if (!is_ip(split->first)) return Error{"'" + item + "' is not IP[:PORT]"};
    if (split->second == 0) return Error{"'" + item + "' has port 0"};
    endpoints.push_back(*split);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return endpoints;
}

Result<std::vector<std::pair<std::string, std::vector<Endpoint>>>> parse_forward_zones(std::string_view text) {
  std::vector<std::pair<std::string, std::vector<Endpoint>>> zones;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = text.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos || equals == 0)
      return Error{"'" + std::string(item) + "' is not DOMAIN=IP[:PORT][,IP[:PORT]...]"};
    const std::string_view domain = item.substr(0, equals);
    if (auto wire = name_from_text(domain); !wire) {
      return Error{"forward zone '" + std::string(domain) + "': " + wire.error().message};
    } else if (*wire == std::string(1, '\0')) {
      return Error{"forward zone '.': the root is what --upstream is for"};
    }
    auto servers = parse_endpoints(item.substr(equals + 1), 53);
    if (!servers) return Error{"forward zone '" + std::string(domain) + "': " + servers.error().message};
    zones.emplace_back(std::string(domain), std::move(*servers));
  }
  return zones;
}

FlagSet make_flags(DaemonOptions* options) {
  FlagSet flags("dcos-dns", "The node's DNS server: answers the cluster's names from the master's state.");
  flags.add("master", "The master, as host:port", options->master_host + ":" + std::to_string(options->master_port),
            [options](std::string_view text) -> Result<void> {
              auto address = http::split_host_port(std::string(text), 5050);
              if (!address) return address.error();
              std::tie(options->master_host, options->master_port) = *address;
              return {};
            });
  const auto endpoints_flag = [&flags](std::string name, std::string help, std::vector<Endpoint>* target,
                                       uint16_t default_port) {
    flags.add(std::move(name), std::move(help), endpoints_text(*target),
              [target, default_port](std::string_view text) -> Result<void> {
                auto endpoints = parse_endpoints(text, default_port);
                if (!endpoints) return endpoints.error();
                *target = std::move(*endpoints);
                return {};
              });
  };
  endpoints_flag("listen", "Where to serve DNS (UDP and TCP), as IP:PORT[,...]", &options->listen, 53);
  endpoints_flag("upstream",
                 "Resolvers for names outside the cluster zones, as IP[:PORT][,...], tried in this order (a sick "
                 "one is skipped until it answers again); without any, such names get REFUSED",
                 &options->upstreams, 53);
  flags.add("forward_zones",
            "Domains sent to their own resolvers instead of --upstream, as "
            "DOMAIN=IP[:PORT][,IP[:PORT]...][;DOMAIN=...] (e.g. corp.example.com=10.0.0.1,10.0.0.2;consul=127.0.0.1:8600); "
            "the longest matching domain wins",
            "", [options](std::string_view text) -> Result<void> {
              auto zones = parse_forward_zones(text);
              if (!zones) return zones.error();
              options->forward_zones = std::move(*zones);
              return {};
            });
  add_positive_duration_flag(flags, "upstream_timeout",
                             "How long one upstream has to answer before the next is asked", &options->upstream_timeout);
  add_positive_duration_flag(flags, "upstream_backoff",
                             "How long an upstream that failed 3 queries in a row is skipped before one query "
                             "probes it; doubled after each failed probe, up to 30 s or this",
                             &options->upstream_backoff);
  add_count_flag(flags, "max_in_flight", "Forwarded queries awaiting an answer at once; more get REFUSED",
                 &options->max_in_flight, 1, 1000000);
  add_count_flag(flags, "cache_entries", "Forwarded answers kept in the cache (0: no cache)", &options->cache_entries,
                 0, 10000000);
  add_positive_duration_flag(flags, "cache_max_ttl", "The longest a forwarded answer is kept, whatever its TTL",
                             &options->cache_max_ttl);
  add_positive_duration_flag(flags, "serve_stale_for",
                             "How long past its TTL a cached answer may still be served while every upstream fails",
                             &options->serve_stale_for);
  add_positive_duration_flag(flags, "ttl", "TTL of the cluster zones' records, and of their negative answers",
                             &options->ttl);
  flags.add("domain", "The cluster's domain (Mesos-DNS's): leader.<domain>, <task>.<framework>.<domain>",
            options->domain, [options](std::string_view text) -> Result<void> {
              auto wire = name_from_text(text);
              if (!wire) return wire.error();
              if (*wire == std::string(1, '\0')) return Error{"the domain cannot be the root"};
              std::string domain(text);
              if (domain.ends_with('.')) domain.pop_back();
              options->domain = domain;
              return {};
            });
  flags.add("allow_clients",
            "Clients answered, as CIDRs (10.0.0.0/8,fd00::/8); \"local\" is loopback and this node's own addresses; "
            "others are ignored",
            options->allow_clients, [options](std::string_view text) -> Result<void> {
              if (auto networks = ClientNetworks::parse(text); !networks) return networks.error();
              options->allow_clients = std::string(text);
              return {};
            });
  netlb::add_vip_range_flag(flags, &options->vip_range);
  add_http_flags(flags, &options->http_ip, &options->http_port, "/health, /metrics");
  add_log_level_flag(flags, &options->log_level);
  return flags;
}

}  // namespace dcos::dns
