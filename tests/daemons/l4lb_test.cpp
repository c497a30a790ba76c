// dcos-l4lb end to end, short of the kernel: a real master, a real agent
// running tasks whose discovery ports carry VIP labels, dcos-l4lb following
// the master with the dry-run datapath (--backend=none; the kernel
// datapaths have their own tests in network namespaces), dcos-dns naming
// the VIPs, and `dcos vip list`.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "runtime/http_client.hpp"
#include "tests/daemons/vip_task.hpp"
#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class L4lbTest : public TaskClusterTest {
 protected:
  void start_l4lb(const std::vector<std::string>& extra = {}) {
    http_port_ = free_port();
    std::vector<std::string> args = {master_flag(), "--backend=none", "--http_port=" + std::to_string(http_port_),
                                     "--log_level=debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    l4lb_ = std::make_unique<DaemonProcess>(l4lb_binary(), args, dir_.path() + "/l4lb.log");
    l4lb_->start();
    ASSERT_TRUE(wait_until([&] { return get_json(http_port_, "/health").has_value(); })) << l4lb_->log();
  }

  void run_vip_task(SubscribedScheduler& scheduler, const std::string& agent_id, const std::string& id, uint64_t port,
                    const Labels& labels, const std::string& protocol = "tcp") {
    const json offer = offer_on(scheduler, &offers_, agent_id);
    ASSERT_FALSE(offer.is_null()) << logs();
    launch(scheduler, offer, json::array({vip_task(id, offer, port, labels, protocol)}));
    const auto seen = follow(scheduler, &updates_, id, 30s, "TASK_RUNNING");
    ASSERT_FALSE(seen.empty()) << logs();
    ASSERT_EQ(seen.back().value("state", ""), "TASK_RUNNING") << logs();
  }

  // The VIP with this port in /vips, null if none.
  json vip_on_port(uint16_t port) {
    auto body = get_json(http_port_, "/vips");
    if (!body) return nullptr;
    for (const auto& vip : (*body)["vips"])
      if (vip.value("port", 0) == port) return vip;
    return nullptr;
  }

  std::string l4lb_log() { return l4lb_ ? l4lb_->log() : ""; }

  TempDir dir_;
  std::unique_ptr<DaemonProcess> l4lb_;
  uint16_t http_port_ = 0;
  std::size_t offers_ = 0, updates_ = 0;
};

