// dcos-dns forwarding end to end: a real dcos-dns on a free loopback port
// forwarding to real upstreams, Debian's `unbound` started by the test on
// loopback with local data (zone "test."), asked by real clients (`dig`,
// and raw sockets where the id and EDNS size matter). No master is needed:
// dcos-dns serves forwarded names while it looks for one.
//
// What each upstream saw is read from unbound's own counters
// (unbound-control stats_noreset), so "answered from the cache" means
// unbound was not asked. Skips, naming the package, without unbound or dig.
#include <signal.h>
#include <sys/socket.h>

#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "daemons/dns/flags.hpp"
#include "runtime/http_client.hpp"
#include "tests/daemons/dns_client.hpp"
#include "tests/support/cluster.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using namespace dns_client;

constexpr const char* kUnbound = "/usr/sbin/unbound";
constexpr const char* kUnboundControl = "/usr/sbin/unbound-control";

// An answer of this many A records is 1,946 bytes: over 512 and over the
// 1,232 bytes dcos-dns asks with, so it only comes whole over TCP.
constexpr int kBigRecords = 120;

// One unbound on 127.0.0.1:<free port>, serving `data` (zone-file lines for
// local-data) from its local `zones` ("\"test.\" static"; "refuse" for an
// upstream that says REFUSED), answering clients as `access` says.
class Unbound {
 public:
  Unbound(const std::string& dir, const std::vector<std::string>& zones, const std::vector<std::string>& data,
          const std::string& access = "allow")
      : dir_(dir), port_(free_port()) {
    std::ofstream conf(dir_ + "/unbound.conf");
    conf << "server:\n"
         << "  interface: 127.0.0.1\n  port: " << port_ << "\n  do-ip6: no\n  do-daemonize: no\n"
         << "  username: \"\"\n  chroot: \"\"\n  directory: \"" << dir_ << "\"\n  pidfile: \"\"\n"
         << "  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n  num-threads: 1\n"
         << "  module-config: \"iterator\"\n  extended-statistics: yes\n  statistics-cumulative: yes\n"
         << "  access-control: 127.0.0.0/8 " << access << "\n";
    for (const auto& zone : zones) conf << "  local-zone: " << zone << "\n";
    for (const auto& line : data) conf << "  local-data: \"" << line << "\"\n";
    conf << "remote-control:\n  control-enable: yes\n  control-interface: " << dir_
         << "/control.sock\n  control-use-cert: no\n";
    conf.close();
    process_ = std::make_unique<DaemonProcess>(kUnbound, std::vector<std::string>{"-d", "-c", dir_ + "/unbound.conf"},
                                               dir_ + "/unbound.log");
    process_->start();
  }

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return process_->log(); }
  void kill() { process_->kill(SIGKILL); }

  // Whether unbound answers its control socket (it is up).
  bool ready() { return stats().has_value(); }

  // One of unbound's counters ("total.num.queries", "num.query.tcp"); -1 when unbound does not say.
  int64_t stat(const std::string& name) {
    auto text = stats();
    if (!text) return -1;
    const std::string key = "\n" + name + "=";
    const std::string all = "\n" + *text;
    const auto at = all.find(key);
    return at == std::string::npos ? 0 : std::stoll(all.substr(at + key.size()));
  }

 private:
  std::optional<std::string> stats() {
    auto [status, output] = run_program({kUnboundControl, "-c", dir_ + "/unbound.conf", "stats_noreset"}, 10s);
    if (status != 0) return std::nullopt;
    return output;
  }

  std::string dir_;
  uint16_t port_;
  std::unique_ptr<DaemonProcess> process_;
};

std::vector<std::string> test_zone() {
  std::vector<std::string> data = {
      "test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 60",  // negative answers: 60 s
      "a.test. 300 IN A 192.0.2.1",
      "corp-name.corp. 300 IN A 192.0.2.66",
      "short.test. 1 IN A 192.0.2.5",
  };
  for (int i = 1; i <= kBigRecords; ++i) data.push_back("big.test. 300 IN A 198.51.100." + std::to_string(i));
  return data;
}

