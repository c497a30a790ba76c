// dcos-dns end to end: a real master, a real agent running tasks that a
// framework launched through the scheduler API, a real dcos-dns on a free
// loopback port, and real clients: `dig` (dnsutils) for the names, raw
// sockets for malformed packets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <gtest/gtest.h>

#include "runtime/http_client.hpp"
#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kDig = "/usr/bin/dig";

struct Dig {
  std::string status;                // "NOERROR", "NXDOMAIN", ...; "" when no answer came
  std::vector<std::string> answers;  // each record's data ("127.0.0.1", "0 1 31005 web-....mesos.")
  std::string output;
};

Dig dig(uint16_t port, const std::string& name, const std::string& type, bool tcp = false) {
  std::vector<std::string> argv = {kDig,  "@127.0.0.1", "-p",         std::to_string(port), name,     type,
                                   "+time=1", "+tries=1", "+noall", "+comments",          "+answer"};
  if (tcp) argv.push_back("+tcp");
  Dig result;
  result.output = run_program(argv, 10s).second;
  if (const auto at = result.output.find("status: "); at != std::string::npos)
    result.status = result.output.substr(at + 8, result.output.find(',', at) - at - 8);
  std::istringstream lines(result.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == ';') continue;
    // owner ttl class type data...
    std::istringstream fields(line);
    std::string owner, ttl, klass, rtype, data, word;
    fields >> owner >> ttl >> klass >> rtype;
    while (fields >> word) data += (data.empty() ? "" : " ") + word;
    result.answers.push_back(data);
  }
  return result;
}

bool has(const std::vector<std::string>& answers, const std::string& part) {
  for (const auto& answer : answers)
    if (answer.find(part) != std::string::npos) return true;
  return false;
}

// A socket to 127.0.0.1:port with a receive timeout.
int open_socket(int type, uint16_t port) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  timeval timeout{0, 500000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends one datagram; the reply, or "" if none came within half a second.
std::string udp_exchange(uint16_t port, const std::string& packet) {
  const int fd = open_socket(SOCK_DGRAM, port);
  if (fd < 0) return "";
  ::send(fd, packet.data(), packet.size(), 0);
  char buffer[4096];
  const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
  ::close(fd);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
}

std::string header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an = 0, uint16_t ns = 0, uint16_t ar = 0) {
  std::string out;
  for (const uint16_t field : {id, flags, qd, an, ns, ar}) {
    out += static_cast<char>(field >> 8);
    out += static_cast<char>(field & 0xff);
  }
  return out;
}

const std::string kTypeA = std::string("\0\1\0\1", 4);  // A, IN

uint16_t id_of(const std::string& reply) {
  return static_cast<uint16_t>(static_cast<unsigned char>(reply[0]) << 8 | static_cast<unsigned char>(reply[1]));
}
int rcode_of(const std::string& reply) { return static_cast<unsigned char>(reply[3]) & 0xF; }

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
    return dig(dns_port_, name, type, tcp);
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
  EXPECT_NE(metrics->body.find("dcos_dns_malformed_total 9"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("dcos_dns_queries_total{zone=\"cluster\",rcode=\"NOERROR\"}"), std::string::npos);
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
