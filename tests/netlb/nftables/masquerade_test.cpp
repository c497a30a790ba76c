// Which connections the nftables datapath masquerades, in namespaces the
// test makes (../netns_lab.hpp): only those its own pick rules DNATed
// (conntrack label 127), not a connection another table of the node
// DNATed; and a table of the version before the label (rules commented
// `pick4`, `masquerade`, the latter matching every DNATed connection) is
// upgraded by the first reconcile of the new version.
//
// The test's thread is in the lb namespace; a connection from there is
// bound to 10.77.200.1 (the lb's client-side address, a local address
// that is not on the backend's link), and backend 1's namespace holds the
// test's own listener, which tells the address the connection came from:
// 10.77.1.1 (the lb's address on the backend's link) when masqueraded,
// 10.77.200.1 when not.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "netlb/nftables/datapath.hpp"
#include "netlb/nftables/parse.hpp"
#include "netlb/nftables/ruleset.hpp"
#include "tests/netlb/netns_lab.hpp"
#include "tests/netlb/tables.hpp"
#include "tests/netlb/tcp_backend.hpp"

namespace dcos::netlb {
namespace {

using testing::NetnsLab;

constexpr uint16_t kPort = 9090;
const char* kVip = "11.0.0.1";
const char* kForeignVip = "10.99.0.1";  // DNATed by a table that is not ours
const char* kSource = "10.77.200.1";
const char* kMasqueraded = "10.77.1.1";
const char* kForeignTable =
    "add table ip foreign-nat\n"
    "add chain ip foreign-nat output { type nat hook output priority -50; policy accept; }\n"
    "add rule ip foreign-nat output ip daddr 10.99.0.1 tcp dport 9090 dnat to 10.77.1.2:9090\n";

Service web() {
  return testing::service({Protocol::tcp, *Address::parse(kVip), kPort}, {{*Address::parse("10.77.1.2"), kPort, 1}});
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// Our table as the version before conntrack label 127 wrote it: the same
// frame, pick chains and elements, but the pick rules without the label
// (comments pick4/pick6) and the masquerade rule matching every DNATed
// connection from a local source (comment masquerade).
std::string older_table(const Service& service) {
  nft::Batch batch("dcos-l4lb");
  batch.frame();
  for (uint32_t slots = 1; slots <= nft::kPreparedPicks; ++slots) batch.pick_chain(slots, /*refill=*/false);
  std::string text = batch.commands();
  replace_all(text, "ct label 127 fib saddr type local masquerade comment \"masquerade-vips\"",
              "ct status dnat fib saddr type local masquerade comment \"masquerade\"");
  replace_all(text, "ct label set 127 dnat", "dnat");
  replace_all(text, "comment \"vip-dnat", "comment \"pick");
  // Its elements, as nft's text (the datapath sends them as netlink).
  const std::string key =
      service.key.vip.text() + " . tcp . " + std::to_string(service.key.port);
  const Destination& only = service.destinations.at(0);
  text += "add element inet dcos-l4lb services4 { " + key + " comment \"" + service.scheduler + "\" : goto pick-1 }\n";
  text += "add element inet dcos-l4lb backends4 { " + key + " . 0 : " + only.address.text() + " . " +
          std::to_string(only.port) + " }\n";
  return text;
}

class MasqueradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    lab_ = NetnsLab::make(1, &why);
    if (!lab_) GTEST_SKIP() << "network namespaces with veth pairs unavailable: " << why;
    ASSERT_TRUE(lab_->enter_lb());
    context_ = nft_ctx_new(NFT_CTX_DEFAULT);
    ASSERT_NE(context_, nullptr);
    ASSERT_EQ(nft_ctx_buffer_output(context_), 0);
    ASSERT_EQ(nft_ctx_buffer_error(context_), 0);
    if (nft_run_cmd_from_buffer(context_, "list tables") != 0)
      GTEST_SKIP() << "nftables unavailable: " << nft_ctx_get_error_buffer(context_);
    NetnsLab::in_netns(lab_->backend_netns(1), [&] {
      if (auto listening = testing::listen_tcp(kPort)) listener_ = *listening;
    });
    ASSERT_GE(listener_, 0) << "a listener in the backend's namespace";
    std::string out;
    ASSERT_EQ(lab_->run_in_lb(std::string("ip route add ") + kForeignVip + "/32 via 10.77.1.2", &out), 0) << out;
  }
  void TearDown() override {
    if (listener_ >= 0) close(listener_);
    if (context_) nft_ctx_free(context_);
    if (lab_) lab_->leave();
    lab_.reset();
  }

