// dcos-l4lb with real traffic through the kernel (issue 7): a real master,
// real agents whose tasks are real TCP servers, dcos-l4lb programming
// nftables, and a client connecting to the named VIP, all in network
// namespaces the test makes (tests/netlb/netns_lab.hpp):
//
//   client --veth-- lb: this test's threads, dcos-master (0.0.0.0), dcos-l4lb --veth-- b1..b3: one agent each
//
// The test's main thread moves into the lb namespace before anything
// starts, so the master, dcos-l4lb and the scheduler's connections live
// there; agent i runs in bi on 10.77.i.2 (the address the master's state
// gives its tasks), and its task `l4lb-test-backend 31001 i` serves there.
// Nothing is made in the host's namespace; TearDown stops the daemons and
// deletes the namespaces, also after a failure. Root; skips naming what is
// missing.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/http_client.hpp"
#include "tests/daemons/vip_task.hpp"
#include "tests/netlb/netns_lab.hpp"
#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using netlb::testing::HeldConnection;
using netlb::testing::NetnsLab;
using nlohmann::json;

constexpr int kBackends = 3;
constexpr uint64_t kTaskPort = 31001;
constexpr uint16_t kVipPort = 80;
constexpr const char* kNft = "/usr/sbin/nft";

// What `nft -j list table inet dcos-l4lb` holds, counted: chains, rules,
// and the elements of each set and map. Empty when there is no table.
struct TableCounts {
  std::size_t chains = 0, rules = 0;
  std::map<std::string, std::size_t> elements;
  bool operator==(const TableCounts&) const = default;
};

std::ostream& operator<<(std::ostream& out, const TableCounts& counts) {
  out << counts.chains << " chains, " << counts.rules << " rules";
  for (const auto& [set, n] : counts.elements) out << ", " << set << " " << n;
  return out;
}

TableCounts count_table(const std::string& listing) {
  TableCounts counts;
  const json document = json::parse(listing, nullptr, false);
  if (document.is_discarded() || !document.contains("nftables")) return counts;
  for (const auto& item : document["nftables"]) {
    if (item.contains("chain")) ++counts.chains;
    if (item.contains("rule")) ++counts.rules;
    for (const char* kind : {"set", "map"})
      if (item.contains(kind)) {
        const json& set = item[kind];
        counts.elements[set.value("name", "")] = set.contains("elem") ? set["elem"].size() : 0;
      }
  }
  return counts;
}

// Task web-i: the TCP backend i (the program at `backend`, a path tasks
// see) on host port kTaskPort, as the named VIP /web:80.
json backend_task(const json& offer, int i, const std::string& backend) {
  return vip_task("web-" + std::to_string(i), offer, kTaskPort, {{"VIP_0", "/web:80"}}, "tcp",
                  backend + " " + std::to_string(kTaskPort) + " " + std::to_string(i));
}