// A UDP socket bound to 127.0.0.1:<free port> (set in `port`), for an
// upstream the test plays itself; -1 if it cannot bind.
int bound_udp_socket(uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  port = free_port();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

class DnsForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kDig, X_OK) != 0) GTEST_SKIP() << "dnsutils: " << kDig << " is missing (apt-get install dnsutils)";
    if (::access(kUnbound, X_OK) != 0 || ::access(kUnboundControl, X_OK) != 0)
      GTEST_SKIP() << "unbound: " << kUnbound << " is missing (apt-get install unbound)";
  }

  // An unbound serving the test zone (and corp. names), up; in its own directory.
  Unbound& start_unbound(const std::string& access = "allow",
                         const std::vector<std::string>& zones = {"\"test.\" static", "\"corp.\" static"},
                         const std::vector<std::string>& data = test_zone()) {
    const std::string dir = dir_.path() + "/unbound" + std::to_string(unbounds_.size());
    ::mkdir(dir.c_str(), 0755);
    unbounds_.push_back(std::make_unique<Unbound>(dir, zones, data, access));
    Unbound& unbound = *unbounds_.back();
    EXPECT_TRUE(wait_until([&] { return unbound.ready(); })) << unbound.log();
    return unbound;
  }

  // dcos-dns forwarding with `flags` (--upstream=...), its /health up.
  void start_dns(std::vector<std::string> flags) {
    dns_port_ = free_port();
    http_port_ = free_port();
    std::vector<std::string> args = {"--master=127.0.0.1:" + std::to_string(free_port()),
                                     "--listen=127.0.0.1:" + std::to_string(dns_port_),
                                     "--http_port=" + std::to_string(http_port_), "--log_level=debug"};
    args.insert(args.end(), flags.begin(), flags.end());
    dns_ = std::make_unique<DaemonProcess>(dns_binary(), args, dir_.path() + "/dns.log");
    dns_->start();
    ASSERT_TRUE(wait_until([&] { return get_json(http_port_, "/health").has_value(); })) << dns_->log();
  }

  Dig query(const std::string& name, const std::vector<std::string>& extra = {}, const std::string& type = "A") {
    return dig(dns_port_, name, type, extra, 3);
  }
  std::string metrics() {
    auto response = http::get("127.0.0.1", http_port_, "/metrics");
    return response ? response->body : response.error().message;
  }
  bool metric_is(const std::string& sample, const std::string& value) {
    return metrics().find(sample + " " + value + "\n") != std::string::npos;
  }
  std::string logs() {
    std::string out = "dcos-dns:\n" + (dns_ ? dns_->log() : "");
    for (const auto& unbound : unbounds_) out += "unbound:\n" + unbound->log();
    return out;
  }
  std::string closed_port() { return "127.0.0.1:" + std::to_string(free_port()); }

  TempDir dir_;
  std::vector<std::unique_ptr<Unbound>> unbounds_;
  std::unique_ptr<DaemonProcess> dns_;
  uint16_t dns_port_ = 0;
  uint16_t http_port_ = 0;
};

TEST_F(DnsForwardTest, ForwardsAndAnswersRepeatsFromTheCacheIncludingNegativeAnswers) {
  Unbound& unbound = start_unbound();
  start_dns({"--upstream=" + unbound.address()});
  const Dig first = query("a.test");
  EXPECT_EQ(first.status, "NOERROR") << first.output << logs();
  EXPECT_EQ(first.answers, std::vector<std::string>{"192.0.2.1"}) << first.output;
  EXPECT_NE(first.flags.find("ra"), std::string::npos) << first.output;
  const int64_t asked = unbound.stat("total.num.queries");
  EXPECT_GE(asked, 1);

  // The second is the cache's: unbound is not asked again.
  const Dig second = query("A.Test", {"+question"});
  EXPECT_EQ(second.answers, std::vector<std::string>{"192.0.2.1"}) << second.output;
  EXPECT_NE(second.output.find(";A.Test."), std::string::npos) << "the question as asked: " << second.output;
  EXPECT_EQ(unbound.stat("total.num.queries"), asked);

  // A negative answer is kept for the SOA's minimum (60 s) too.
  const Dig missing = query("missing.test");
  EXPECT_EQ(missing.status, "NXDOMAIN") << missing.output;
  const int64_t after_missing = unbound.stat("total.num.queries");
  EXPECT_EQ(query("missing.test").status, "NXDOMAIN");
  EXPECT_EQ(unbound.stat("total.num.queries"), after_missing);
  EXPECT_TRUE(metric_is("dcos_dns_cache_hits_total", "2")) << metrics();
  EXPECT_TRUE(metric_is("dcos_dns_upstream_answers_total{upstream=\"" + unbound.address() + "\"}", "2"))
      << metrics();

  // Expired (TTL 1 s): asked again.
  EXPECT_EQ(query("short.test").answers, std::vector<std::string>{"192.0.2.5"});
  const int64_t after_short = unbound.stat("total.num.queries");
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(query("short.test").answers, std::vector<std::string>{"192.0.2.5"});
  EXPECT_EQ(unbound.stat("total.num.queries"), after_short + 1);
}

