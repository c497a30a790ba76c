#include "daemons/dns/daemon.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "dnsproxy/name.hpp"
#include "netlb/vip_table.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/notify.hpp"

namespace dcos::dns {

namespace asio = boost::asio;

namespace {

ClusterZone::Options zone_options(const DaemonOptions& options) {
  ClusterZone::Options zone;
  zone.domain = options.domain;
  // ns1.<domain> is this server: the first address it listens on.
  zone.ns_address = options.listen.front().first;
  return zone;
}

Result<ForwarderOptions> forwarder_options(const DaemonOptions& options) {
  const auto endpoints = [](const std::vector<Endpoint>& from) {
    std::vector<ForwarderOptions::Endpoint> out;
    for (const auto& [ip, port] : from) out.emplace_back(asio::ip::make_address(ip), port);
    return out;
  };
  ForwarderOptions forwarder;
  forwarder.upstreams = endpoints(options.upstreams);
  for (const auto& [domain, servers] : options.forward_zones) {
    auto wire = name_from_text(domain);
    if (!wire) return Error{"forward zone '" + domain + "': " + wire.error().message};
    forwarder.zones.push_back({std::move(*wire), endpoints(servers)});
  }
  forwarder.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.upstream_timeout);
  forwarder.health.min_backoff = std::chrono::duration_cast<std::chrono::milliseconds>(options.upstream_backoff);
  forwarder.health.max_backoff = std::max<std::chrono::milliseconds>(forwarder.health.min_backoff, std::chrono::seconds(30));
  forwarder.cache.max_entries = options.cache_entries;
  forwarder.cache.max_ttl = std::chrono::duration_cast<std::chrono::seconds>(options.cache_max_ttl);
  forwarder.cache.stale_for = std::chrono::duration_cast<std::chrono::seconds>(options.serve_stale_for);
  return forwarder;
}

}  // namespace

Result<std::unique_ptr<DnsDaemon>> DnsDaemon::create(asio::io_context& io, const DaemonOptions& options) {
  auto daemon = std::make_unique<DnsDaemon>(io, options);
  ServerOptions server;
  for (const auto& [ip, port] : options.listen) server.listen.emplace_back(asio::ip::make_address(ip), port);
  auto allowed = ClientNetworks::parse(options.allow_clients);
  if (!allowed) return allowed.error();
  server.allowed = std::move(*allowed);
  server.ttl = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(options.ttl).count());
  server.max_in_flight = options.max_in_flight;
  if (!options.upstreams.empty() || !options.forward_zones.empty()) {
    auto settings = forwarder_options(options);
    if (!settings) return settings.error();
    auto forwarder = UpstreamForwarder::create(io.get_executor(), *settings);
    if (!forwarder) return forwarder.error();
    daemon->upstream_forwarder_ = forwarder->get();
    daemon->forwarder_ = std::move(*forwarder);
  }
  auto bound = Server::bind(io.get_executor(), std::move(server), daemon->zone_, *daemon->forwarder_);
  if (!bound) return bound.error();
  daemon->server_ = std::move(*bound);
  return daemon;
}

DnsDaemon::DnsDaemon(asio::io_context& io, const DaemonOptions& options)
    : options_(options),
      master_(options.master_host + ":" + std::to_string(options.master_port)),
      zone_(zone_options(options)),
      forwarder_(std::make_unique<RefusingForwarder>(io.get_executor())),
      subscriber_(io.get_executor(), subscriber_options(options), handlers()) {}

StateSubscriberOptions DnsDaemon::subscriber_options(const DaemonOptions& options) {
  StateSubscriberOptions subscriber;
  subscriber.master_host = options.master_host;
  subscriber.master_port = options.master_port;
  subscriber.peer = "dns";
  return subscriber;
}

StateSubscriber::Handlers DnsDaemon::handlers() {
  StateSubscriber::Handlers handlers;
  handlers.snapshot = [this](const ClusterState& state) {
    zone_.reset(state);
    update_vips(state);
  };
  handlers.change = [this](const ClusterState& state, const internal::StateChange& change) {
    zone_.apply(state, change);
    update_vips(state);
  };
  handlers.link = [this](bool up, const std::string& reason) { link(up, reason); };
  return handlers;
}

// The named VIPs as dcos-l4lb computes them, from the same state with the
// same function (netlb/README.md: how the names and the kernel's rules
// line up).
void DnsDaemon::update_vips(const ClusterState& state) {
  auto named = netlb::build_vip_table(state, {.range = options_.vip_range}).named;
  if (named == vips_) return;
  vips_ = std::move(named);
  std::vector<VipName> names;
  for (const auto& vip : vips_)
    names.push_back({vip.key.name, vip.key.framework,
                     std::string(reinterpret_cast<const char*>(vip.address.bytes.data()), vip.address.size())});
  zone_.set_vips(names);
}

void DnsDaemon::start() {
  server_->start();
  subscriber_.start();
}

void DnsDaemon::stop() {
  subscriber_.stop();
  server_->stop();
}

void DnsDaemon::link(bool up, const std::string& reason) {
  if (up) {
    if (ever_up_) log::info("master " + master_ + " is reachable again; the zone follows it");
    ever_up_ = true;
    down_reason_.clear();
    notify::status("following master " + master_);
  } else {
    down_reason_ = reason;
    down_since_ = std::chrono::system_clock::now();
    log::warning("master " + master_ + " is unreachable (" + reason + "); serving the last known zone, " +
                 std::to_string(zone_.names()) + " names, until it is back");
    notify::status("master " + master_ + " unreachable; serving the last known zone");
  }
}

std::string DnsDaemon::health() const {
  const bool connected = subscriber_.connected();
  nlohmann::json body = {{"healthy", true},
                         {"master", master_},
                         {"master_reachable", connected},
                         {"zone", {{"names", zone_.names()}, {"serial", zone_.serial()}}}};
  if (!connected) {
    body["message"] = ever_up_ ? "the master is unreachable (" + down_reason_ + "); serving the last known zone"
                               : "the master has not been reached yet; the cluster zones are empty";
    if (ever_up_)
      body["unreachable_for_seconds"] =
          std::chrono::duration<double>(std::chrono::system_clock::now() - down_since_).count();
  }
  return body.dump();
}

std::string DnsDaemon::metrics() const {
  MetricsText out;
  server_->write_metrics(out);
  if (upstream_forwarder_) upstream_forwarder_->write_metrics(out);
  out.gauge("dcos_dns_master_connected", "Whether the master's state subscription is up",
            subscriber_.connected() ? 1 : 0)
      .gauge("dcos_dns_zone_names", "Names in the cluster zones", static_cast<double>(zone_.names()))
      .counter("dcos_dns_state_snapshots_total", "State snapshots taken from the master",
               static_cast<double>(subscriber_.snapshots()))
      .counter("dcos_dns_state_changes_total", "State changes applied", static_cast<double>(subscriber_.changes()));
  return out.text();
}

void DnsDaemon::install_routes(http::Router& router) {
  router.get("/health", [this](const http::Request&) { return http::Response::json(health()); });
  router.get("/metrics", [this](const http::Request&) {
    auto response = http::Response::text(metrics());
    response.content_type = std::string(MetricsText::kContentType);
    return response;
  });
}

}  // namespace dcos::dns