class L4lbTrafficTest : public TaskClusterTest {
 protected:
  // The agents in the backends' namespaces reach the master on their gateway.
  std::vector<std::string> master_flags() const override { return {"--ip=0.0.0.0"}; }

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: network namespaces and containers need root";
    if (::access(kNft, X_OK) != 0) GTEST_SKIP() << "nftables: " << kNft << " is missing (apt-get install nftables)";
    std::string why;
    lab_ = NetnsLab::make(kBackends, &why, /*servers=*/false);
    if (!lab_) GTEST_SKIP() << "network namespaces with veth pairs: " << why;
    auto entered = lab_->enter_lb();
    ASSERT_TRUE(entered) << entered.error().message;
    TaskClusterTest::SetUp();
  }

  void TearDown() override {
    l4lb_.reset();
    cluster_.reset();  // the master, the agents and their tasks, before their namespaces go
    lab_.reset();
  }

  // dcos-l4lb, run through `wrapper` (a program and its arguments) if given.
  void start_l4lb(std::vector<std::string> wrapper = {}, const std::string& backend = "nftables") {
    if (http_port_ == 0) http_port_ = free_port();
    std::vector<std::string> args{l4lb_binary(), master_flag(), "--backend=" + backend,
                                  "--http_port=" + std::to_string(http_port_), "--log_level=debug",
                                  "--reconcile_interval=1secs"};
    args.insert(args.begin(), wrapper.begin(), wrapper.end());
    const std::string program = args.front();
    args.erase(args.begin());
    l4lb_ = std::make_unique<DaemonProcess>(program, args,
                                            dir_.path() + "/l4lb-" + std::to_string(++l4lb_starts_) + ".log");
    l4lb_->start();
    ASSERT_TRUE(wait_until([&] { return get_json(http_port_, "/health").has_value(); })) << l4lb_->log();
  }

  // Agent i in namespace bi, and its task web-i serving backend i, followed to TASK_RUNNING.
  void start_backends() {
    scheduler_ = std::make_unique<SubscribedScheduler>(
        port_, json{{"user", "root"},
                    {"name", "marathon"},
                    {"failover_timeout", 60},
                    {"capabilities", {{{"type", "TASK_KILLING_STATE"}}}}});
    ASSERT_EQ(scheduler_->status(), 200u) << logs();
    const std::string backend = cluster_->task_visible_copy(DCOS_L4LB_TEST_BACKEND);
    for (int i = 1; i <= kBackends; ++i) {
      const std::string agent_id =
          start_agent("agent-" + std::to_string(i), "cpus:2;mem:1024;ports:[31000-31010]",
                      {lab_->backend_netns(i), lab_->backend_address(i), lab_->gateway(i)})
              .id;
      ASSERT_FALSE(agent_id.empty());
      agent_ids_.push_back(agent_id);
      const json offer = offer_on(*scheduler_, &offers_, agent_id);
      ASSERT_FALSE(offer.is_null()) << logs();
      const std::string id = "web-" + std::to_string(i);
      launch(*scheduler_, offer, json::array({backend_task(offer, i, backend)}));
      const auto seen = follow(*scheduler_, &updates_, id, 30s, "TASK_RUNNING");
      ASSERT_FALSE(seen.empty()) << logs();
      ASSERT_EQ(seen.back().value("state", ""), "TASK_RUNNING") << logs();
    }
    // TASK_RUNNING says the process started, not that it listens yet: the
    // client reaches each backend directly first, as a health check would.
    for (int i = 1; i <= kBackends; ++i)
      ASSERT_TRUE(wait_until([&] { return lab_->connect_from_client(lab_->backend_address(i), kTaskPort) == i; }, 20s,
                             50ms))
          << "backend " << i << " does not serve\n" << logs();
  }

  // Kills task web-i with this grace period (the backend ignores SIGTERM).
  void kill_task(int i, std::chrono::seconds grace) {
    const auto reply =
        scheduler_->call("KILL", {{"task_id", {{"value", "web-" + std::to_string(i)}}},
                                  {"agent_id", {{"value", agent_ids_[i - 1]}}},
                                  {"kill_policy", {{"grace_period", {{"nanoseconds", grace.count() * 1000000000}}}}}});
    ASSERT_EQ(reply.status, 202u) << reply.body;
  }

  // The VIP /web:80 as /vips shows it, null if not there (or, with
  // in_sync, while the kernel does not hold the table /vips shows).
  json web_vip(bool in_sync = false) {
    auto body = get_json(http_port_, "/vips");
    if (!body || (in_sync && !body->value("in_sync", false))) return nullptr;
    for (const auto& vip : (*body)["vips"])
      if (vip.value("port", 0) == kVipPort) return vip;
    return nullptr;
  }

  // The backends' weights by backend number once the kernel holds them.
  std::map<int, int> programmed_weights() {
    const json vip = web_vip(/*in_sync=*/true);
    std::map<int, int> weights;
    if (vip.is_null()) return {};
    for (const auto& backend : vip["backends"])
      for (int i = 1; i <= kBackends; ++i)
        if (backend.value("ip", "") == lab_->backend_address(i)) weights[i] = backend.value("weight", -1);
    return weights;
  }

  // Waits until the kernel holds these weights; the VIP's address.
  std::string wait_for_weights(const std::map<int, int>& weights) {
    const bool held = wait_until([&] { return programmed_weights() == weights; }, 30s, 50ms);
    EXPECT_TRUE(held) << web_vip().dump() << "\n" << l4lb_->log();
    return held ? web_vip().value("vip", "") : "";
  }

  // `count` connections from the client to address:port, each closed with
  // a reset: how many reached each backend (0: failed).
  std::map<int, int> spread(const std::string& address, uint16_t port, int count) {
    std::map<int, int> reached;
    lab_->in_client([&] {
      for (int n = 0; n < count; ++n) ++reached[NetnsLab::connect_once(address, port)];
    });
    return reached;
  }

  std::string nft_listing() {
    return run_program({kNft, "-j", "-a", "list", "table", "inet", "dcos-l4lb"}, 30s).second;
  }

  double metric(const std::string& name) {
    auto metrics = http::get("127.0.0.1", http_port_, "/metrics");
    if (!metrics) return -1;
    const auto at = metrics->body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(metrics->body.substr(at + name.size() + 2));
  }

  std::unique_ptr<NetnsLab> lab_;
  TempDir dir_;
  std::unique_ptr<DaemonProcess> l4lb_;
  int l4lb_starts_ = 0;
  uint16_t http_port_ = 0;
  std::unique_ptr<SubscribedScheduler> scheduler_;
  std::vector<std::string> agent_ids_;
  std::size_t offers_ = 0, updates_ = 0;
};

