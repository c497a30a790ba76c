// dcos-dns put together: follows the master's state (StateSubscriber) into
// the cluster zones (ClusterZone), serves them (Server), forwards the other
// names to the upstreams (UpstreamForwarder, with --upstream or
// --forward_zones), and reports on /health and /metrics.
//
// While the master is unreachable the last known zone keeps being served;
// /health says so and the log says so once when the link goes down and
// once when it comes back. Use from the io_context's thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "daemons/dns/flags.hpp"
#include "netlb/vip_table.hpp"
#include "dnsproxy/cluster_zone.hpp"
#include "dnsproxy/forwarder.hpp"
#include "dnsproxy/server.hpp"
#include "dnsproxy/upstream_forwarder.hpp"
#include "runtime/http.hpp"
#include "runtime/state_subscriber.hpp"

namespace dcos::dns {

class DnsDaemon {
 public:
  // Binds the DNS endpoints; an Error says which could not be bound.
  static Result<std::unique_ptr<DnsDaemon>> create(boost::asio::io_context& io, const DaemonOptions& options);

  void start();
  void stop();
  void install_routes(http::Router& router);

  DnsDaemon(boost::asio::io_context& io, const DaemonOptions& options);

 private:
  static StateSubscriberOptions subscriber_options(const DaemonOptions& options);
  StateSubscriber::Handlers handlers();
  void link(bool up, const std::string& reason);
  void update_vips(const ClusterState& state);
  std::string health() const;
  std::string metrics() const;

  DaemonOptions options_;
  std::string master_;  // host:port, for messages
  ClusterZone zone_;
  std::unique_ptr<Forwarder> forwarder_;  // REFUSED for every name until upstreams are configured
  UpstreamForwarder* upstream_forwarder_ = nullptr;  // forwarder_, when it is one (its /metrics)
  std::unique_ptr<Server> server_;
  StateSubscriber subscriber_;
  bool ever_up_ = false;
  std::string down_reason_;
  std::chrono::system_clock::time_point down_since_{};
  std::vector<netlb::NamedVip> vips_;  // what the zone has under l4lb.<directory>
};

}  // namespace dcos::dns
