// dcos-dns end to end: a real master, a real agent running tasks that a
// framework launched through the scheduler API, a real dcos-dns on a free
// loopback port, and real clients: `dig` (dnsutils) for the names, raw
// sockets for malformed packets.
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <gtest/gtest.h>

#include "runtime/http_client.hpp"
#include "tests/daemons/dns_client.hpp"
#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using namespace dns_client;

// A task on `port` of the offer's agent, with that host port as its resource.
json port_task(const std::string& id, const json& offer, uint64_t port) {
  json task = command_task(id, offer, "sleep 1000");
  task["resources"].push_back(
      {{"name", "ports"}, {"type", "RANGES"}, {"ranges", {{"range", {{{"begin", port}, {"end", port}}}}}}});
  return task;
}

class DnsTest : public TaskClusterTest {
 protected:
  std::vector<std::string> master_flags() const override { return {"--agent_ping_timeout=200ms"}; }

  void SetUp() override {
    if (::access(kDig, X_OK) != 0) GTEST_SKIP() << "dnsutils: " << kDig << " is missing (apt-get install dnsutils)";
    TaskClusterTest::SetUp();
  }

  // Starts dcos-dns following the master; a test failure if /health never answers.
  void start_dns(const std::vector<std::string>& extra = {}) {
    dns_port_ = free_port();
    http_port_ = free_port();
    std::vector<std::string> args = {master_flag(), "--listen=127.0.0.1:" + std::to_string(dns_port_),
                                     "--http_port=" + std::to_string(http_port_), "--ttl=5secs",
                                     "--log_level=debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    dns_ = std::make_unique<DaemonProcess>(dns_binary(), args, dir_.path() + "/dns.log");
    dns_->start();
    ASSERT_TRUE(wait_until([&] { return health().has_value(); })) << dns_->log();
  }

  std::optional<json> health() { return get_json(http_port_, "/health"); }
  Dig query(const std::string& name, const std::string& type = "A", bool tcp = false) {
    return dig(dns_port_, name, type, tcp ? std::vector<std::string>{"+tcp"} : std::vector<std::string>{});
  }
  std::string dns_log() { return dns_ ? dns_->log() : ""; }

  // Runs task `id` with host port `port` in framework `scheduler` on the agent, to TASK_RUNNING.
  void run_port_task(SubscribedScheduler& scheduler, std::size_t* offers, std::size_t* updates,
                     const std::string& agent_id, const std::string& id, uint64_t port) {
    const json offer = offer_on(scheduler, offers, agent_id);
    ASSERT_FALSE(offer.is_null()) << logs();
    launch(scheduler, offer, json::array({port_task(id, offer, port)}));
    const auto seen = follow(scheduler, updates, id, 30s, "TASK_RUNNING");
    ASSERT_FALSE(seen.empty()) << logs();
    ASSERT_EQ(seen.back().value("state", ""), "TASK_RUNNING") << logs();
  }

  TempDir dir_;
  std::unique_ptr<DaemonProcess> dns_;
  uint16_t dns_port_ = 0;
  uint16_t http_port_ = 0;
};

TEST_F(DnsTest, AnswersTheClusterNamesOfRunningTasksAndForgetsEndedOnes) {
  start_dns();
  const std::string agent_id = start_agent("agent-a", "cpus:2;mem:1024;ports:[31000-31010]").id;
  ASSERT_FALSE(agent_id.empty());
  auto scheduler = subscribe("marathon");
  std::size_t offers = 0, updates = 0;
  run_port_task(*scheduler, &offers, &updates, agent_id, "web", 31005);

  // Pushed, not polled: the name is there as soon as the task runs.
  ASSERT_TRUE(wait_until([&] { return has(query("web.marathon.mesos").answers, "127.0.0.1"); }, 5s))
      << query("web.marathon.mesos").output << dns_log();
  EXPECT_EQ(query("leader.mesos").answers, std::vector<std::string>{"127.0.0.1"}) << dns_log();
  EXPECT_EQ(query("master.mesos").answers, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(query("agent.mesos").answers, std::vector<std::string>{"127.0.0.1"});
  const Dig srv = query("_web._tcp.marathon.mesos", "SRV");
  EXPECT_EQ(srv.status, "NOERROR") << srv.output;
  ASSERT_EQ(srv.answers.size(), 1u) << srv.output;
  EXPECT_NE(srv.answers[0].find(" 31005 web-"), std::string::npos) << srv.output;
  EXPECT_EQ(query("web.marathon.agentip.dcos.thisdcos.directory").answers, std::vector<std::string>{"127.0.0.1"});
  const Dig tcp = query("web.marathon.mesos", "A", /*tcp=*/true);
  EXPECT_EQ(tcp.answers, std::vector<std::string>{"127.0.0.1"}) << tcp.output;
  const Dig missing = query("nothing.marathon.mesos");
  EXPECT_EQ(missing.status, "NXDOMAIN") << missing.output;
  EXPECT_TRUE(missing.answers.empty());
  // Outside the zones, until the forwarder lands.
  EXPECT_EQ(query("example.com").status, "REFUSED");

  auto reply = scheduler->call("KILL", {{"task_id", {{"value", "web"}}}, {"agent_id", {{"value", agent_id}}}});
  ASSERT_EQ(reply.status, 202u) << reply.body;
  const auto seen = follow(*scheduler, &updates, "web");
  ASSERT_FALSE(seen.empty()) << logs();
  ASSERT_EQ(seen.back().value("state", ""), "TASK_KILLED") << logs();
  // Gone within a second of the framework hearing of its end.
  EXPECT_TRUE(wait_until([&] { return query("web.marathon.mesos").status == "NXDOMAIN"; }, 1s))
      << query("web.marathon.mesos").output << dns_log();
  EXPECT_EQ(query("_web._tcp.marathon.mesos", "SRV").status, "NXDOMAIN");
}

TEST_F(DnsTest, KeepsServingTheLastKnownZoneWhileTheMasterIsGone) {
  start_dns();
  const std::string agent_id = start_agent("agent-a", "cpus:2;mem:1024;ports:[31000-31010]").id;
  ASSERT_FALSE(agent_id.empty());
  auto scheduler = subscribe("marathon");
  std::size_t offers = 0, updates = 0;
  run_port_task(*scheduler, &offers, &updates, agent_id, "db", 31001);
  ASSERT_TRUE(wait_until([&] { return has(query("db.marathon.mesos").answers, "127.0.0.1"); }, 5s)) << dns_log();
  EXPECT_EQ(health()->value("master_reachable", false), true);

  cluster_->master().kill(SIGKILL);
  ASSERT_TRUE(wait_until([&] {
    auto body = health();
    return body && !body->value("master_reachable", true);
  })) << dns_log();
  const json body = *health();
  EXPECT_NE(body.value("message", "").find("last known zone"), std::string::npos) << body.dump();
  EXPECT_EQ(query("db.marathon.mesos").answers, std::vector<std::string>{"127.0.0.1"}) << dns_log();
  EXPECT_EQ(query("leader.mesos").answers, std::vector<std::string>{"127.0.0.1"});
  EXPECT_NE(dns_log().find("serving the last known zone"), std::string::npos) << dns_log();
}

TEST_F(DnsTest, MalformedPacketsGetFormerrOrNothingAndTheServerKeepsAnswering) {
  start_dns();
  const std::string question = std::string("\6leader\5mesos\0", 14) + kTypeA;
  const auto answers_still = [&] {
    EXPECT_EQ(query("leader.mesos").answers, std::vector<std::string>{"127.0.0.1"}) << dns_log();
  };
  struct Case {
    const char* what;
    std::string packet;
    bool formerr;  // else: no reply at all
  };
  const std::vector<Case> cases = {
      {"a short header", std::string("\x12\x34\x01", 3), false},
      {"a response, not a query", header(7, 0x8100, 1) + question, false},
      {"a label of 70 bytes", header(0x1111, 0x0100, 1) + "\x46" + std::string(70, 'a') + std::string(1, '\0') + kTypeA,
       true},
      {"a label running past the end", header(0x2222, 0x0100, 1) + "\x3f" + "abc", true},
      {"a compression loop", header(0x3333, 0x0100, 1) + std::string("\xc0\x0c", 2) + kTypeA, true},
      {"huge counts", header(0x4444, 0x0100, 0xffff, 0xffff, 0xffff, 0xffff) + question, true},
      {"two questions", header(0x5555, 0x0100, 2) + question + question, true},
      {"5,000 bytes (read cut at 4,096)", header(0x7777, 0x0100, 1) + question + std::string(5000, 'x'), true},
  };
  for (const auto& c : cases) {
    const std::string reply = udp_exchange(dns_port_, c.packet);
    if (c.formerr) {
      ASSERT_GE(reply.size(), 12u) << c.what;
      EXPECT_EQ(id_of(reply), id_of(c.packet)) << c.what;
      EXPECT_EQ(rcode_of(reply), 1) << c.what;
    } else {
      EXPECT_EQ(reply, "") << c.what;
    }
    answers_still();
  }

  // Over TCP: a bad packet gets a framed FORMERR on a connection that stays
  // open for the next query; a length over the bound closes it.
  const int fd = open_socket(SOCK_STREAM, dns_port_);
  ASSERT_GE(fd, 0);
  const std::string bad = cases[2].packet;
  const std::string framed = std::string{static_cast<char>(bad.size() >> 8), static_cast<char>(bad.size())} + bad;
  ASSERT_EQ(::send(fd, framed.data(), framed.size(), 0), static_cast<ssize_t>(framed.size()));
  char buffer[4096];
  const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
  ASSERT_GE(n, 14);
  EXPECT_EQ((static_cast<unsigned char>(buffer[0]) << 8 | static_cast<unsigned char>(buffer[1])), n - 2);
  EXPECT_EQ(rcode_of(std::string(buffer + 2, static_cast<std::size_t>(n - 2))), 1);
  const std::string huge = std::string("\xff\xff", 2) + header(0x6666, 0x0100, 1) + question;
  ASSERT_EQ(::send(fd, huge.data(), huge.size(), MSG_NOSIGNAL), static_cast<ssize_t>(huge.size()));
  // Closed with our bytes unread: an end of stream, or a reset.
  const ssize_t end = ::recv(fd, buffer, sizeof buffer, 0);
  const int error = errno;
  EXPECT_TRUE(end == 0 || (end < 0 && error == ECONNRESET)) << end << " " << std::strerror(error) << dns_log();
  ::close(fd);
  EXPECT_EQ(query("leader.mesos", "A", /*tcp=*/true).answers, std::vector<std::string>{"127.0.0.1"}) << dns_log();

  auto metrics = http::get("127.0.0.1", http_port_, "/metrics");
  ASSERT_TRUE(metrics) << metrics.error().message;
  EXPECT_NE(metrics->body.find("dcos_dns_malformed_total 10"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("dcos_dns_queries_total{zone=\"cluster\",rcode=\"NOERROR\"}"), std::string::npos);
}

TEST_F(DnsTest, ABurstOfQueriesIsAnsweredEveryOneWithItsOwnId) {
  // More than a batch (32) and a turn (4 batches) of the server's UDP
  // loop, sent before reading any reply: every one answered, each with
  // its id, the same answer each time (compiled after the first), and
  // the server still answering afterwards.
  start_dns();
  // Healthy is not yet following the master: until the zone has a leader
  // the name is NXDOMAIN.
  ASSERT_TRUE(wait_until([&] { return query("leader.mesos").status == "NOERROR"; })) << dns_log();
  const int fd = open_socket(SOCK_DGRAM, dns_port_);
  ASSERT_GE(fd, 0);
  constexpr int kQueries = 200;
  for (int id = 1; id <= kQueries; ++id) {
    const std::string packet = header(static_cast<uint16_t>(id), 0x0100, 1) + std::string("\6leader\5mesos\0", 14) + kTypeA;
    ASSERT_EQ(::send(fd, packet.data(), packet.size(), 0), static_cast<ssize_t>(packet.size()));
  }
  std::set<uint16_t> ids;
  std::set<std::string> answers;
  char buffer[4096];
  for (int i = 0; i < kQueries; ++i) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;  // half a second without a reply
    const std::string reply(buffer, static_cast<std::size_t>(n));
    ASSERT_GE(reply.size(), 12u);
    EXPECT_EQ(rcode_of(reply), 0);
    ids.insert(id_of(reply));
    answers.insert(reply.substr(2));
  }
  ::close(fd);
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kQueries)) << dns_log();
  EXPECT_EQ(answers.size(), 1u) << "every reply but its id the same";
  // A burst longer than a turn leaves the socket unwatched until a read
  // finds it empty; once quiet, a lone query must still wake the server.
  EXPECT_EQ(query("leader.mesos").status, "NOERROR") << dns_log();
}

TEST_F(DnsTest, ClientsOutsideTheAllowListGetNoAnswer) {
  start_dns({"--allow_clients=192.0.2.0/24"});
  EXPECT_EQ(query("leader.mesos").status, "") << "no answer expected";
  EXPECT_EQ(query("leader.mesos", "A", /*tcp=*/true).answers, std::vector<std::string>{});
  auto metrics = http::get("127.0.0.1", http_port_, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("dcos_dns_denied_total 2"), std::string::npos) << metrics->body;
}

}  // namespace
}  // namespace dcos::testing