TEST_F(L4lbTrafficTest, BalancesTasksBehindANamedVipAndSurvivesKill9WithTrafficFlowing) {
  start_l4lb();
  ASSERT_NO_FATAL_FAILURE(start_backends());
  const std::string vip = wait_for_weights({{1, 1}, {2, 1}, {3, 1}});
  ASSERT_EQ(vip.rfind("11.", 0), 0u) << vip;

  // Every backend reached, no connection lost.
  auto reached = spread(vip, kVipPort, 300);
  EXPECT_EQ(reached[0], 0) << "failed connections";
  for (int i = 1; i <= kBackends; ++i) EXPECT_GT(reached[i], 30) << "backend " << i;

  // Connections held open, and more being made, while the daemon is killed.
  std::vector<std::unique_ptr<HeldConnection>> held;
  for (int n = 0; n < 6; ++n) {
    held.push_back(lab_->hold_from_client(vip, kVipPort));
    ASSERT_NE(held.back()->backend(), 0);
    ASSERT_TRUE(held.back()->echoes());
  }
  const std::string before = nft_listing();
  const TableCounts counts = count_table(before);
  // The frame (3 base chains, pick-1..64), one service of 3 slots.
  EXPECT_EQ(counts.chains, 3u + 64u) << counts;
  EXPECT_EQ(counts.elements.at("services4"), 1u) << counts;
  EXPECT_EQ(counts.elements.at("backends4"), 3u) << counts;
  EXPECT_EQ(counts.elements.at("idle4"), 0u) << counts;

  std::atomic<bool> done{false};
  std::atomic<int> made{0}, failed{0};
  std::thread traffic([&] {
    lab_->in_client([&] {
      const auto deadline = std::chrono::steady_clock::now() + 60s;
      while (!done && std::chrono::steady_clock::now() < deadline && made < 20000) {
        if (NetnsLab::connect_once(vip, kVipPort) == 0) ++failed;
        ++made;
      }
    });
  });
  ASSERT_TRUE(wait_until([&] { return made > 50; }, 20s));
  l4lb_->kill(SIGKILL);
  const int at_kill = made;
  EXPECT_TRUE(wait_until([&] { return made > at_kill + 200; }, 20s)) << "no traffic after the kill";
  for (auto& connection : held) EXPECT_TRUE(connection->echoes()) << "a held connection broke with the daemon dead";

  start_l4lb();
  ASSERT_TRUE(wait_until([&] { return metric("dcos_l4lb_syncs_total") >= 1 && metric("dcos_l4lb_in_sync") == 1; },
                         30s))
      << l4lb_->log();
  const int at_restart = made;
  EXPECT_TRUE(wait_until([&] { return made > at_restart + 200; }, 20s));
  done = true;
  traffic.join();
  EXPECT_EQ(failed, 0) << "of " << made << " connections made while the daemon was killed and restarted";

  // The restarted daemon found the kernel as it wants it: nothing
  // repaired, nothing rewritten (the rules' handles are the same), nothing
  // duplicated.
  EXPECT_EQ(metric("dcos_l4lb_reconcile_repairs_total"), 0) << l4lb_->log();
  // Its later reconciles (one a second here) read the ruleset's generation,
  // not the table, once one read has found the table as it wants it.
  EXPECT_TRUE(wait_until([&] { return metric("dcos_l4lb_unchanged_dumps_total") >= 2; }, 20s)) << l4lb_->log();
  const std::string after = nft_listing();
  EXPECT_EQ(count_table(after), counts);
  EXPECT_EQ(after, before);
  for (auto& connection : held) EXPECT_TRUE(connection->echoes());

  reached = spread(vip, kVipPort, 150);
  EXPECT_EQ(reached[0], 0) << "failed connections";
  for (int i = 1; i <= kBackends; ++i) EXPECT_GT(reached[i], 10) << "backend " << i;
}

