// dcos-l4lb put together: follows the master's state (StateSubscriber),
// computes the wanted VIP table (netlb/vip_table.hpp), and makes the
// kernel hold it (KernelSync); reports on /health, /metrics and /vips.
//
// A snapshot or a change posts one sync (a burst of changes that arrived
// together is one sync); every --reconcile_interval, and after a failure
// (retried with backoff), the sync is a reconcile against the kernel's
// dump. Nothing is touched before the first snapshot (a restarted l4lb
// leaves the rules of its previous run in place until it knows the
// state), and while the master is unreachable the last table stays.
//
// Use from the io_context's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include "daemons/l4lb/flags.hpp"
#include "daemons/l4lb/kernel_sync.hpp"
#include "netlb/vip_table.hpp"
#include "runtime/backoff.hpp"
#include "runtime/http.hpp"
#include "runtime/state_subscriber.hpp"

namespace dcos::l4lb {

class L4lbDaemon {
 public:
  L4lbDaemon(boost::asio::io_context& io, const DaemonOptions& options, Backend backend);

  void start();
  // Stops following the master; with --cleanup, removes what we own.
  void stop();
  void install_routes(http::Router& router);

 private:
  StateSubscriber::Handlers handlers();
  void link(bool up, const std::string& reason);
  void schedule_sync();
  void sync();
  void report_problems();
  void arm_reconcile();
  Backoff::Duration arm_retry();  // the delay it chose
  std::string health() const;
  std::string metrics() const;
  std::string vips() const;

  boost::asio::io_context& io_;
  DaemonOptions options_;
  KernelSync kernel_;
  std::string master_;  // host:port, for messages
  StateSubscriber subscriber_;
  boost::asio::steady_timer reconcile_timer_;
  boost::asio::steady_timer retry_timer_;
  Backoff retry_backoff_{std::chrono::milliseconds(200), std::chrono::seconds(10)};

  netlb::WantedVips wanted_;
  bool sync_posted_ = false;
  bool stopped_ = false;
  std::set<netlb::LabelProblem> reported_;
  std::string last_error_;

  uint64_t syncs_ = 0;
  uint64_t changes_applied_ = 0;
  uint64_t repairs_ = 0;  // changes a reconcile found the kernel needed
  uint64_t datapath_errors_ = 0;
  double last_sync_seconds_ = 0;
  double sync_seconds_total_ = 0;
};

}  // namespace dcos::l4lb
