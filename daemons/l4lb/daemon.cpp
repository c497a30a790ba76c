#include "daemons/l4lb/daemon.hpp"

#include <map>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/notify.hpp"

namespace dcos::l4lb {

namespace asio = boost::asio;

namespace {

StateSubscriberOptions subscriber_options(const DaemonOptions& options) {
  StateSubscriberOptions subscriber;
  subscriber.master_host = options.master_host;
  subscriber.master_port = options.master_port;
  subscriber.peer = "l4lb";
  return subscriber;
}

std::size_t backends(const netlb::VipTable& table) {
  std::size_t count = 0;
  for (const auto& [key, service] : table) count += service.destinations.size();
  return count;
}

}  // namespace

L4lbDaemon::L4lbDaemon(asio::io_context& io, const DaemonOptions& options, Backend backend)
    : io_(io),
      options_(options),
      kernel_(std::move(backend)),
      master_(options.master_host + ":" + std::to_string(options.master_port)),
      subscriber_(io.get_executor(), subscriber_options(options), handlers()),
      reconcile_timer_(io),
      retry_timer_(io) {}

StateSubscriber::Handlers L4lbDaemon::handlers() {
  StateSubscriber::Handlers handlers;
  handlers.snapshot = [this](const ClusterState&) { schedule_sync(); };
  handlers.change = [this](const ClusterState&, const internal::StateChange&) { schedule_sync(); };
  handlers.link = [this](bool up, const std::string& reason) { link(up, reason); };
  return handlers;
}

void L4lbDaemon::start() {
  subscriber_.start();
  arm_reconcile();
}

void L4lbDaemon::stop() {
  stopped_ = true;
  subscriber_.stop();
  reconcile_timer_.cancel();
  retry_timer_.cancel();
  if (!options_.cleanup) return;
  if (auto removed = kernel_.remove_all(); !removed)
    log::error("--cleanup: cannot remove what dcos-l4lb owns: " + removed.error().message);
  else
    log::info("--cleanup: removed every rule and VIP address of the " + std::string(kernel_.datapath()) +
              " datapath");
}

void L4lbDaemon::link(bool up, const std::string& reason) {
  if (up) {
    log::info("following master " + master_);
    notify::status("following master " + master_);
  } else {
    log::warning("master " + master_ + " is unreachable (" + reason + "); keeping the last table, " +
                 std::to_string(wanted_.table.size()) + " VIPs, until it is back");
    notify::status("master " + master_ + " unreachable; keeping the last table");
  }
}

void L4lbDaemon::schedule_sync() {
  if (sync_posted_ || stopped_) return;
  sync_posted_ = true;
  asio::post(io_, [this] {
    sync_posted_ = false;
    sync();
  });
}

void L4lbDaemon::sync() {
  if (stopped_ || !subscriber_.state().ready()) return;
  const auto began = std::chrono::steady_clock::now();
  wanted_ = netlb::build_vip_table(subscriber_.state(), {.range = options_.vip_range});
  report_problems();
  const bool was_in_sync = kernel_.in_sync();
  auto outcome = kernel_.sync(wanted_.table);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  ++syncs_;
  last_sync_seconds_ = seconds;
  sync_seconds_total_ += seconds;
  if (!outcome) {
    ++datapath_errors_;
    last_error_ = outcome.error().message;
    const auto delay = arm_retry();
    log::error("cannot bring the kernel to the wanted table: " + last_error_ + "; reconciling again in " +
               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()) + " ms");
    notify::status("datapath error: " + last_error_);
    return;
  }
  retry_backoff_.reset();
  last_error_.clear();
  changes_applied_ += outcome->changes;
  repairs_ += outcome->repairs;
  if (outcome->repairs > 0)
    log::warning("the kernel differed from the table we had applied (changed by someone else): " +
                 std::to_string(outcome->repairs) + " changes put it back");
  if (!was_in_sync || outcome->changes > 0) {
    log::info(std::string(outcome->reconciled ? "reconciled with the kernel: " : "applied: ") +
              std::to_string(outcome->changes) + " changes; " + std::to_string(wanted_.table.size()) + " VIPs, " +
              std::to_string(backends(wanted_.table)) + " backends in the " + std::string(kernel_.datapath()) +
              " datapath in " + std::to_string(static_cast<int64_t>(seconds * 1e6)) + " us");
    notify::status(std::to_string(wanted_.table.size()) + " VIPs in the kernel, following master " + master_);
  }
}