TEST_F(L4lbTrafficTest, AKillingTaskKeepsItsConnectionsAndGetsNoNewOnesAndAnEndedTaskLeaves) {
  start_l4lb();
  ASSERT_NO_FATAL_FAILURE(start_backends());
  const std::string vip = wait_for_weights({{1, 1}, {2, 1}, {3, 1}});
  ASSERT_FALSE(vip.empty());

  // A connection held to each backend (random picks: bounded tries).
  std::map<int, std::unique_ptr<HeldConnection>> held;
  for (int tries = 0; tries < 200 && held.size() < kBackends; ++tries) {
    auto connection = lab_->hold_from_client(vip, kVipPort);
    if (connection->backend() != 0 && !held.contains(connection->backend()))
      held[connection->backend()] = std::move(connection);
  }
  ASSERT_EQ(held.size(), static_cast<std::size_t>(kBackends));

  // Backend 3 being killed (a long grace period): weight 0.
  kill_task(3, 120s);
  const auto killing = follow(*scheduler_, &updates_, "web-3", 30s, "TASK_KILLING");
  ASSERT_FALSE(killing.empty());
  EXPECT_EQ(killing.back().value("state", ""), "TASK_KILLING");
  wait_for_weights({{1, 1}, {2, 1}, {3, 0}});
  auto reached = spread(vip, kVipPort, 150);
  EXPECT_EQ(reached[0], 0) << "failed connections";
  EXPECT_EQ(reached[3], 0) << "new connections to the draining backend";
  EXPECT_GT(reached[1], 10);
  EXPECT_GT(reached[2], 10);
  EXPECT_TRUE(held[3]->echoes()) << "the draining backend's connection broke";
  EXPECT_EQ(count_table(nft_listing()).elements["idle4"], 1u);

  // Backend 2 killed at once: it leaves the VIP.
  kill_task(2, 0s);
  const auto ended = follow(*scheduler_, &updates_, "web-2", 30s, "TASK_KILLED");
  ASSERT_FALSE(ended.empty());
  EXPECT_EQ(ended.back().value("state", ""), "TASK_KILLED");
  wait_for_weights({{1, 1}, {3, 0}});
  reached = spread(vip, kVipPort, 60);
  EXPECT_EQ(reached[1], 60) << "connections elsewhere than the one backend left";
  EXPECT_TRUE(held[1]->echoes());
  EXPECT_TRUE(held[3]->echoes());
  const TableCounts counts = count_table(nft_listing());
  EXPECT_EQ(counts.elements.at("backends4"), 1u) << counts;
  EXPECT_EQ(counts.elements.at("idle4"), 1u) << counts;
}

// The delays dcos-l4lb logged before its retries, in order.
std::vector<int> retry_delays(const std::string& log) {
  static const std::regex again("reconciling again in ([0-9]+) ms");
  std::vector<int> delays;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), again); it != std::sregex_iterator(); ++it)
    delays.push_back(std::stoi((*it)[1]));
  return delays;
}