TEST_F(L4lbTest, VipLabelsOfRunningTasksBecomeVipsNamedInDnsAndListed) {
  start_l4lb();
  const std::string agent_id = start_agent("agent-a", "cpus:2;mem:1024;ports:[31000-31010]").id;
  ASSERT_FALSE(agent_id.empty());
  auto scheduler = subscribe("marathon");
  run_vip_task(*scheduler, agent_id, "web-1", 31001, {{"VIP_0", "/web:80"}});
  run_vip_task(*scheduler, agent_id, "web-2", 31002, {{"VIP_0", "/web:80"}});
  run_vip_task(*scheduler, agent_id, "db", 31003, {{"VIP_0", "192.168.77.1:5432"}, {"VIP_1", "/db:99999"}}, "udp");

  ASSERT_TRUE(wait_until([&] {
    const json web = vip_on_port(80);
    return !web.is_null() && web["backends"].size() == 2;
  })) << l4lb_log();
  const json web = vip_on_port(80);
  EXPECT_EQ(web.value("name", ""), "web");
  EXPECT_EQ(web.value("framework", ""), "marathon");
  EXPECT_EQ(web.value("protocol", ""), "tcp");
  const std::string address = web.value("vip", "");
  EXPECT_EQ(address.rfind("11.", 0), 0u) << address;
  EXPECT_EQ(web["backends"][0], (json{{"ip", "127.0.0.1"}, {"port", 31001}, {"weight", 1}}));
  const json db = vip_on_port(5432);
  ASSERT_FALSE(db.is_null()) << l4lb_log();
  EXPECT_EQ(db.value("vip", ""), "192.168.77.1");
  EXPECT_EQ(db.value("protocol", ""), "udp");
  // The bad label: one line naming the task and the label; the rest works.
  EXPECT_NE(l4lb_log().find("task db of framework"), std::string::npos) << l4lb_log();
  EXPECT_NE(l4lb_log().find("label VIP_1=/db:99999 skipped: bad port"), std::string::npos) << l4lb_log();

  // dcos-dns names the VIP with the same address, computed on its own.
  if (::access("/usr/bin/dig", X_OK) == 0) {
    const uint16_t dns_port = free_port();
    DaemonProcess dns(dns_binary(), {master_flag(), "--listen=127.0.0.1:" + std::to_string(dns_port),
                                     "--http_port=" + std::to_string(free_port())},
                      dir_.path() + "/dns.log");
    dns.start();
    const auto lookup = [&] {
      return run_program({"/usr/bin/dig", "@127.0.0.1", "-p", std::to_string(dns_port),
                          "web.marathon.l4lb.thisdcos.directory", "A", "+short", "+time=1", "+tries=1"},
                         10s)
          .second;
    };
    EXPECT_TRUE(wait_until([&] { return lookup() == address + "\n"; }, 10s, 100ms)) << lookup() << dns.log();
  }

  // dcos vip list, as a table and as JSON.
  const auto [status, table] = run_program({cli_binary(), "--l4lb=127.0.0.1:" + std::to_string(http_port_), "vip", "list"});
  EXPECT_EQ(status, 0) << table;
  EXPECT_NE(table.find("/web  marathon   tcp    " + address + ":80"), std::string::npos) << table;
  EXPECT_NE(table.find("127.0.0.1:31001, 127.0.0.1:31002"), std::string::npos) << table;
  const auto [json_status, printed] =
      run_program({cli_binary(), "--l4lb=127.0.0.1:" + std::to_string(http_port_), "--json", "vip", "list"});
  EXPECT_EQ(json_status, 0);
  EXPECT_EQ(json::parse(printed, nullptr, false).size(), 2u) << printed;

  // A killed task stops being a backend.
  auto reply = scheduler->call("KILL", {{"task_id", {{"value", "web-2"}}}, {"agent_id", {{"value", agent_id}}}});
  ASSERT_EQ(reply.status, 202u) << reply.body;
  EXPECT_TRUE(wait_until([&] { return vip_on_port(80)["backends"].size() == 1; })) << l4lb_log();
  auto metrics = http::get("127.0.0.1", http_port_, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("dcos_l4lb_vips 2\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("dcos_l4lb_backends 2\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("dcos_l4lb_in_sync 1\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("dcos_l4lb_label_problems 1\n"), std::string::npos) << metrics->body;
}

TEST_F(L4lbTest, KeepsTheLastTableWhileTheMasterIsGoneAndRefusesBadFlags) {
  start_l4lb({"--reconcile_interval=100ms"});
  const std::string agent_id = start_agent("agent-a", "cpus:2;mem:1024;ports:[31000-31010]").id;
  ASSERT_FALSE(agent_id.empty());
  auto scheduler = subscribe("marathon");
  run_vip_task(*scheduler, agent_id, "web-1", 31001, {{"VIP_0", "/web:80"}});
  ASSERT_TRUE(wait_until([&] { return !vip_on_port(80).is_null(); })) << l4lb_log();
  cluster_->master().kill(SIGKILL);
  ASSERT_TRUE(wait_until([&] {
    auto health = get_json(http_port_, "/health");
    return health && !health->value("master_reachable", true);
  })) << l4lb_log();
  EXPECT_FALSE(vip_on_port(80).is_null());
  EXPECT_EQ(get_json(http_port_, "/health")->value("healthy", false), true);

  for (const std::string bad : {"--backend=lvs", "--vip_range=11.0.0.1/8", "--reconcile_interval=0secs"}) {
    const auto [status, output] = run_program({l4lb_binary(), bad}, 10s);
    EXPECT_EQ(status, 2) << bad << ": " << output;
    EXPECT_NE(output.find("dcos-l4lb: "), std::string::npos) << output;
  }
}

}  // namespace
}  // namespace dcos::testing