void L4lbDaemon::report_problems() {
  std::set<netlb::LabelProblem> now(wanted_.problems.begin(), wanted_.problems.end());
  for (const auto& problem : now)
    if (!reported_.contains(problem)) log::warning(problem.text(), {{"TASK_ID", problem.task_id}});
  reported_ = std::move(now);
}

void L4lbDaemon::arm_reconcile() {
  reconcile_timer_.expires_after(options_.reconcile_interval);
  reconcile_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    kernel_.reconcile_next();
    schedule_sync();
    arm_reconcile();
  });
}

Backoff::Duration L4lbDaemon::arm_retry() {
  const Backoff::Duration delay = retry_backoff_.next();
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error && !stopped_) schedule_sync();
  });
  return delay;
}

std::string L4lbDaemon::health() const {
  const bool ready = subscriber_.state().ready();
  nlohmann::json body = {{"healthy", kernel_.in_sync() || !ready},
                         {"backend", kernel_.datapath()},
                         {"master", master_},
                         {"master_reachable", subscriber_.connected()},
                         {"in_sync", kernel_.in_sync()},
                         {"vips", wanted_.table.size()},
                         {"backends", backends(wanted_.table)}};
  if (!ready) body["message"] = "no state from the master yet; the kernel's rules are left as they are";
  if (!last_error_.empty()) body["message"] = "the datapath failed: " + last_error_;
  return body.dump();
}

std::string L4lbDaemon::metrics() const {
  MetricsText out;
  out.gauge("dcos_l4lb_vips", "VIP services in the wanted table", static_cast<double>(wanted_.table.size()))
      .gauge("dcos_l4lb_named_vips", "Named VIPs with an address", static_cast<double>(wanted_.named.size()))
      .gauge("dcos_l4lb_backends", "Backends of all VIPs", static_cast<double>(backends(wanted_.table)))
      .gauge("dcos_l4lb_in_sync", "Whether the kernel holds the wanted table", kernel_.in_sync() ? 1 : 0)
      .gauge("dcos_l4lb_label_problems", "VIP labels skipped as malformed", static_cast<double>(reported_.size()))
      .gauge("dcos_l4lb_master_connected", "Whether the master's state subscription is up",
             subscriber_.connected() ? 1 : 0)
      .gauge("dcos_l4lb_last_sync_duration_seconds", "How long the last sync took", last_sync_seconds_)
      .counter("dcos_l4lb_sync_duration_seconds_total", "Time spent syncing the kernel", sync_seconds_total_)
      .counter("dcos_l4lb_syncs_total", "Syncs with the kernel", static_cast<double>(syncs_))
      .counter("dcos_l4lb_changes_applied_total", "Changes applied to the kernel", static_cast<double>(changes_applied_))
      .counter("dcos_l4lb_reconcile_repairs_total", "Changes a reconcile found the kernel needed",
               static_cast<double>(repairs_))
      .counter("dcos_l4lb_unchanged_dumps_total",
               "Reconciles that found the kernel's table unchanged without reading it (nftables' ruleset generation)",
               static_cast<double>(kernel_.unchanged_dumps()))
      .counter("dcos_l4lb_netlink_errors_total", "Failed applies or dumps of the datapath",
               static_cast<double>(datapath_errors_));
  return out.text();
}

std::string L4lbDaemon::vips() const {
  std::map<netlb::Address, const netlb::NamedVip*> names;
  for (const auto& named : wanted_.named) names[named.address] = &named;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, service] : wanted_.table) {
    nlohmann::json backends = nlohmann::json::array();
    for (const auto& d : service.destinations)
      backends.push_back({{"ip", d.address.text()}, {"port", d.port}, {"weight", d.weight}});
    nlohmann::json vip = {{"protocol", netlb::protocol_name(key.protocol)},
                          {"vip", key.vip.text()},
                          {"port", key.port},
                          {"scheduler", service.scheduler},
                          {"backends", std::move(backends)}};
    if (auto it = names.find(key.vip); it != names.end()) {
      vip["name"] = it->second->key.name;
      vip["framework"] = it->second->key.framework;
    }
    list.push_back(std::move(vip));
  }
  return nlohmann::json{{"backend", kernel_.datapath()}, {"in_sync", kernel_.in_sync()}, {"vips", std::move(list)}}
      .dump();
}

void L4lbDaemon::install_routes(http::Router& router) {
  router.get("/health", [this](const http::Request&) { return http::Response::json(health()); });
  router.get("/vips", [this](const http::Request&) { return http::Response::json(vips()); });
  router.get("/metrics", [this](const http::Request&) {
    auto response = http::Response::text(metrics());
    response.content_type = std::string(MetricsText::kContentType);
    return response;
  });
}

}  // namespace dcos::l4lb