// Netlink errors (issue 7, "Bad input"): logged with the operation and the
// kernel's error, counted in /metrics, retried with a growing delay, the
// daemon serving all along; and the rules there once the cause is gone.
TEST_F(L4lbTrafficTest, NetlinkErrorsAreLoggedCountedAndRetriedUntilTheCauseGoes) {
  auto failing_until_retried = [&](const std::string& what) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(wait_until([&] { return metric("dcos_l4lb_netlink_errors_total") >= 3; }, 30s)) << l4lb_->log();
    EXPECT_TRUE(l4lb_->running());
    const auto health = get_json(http_port_, "/health");
    ASSERT_TRUE(health.has_value());
    EXPECT_FALSE(health->value("in_sync", true));
    EXPECT_EQ(metric("dcos_l4lb_in_sync"), 0);
    // Jittered (delay n drawn from [d/2, d], d doubling): the third is
    // always above the first.
    const std::vector<int> delays = retry_delays(l4lb_->log());
    ASSERT_GE(delays.size(), 3u) << l4lb_->log();
    EXPECT_GT(delays[2], delays[0]) << l4lb_->log();
  };

  // 1. No CAP_NET_ADMIN: the kernel refuses nftables' netlink (EPERM).
  start_l4lb({"/usr/bin/setpriv", "--inh-caps=-net_admin", "--bounding-set=-net_admin"});
  ASSERT_NO_FATAL_FAILURE(failing_until_retried("without CAP_NET_ADMIN"));
  EXPECT_NE(l4lb_->log().find("get the nftables ruleset's generation: Operation not permitted"), std::string::npos)
      << l4lb_->log();
  EXPECT_NE(l4lb_->log().find("Operation not permitted"), std::string::npos) << l4lb_->log();
  EXPECT_NE(get_json(http_port_, "/health")->value("message", "").find("Operation not permitted"), std::string::npos);
  l4lb_.reset();

  // 2. IPVS asked for on a kernel without it (this host; the VM has it).
  if (::access("/proc/net/ip_vs", F_OK) != 0) {
    start_l4lb({}, "ipvs");
    ASSERT_NO_FATAL_FAILURE(failing_until_retried("--backend=ipvs without IPVS"));
    EXPECT_NE(l4lb_->log().find("the kernel has no IPVS (generic netlink family IPVS"), std::string::npos)
        << l4lb_->log();
    l4lb_.reset();
  }

  // 3. Our table held by another process (nft's `owner` flag: the kernel
  // refuses anyone else with EPERM until the owner's netlink socket
  // closes): refused, retried, then programmed once the owner is gone.
  ASSERT_NO_FATAL_FAILURE(start_backends());
  std::unique_ptr<FILE, int (*)(FILE*)> owner(::popen((std::string(kNft) + " -i >/dev/null 2>&1").c_str(), "we"),
                                               ::pclose);  // closed also when the test fails
  ASSERT_NE(owner, nullptr);
  ::fputs("add table inet dcos-l4lb { flags owner; }\n", owner.get());
  ::fflush(owner.get());
  ASSERT_TRUE(wait_until([&] { return run_program({kNft, "list", "tables"}, 10s).second.find("dcos-l4lb") !=
                                      std::string::npos; }, 10s));
  start_l4lb();
  ASSERT_NO_FATAL_FAILURE(failing_until_retried("our table owned by another process"));
  // The table unreadable (nft's JSON of the owner flag), so deleted; or
  // read, so added to: refused either way.
  EXPECT_TRUE(std::regex_search(l4lb_->log(),
                                std::regex("Operation not permitted; (delete|add) table inet dcos-l4lb")))
      << l4lb_->log();
  owner.reset();  // nft exits; the kernel drops its table

  const std::string vip = wait_for_weights({{1, 1}, {2, 1}, {3, 1}});
  ASSERT_EQ(vip.rfind("11.", 0), 0u) << vip;
  auto reached = spread(vip, kVipPort, 60);
  EXPECT_EQ(reached[0], 0) << "failed connections";
  for (int i = 1; i <= kBackends; ++i) EXPECT_GT(reached[i], 0) << "backend " << i;
  EXPECT_TRUE(l4lb_->running());
}

}  // namespace
}  // namespace dcos::testing