  // One nft transaction in the lb namespace; its error text, "" when it worked.
  std::string nft(const std::string& commands) {
    if (nft_run_cmd_from_buffer(context_, commands.c_str()) == 0) return "";
    const std::string error = nft_ctx_get_error_buffer(context_);
    return error.empty() ? "failed" : error;
  }

  // The address the backend sees for a connection from kSource to
  // address:kPort; "" when none arrived.
  std::string source_seen(const std::string& address) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{}, to{};
    from.sin_family = to.sin_family = AF_INET;
    inet_pton(AF_INET, kSource, &from.sin_addr);
    to.sin_port = htons(kPort);
    inet_pton(AF_INET, address.c_str(), &to.sin_addr);
    const timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    std::string seen;
    if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0 &&
        connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
      pollfd ready{listener_, POLLIN, 0};
      if (poll(&ready, 1, 2000) == 1) {
        sockaddr_in peer{};
        socklen_t size = sizeof peer;
        const int accepted = accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &size, SOCK_CLOEXEC);
        char text[INET_ADDRSTRLEN] = {};
        if (accepted >= 0 && inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text)) seen = text;
        if (accepted >= 0) close(accepted);
      }
    }
    const linger reset{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
    return seen;
  }

  // Our table's chains and their rules' comments, as nft lists them now.
  std::map<std::string, std::vector<std::string>> chains() {
    nft_ctx_output_set_flags(context_, NFT_CTX_OUTPUT_JSON);
    const std::string error = nft("list table inet dcos-l4lb");
    nft_ctx_output_set_flags(context_, 0);
    EXPECT_EQ(error, "");
    auto held = nft::parse_table(nft_ctx_get_output_buffer(context_));
    EXPECT_TRUE(held) << held.error().message;
    return held ? held->chains : std::map<std::string, std::vector<std::string>>{};
  }

  std::unique_ptr<NetnsLab> lab_;
  nft_ctx* context_ = nullptr;
  int listener_ = -1;
};

TEST_F(MasqueradeTest, OnlyConnectionsWeDnatedAreMasqueraded) {
  auto datapath = make_nftables_datapath();
  ASSERT_TRUE(datapath) << datapath.error().message;
  auto changes = reconcile(**datapath, testing::table({web()}));
  ASSERT_TRUE(changes) << changes.error().message;
  ASSERT_EQ(nft(kForeignTable), "");

  EXPECT_EQ(source_seen(kVip), kMasqueraded) << "our VIP's local client is masqueraded";
  EXPECT_EQ(source_seen(kForeignVip), kSource) << "another table's DNAT is left alone";
  EXPECT_EQ(source_seen("10.77.1.2"), kSource) << "a plain connection is left alone";
}

TEST_F(MasqueradeTest, AnOlderTableIsUpgradedByTheFirstReconcile) {
  const VipTable want = testing::table({web()});
  ASSERT_EQ(nft(older_table(web())), "");
  ASSERT_EQ(nft(kForeignTable), "");
  // The older shape masqueraded every DNATed local connection: what the
  // upgrade must change (and the proof that this test can tell).
  EXPECT_EQ(source_seen(kVip), kMasqueraded);
  EXPECT_EQ(source_seen(kForeignVip), kMasqueraded);

  auto datapath = make_nftables_datapath();
  ASSERT_TRUE(datapath) << datapath.error().message;
  auto changes = reconcile(**datapath, want);
  ASSERT_TRUE(changes) << changes.error().message;
  EXPECT_TRUE(changes->empty()) << "the older table's elements already hold the service";
  auto held = (*datapath)->dump();
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(*held, want);

  const auto now = chains();
  EXPECT_EQ(now.at("postrouting"), std::vector<std::string>{"masquerade-vips"});
  std::size_t picks = 0;
  for (const auto& [chain, rules] : now) {
    if (!nft::pick_slots(chain)) continue;
    ++picks;
    EXPECT_EQ(rules, (std::vector<std::string>{"vip-dnat4", "vip-dnat6"})) << chain;
  }
  EXPECT_EQ(picks, nft::kPreparedPicks);

  EXPECT_EQ(source_seen(kVip), kMasqueraded);
  EXPECT_EQ(source_seen(kForeignVip), kSource) << "after the upgrade another table's DNAT is left alone";
}

}  // namespace
}  // namespace dcos::netlb