TEST_F(DnsForwardTest, KeepsTheClientsIdAndFitsItsEdnsSize) {
  Unbound& unbound = start_unbound();
  start_dns({"--upstream=" + unbound.address()});
  const std::string question = std::string("\3big\4test\0", 10) + kTypeA;
  // EDNS with 4096 bytes: the whole answer over UDP.
  const std::string opt = std::string("\0\0\x29\x10\x00\0\0\0\0\0\0", 11);
  const std::string big = udp_exchange(dns_port_, header(0xbeef, 0x0100, 1, 0, 0, 1) + question + opt);
  ASSERT_GE(big.size(), 12u) << logs();
  EXPECT_EQ(id_of(big), 0xbeef);
  EXPECT_EQ(rcode_of(big), 0);
  EXPECT_EQ(static_cast<unsigned char>(big[2]) & 0x02, 0) << "not truncated";
  EXPECT_EQ(static_cast<unsigned char>(big[6]) << 8 | static_cast<unsigned char>(big[7]), kBigRecords);
  EXPECT_GT(big.size(), 1232u);
  // Without EDNS: 512 bytes at most, with TC.
  const std::string small = udp_exchange(dns_port_, header(0x1234, 0x0100, 1) + question);
  ASSERT_GE(small.size(), 12u);
  EXPECT_EQ(id_of(small), 0x1234);
  EXPECT_LE(small.size(), 512u);
  EXPECT_NE(static_cast<unsigned char>(small[2]) & 0x02, 0) << "TC";
}

TEST_F(DnsForwardTest, RetriesATruncatedUpstreamAnswerOverTcp) {
  Unbound& unbound = start_unbound();
  start_dns({"--upstream=" + unbound.address()});
  // dig without EDNS gets TC from us over UDP, then asks again over TCP.
  const Dig cut = query("big.test", {"+noedns", "+ignore"});
  EXPECT_EQ(cut.status, "NOERROR") << cut.output << logs();
  EXPECT_NE(cut.flags.find("tc"), std::string::npos) << cut.output;
  EXPECT_GE(unbound.stat("num.query.tcp"), 1) << "the upstream's TC answer was fetched again over TCP";
  const Dig whole = query("big.test", {"+noedns"});
  EXPECT_EQ(whole.answers.size(), static_cast<std::size_t>(kBigRecords)) << whole.output;
}

TEST_F(DnsForwardTest, FailsOverPastADeadAndARefusingUpstreamThenServfailsWhenAllFail) {
  // unbound's access-control "refuse" answers without the question, which
  // c-ares 1.18 ignores as no answer (a timeout); a refusing zone keeps it.
  Unbound& refusing = start_unbound("allow", {"\"test.\" refuse"}, {});
  Unbound& good = start_unbound();
  const std::string dead = closed_port();
  start_dns({"--upstream=" + dead + "," + refusing.address() + "," + good.address(), "--upstream_timeout=500ms",
             "--upstream_backoff=10mins"});
  const Dig answer = query("a.test");
  EXPECT_EQ(answer.answers, std::vector<std::string>{"192.0.2.1"}) << answer.output << logs();
  const std::string text = metrics();
  EXPECT_NE(text.find("dcos_dns_upstream_failures_total{upstream=\"" + refusing.address() + "\",kind=\"rcode\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("dcos_dns_upstream_answers_total{upstream=\"" + good.address() + "\"} 1"), std::string::npos)
      << text;

  // Three failures in a row make an upstream sick: it is skipped, not waited for.
  for (const std::string name : {"b.test", "c.test"}) EXPECT_EQ(query(name).status, "NXDOMAIN") << logs();
  EXPECT_EQ(query("d.test").status, "NXDOMAIN");
  EXPECT_TRUE(metric_is("dcos_dns_upstream_healthy{upstream=\"" + dead + "\"}", "0")) << metrics();
  EXPECT_TRUE(metric_is("dcos_dns_upstream_skipped_total{upstream=\"" + dead + "\"}", "1")) << metrics();

  good.kill();
  const Dig failed = query("e.test");
  EXPECT_EQ(failed.status, "SERVFAIL") << failed.output << logs();
  EXPECT_TRUE(metric_is("dcos_dns_upstream_all_failed_total", "1")) << metrics();
}

TEST_F(DnsForwardTest, ServesStaleAnswersBrieflyWhenEveryUpstreamIsDown) {
  Unbound& unbound = start_unbound();
  start_dns({"--upstream=" + unbound.address(), "--serve_stale_for=60secs"});
  EXPECT_EQ(query("short.test").answers, std::vector<std::string>{"192.0.2.5"}) << logs();
  unbound.kill();
  std::this_thread::sleep_for(1100ms);  // past its TTL of 1 s
  const Dig stale = query("short.test");
  EXPECT_EQ(stale.answers, std::vector<std::string>{"192.0.2.5"}) << stale.output << logs();
  EXPECT_EQ(stale.ttls, std::vector<std::string>{"30"}) << stale.output;
  EXPECT_TRUE(metric_is("dcos_dns_cache_stale_total", "1")) << metrics();
  // Nothing stale to serve: SERVFAIL.
  EXPECT_EQ(query("a.test").status, "SERVFAIL");
}

TEST_F(DnsForwardTest, SendsAForwardZoneToItsOwnServers) {
  Unbound& general = start_unbound();
  Unbound& corp = start_unbound("allow", {"\"corp.\" static"}, {"corp-name.corp. 300 IN A 192.0.2.77"});
  start_dns({"--upstream=" + general.address(), "--forward_zones=corp=" + corp.address() + ";example.org=" +
                                                     closed_port()});
  EXPECT_EQ(query("corp-name.corp").answers, std::vector<std::string>{"192.0.2.77"}) << logs();
  EXPECT_EQ(query("a.test").answers, std::vector<std::string>{"192.0.2.1"}) << logs();
  EXPECT_EQ(query("CORP-name.Corp").answers, std::vector<std::string>{"192.0.2.77"});
}

TEST_F(DnsForwardTest, RefusesQueriesOverTheInFlightBound) {
  // An upstream that never answers: a UDP socket nobody reads.
  uint16_t silent_port = 0;
  const int silent = bound_udp_socket(silent_port);
  ASSERT_GE(silent, 0);
  start_dns({"--upstream=127.0.0.1:" + std::to_string(silent_port), "--max_in_flight=2", "--upstream_timeout=10secs"});
  for (const std::string name : {"\1a\4slow\0", "\1b\4slow\0"}) {
    const std::string query = header(1, 0x0100, 1) + std::string(name.data(), 8) + kTypeA;
    EXPECT_EQ(udp_exchange(dns_port_, query), "") << "still waiting for the upstream";
  }
  const std::string third = udp_exchange(dns_port_, header(3, 0x0100, 1) + std::string("\1c\4slow\0", 8) + kTypeA);
  ASSERT_GE(third.size(), 12u) << dns_->log();
  EXPECT_EQ(id_of(third), 3);
  EXPECT_EQ(rcode_of(third), 5) << "REFUSED";
  EXPECT_TRUE(metric_is("dcos_dns_refused_total", "1")) << metrics();
  EXPECT_TRUE(metric_is("dcos_dns_in_flight", "2")) << metrics();
  ::close(silent);
}

TEST_F(DnsForwardTest, AsksTheUpstreamOnceForIdenticalQueriesInFlight) {
  // An upstream played by the test: a UDP socket it reads and answers by hand.
  uint16_t upstream_port = 0;
  const int upstream = bound_udp_socket(upstream_port);
  ASSERT_GE(upstream, 0);
  timeval timeout{5, 0};
  ::setsockopt(upstream, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  start_dns({"--upstream=127.0.0.1:" + std::to_string(upstream_port), "--upstream_timeout=10secs"});

  // One question three times (its name in three cases), and a fourth of another type.
  const std::vector<std::string> names = {std::string("\1a\4test\0", 8), std::string("\1A\4TEST\0", 8),
                                          std::string("\1a\4Test\0", 8)};
  const int client = open_socket(SOCK_DGRAM, dns_port_);
  ASSERT_GE(client, 0);
  for (uint16_t id = 1; id <= 3; ++id) {
    const std::string query = header(id, 0x0100, 1) + names[id - 1] + kTypeA;
    ASSERT_EQ(::send(client, query.data(), query.size(), 0), static_cast<ssize_t>(query.size()));
  }
  const std::string other = header(4, 0x0100, 1) + names[0] + std::string("\0\x1c\0\1", 4);  // AAAA
  ASSERT_EQ(::send(client, other.data(), other.size(), 0), static_cast<ssize_t>(other.size()));
  ASSERT_TRUE(wait_until([&] { return metric_is("dcos_dns_coalesced_total", "2"); })) << metrics();
  EXPECT_TRUE(metric_is("dcos_dns_in_flight", "4")) << metrics();

  // The upstream gets the question once, and the AAAA one.
  std::vector<std::pair<std::string, sockaddr_in>> asked;
  for (int i = 0; i < 2; ++i) {
    char buffer[4096];
    sockaddr_in from{};
    socklen_t from_size = sizeof from;
    const ssize_t n = ::recvfrom(upstream, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &from_size);
    ASSERT_GT(n, 12 + 8 + 4) << dns_->log();
    asked.emplace_back(std::string(buffer, static_cast<std::size_t>(n)), from);
  }
  char extra[512];
  EXPECT_LT(::recv(upstream, extra, sizeof extra, MSG_DONTWAIT), 0) << "a third query reached the upstream";
  for (const auto& [query, from] : asked) {
    // NOERROR: the question, and an A record for A (none for AAAA).
    const bool a = query.substr(12 + 8, 2) == std::string("\0\1", 2);
    std::string reply = header(id_of(query), 0x8180, 1, a ? 1 : 0) + query.substr(12, 8 + 4);
    if (a) reply += std::string("\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4\xc0\0\2\x09", 16);  // 192.0.2.9, TTL 60
    ::sendto(upstream, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&from), sizeof from);
  }

  // Every client gets the answer, with its own id and its question as it asked it.
  std::set<uint16_t> answered;
  for (int i = 0; i < 4; ++i) {
    char buffer[4096];
    const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    ASSERT_GT(n, 12) << dns_->log();
    const std::string reply(buffer, static_cast<std::size_t>(n));
    const uint16_t id = id_of(reply);
    ASSERT_TRUE(id >= 1 && id <= 4) << id;
    answered.insert(id);
    EXPECT_EQ(rcode_of(reply), 0);
    EXPECT_EQ(reply.substr(12, 8), names[id == 4 ? 0 : id - 1]) << id;
    if (id != 4) {
      EXPECT_EQ(reply.substr(reply.size() - 4), std::string("\xc0\0\2\x09", 4)) << id;
    }
  }
  EXPECT_EQ(answered.size(), 4u);
  EXPECT_TRUE(metric_is("dcos_dns_in_flight", "0")) << metrics();
  ::close(client);
  ::close(upstream);
}

TEST(DnsForwardFlags, ForwardZonesAreDomainEqualsServers) {
  auto zones = dns::parse_forward_zones("corp.example.com=10.0.0.1,10.0.0.2:5353;consul=127.0.0.1:8600;");
  ASSERT_TRUE(zones) << zones.error().message;
  ASSERT_EQ(zones->size(), 2u);
  EXPECT_EQ((*zones)[0].first, "corp.example.com");
  EXPECT_EQ((*zones)[0].second, (std::vector<dns::Endpoint>{{"10.0.0.1", 53}, {"10.0.0.2", 5353}}));
  EXPECT_EQ((*zones)[1].second, (std::vector<dns::Endpoint>{{"127.0.0.1", 8600}}));
  EXPECT_TRUE(dns::parse_forward_zones("")->empty());
  for (const char* bad : {"corp", "=10.0.0.1", "corp=", "corp=host.example", ".=10.0.0.1", "a..b=10.0.0.1"})
    EXPECT_FALSE(dns::parse_forward_zones(bad)) << bad;
}

}  // namespace
}  // namespace dcos::testing
