// The nftables datapath against the real kernel, in namespaces the test
// makes (../netns_lab.hpp): real TCP backends behind veth pairs, a local
// client in the node's namespace and a forwarded one in its own.
#include <gtest/gtest.h>

#include <map>

#include "netlb/nftables/datapath.hpp"
#include "netlb/plan.hpp"
#include "tests/netlb/netns_lab.hpp"
#include "tests/netlb/tables.hpp"

namespace dcos::netlb {
namespace {

using testing::HeldConnection;
using testing::NetnsLab;

constexpr int kBackends = 3;
const char* kVip = "11.0.0.1";

Destination backend(int i, uint32_t weight) {
  return {*Address::parse("10.77." + std::to_string(i) + ".2"), 8080, weight};
}

Service service(const char* vip, uint16_t port, std::vector<Destination> destinations, Protocol protocol = Protocol::tcp) {
  return testing::service({protocol, *Address::parse(vip), port}, std::move(destinations));
}

VipTable table_of(std::initializer_list<Service> services) { return testing::table(services); }

class NftablesDatapathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    lab_ = NetnsLab::make(kBackends, &why);
    if (!lab_) GTEST_SKIP() << "network namespaces with veth pairs unavailable: " << why;
    ASSERT_TRUE(lab_->enter_lb());
    auto made = make_nftables_datapath();
    ASSERT_TRUE(made) << made.error().message;
    datapath_ = std::move(*made);
    if (auto probe = datapath_->dump(); !probe) GTEST_SKIP() << "nftables unavailable: " << probe.error().message;
  }
  void TearDown() override {
    datapath_.reset();
    if (lab_) lab_->leave();
    lab_.reset();
  }

  // The nft command, for changes from outside and a look at the ruleset.
  bool have_nft_command() { return lab_->run_in_lb("nft --version") == 0; }

  void reconcile_to(const VipTable& want) {
    auto changes = reconcile(*datapath_, want);
    ASSERT_TRUE(changes) << changes.error().message;
    auto held = datapath_->dump();
    ASSERT_TRUE(held) << held.error().message;
    EXPECT_EQ(*held, want);
  }

  // Backend number -> connections it got, of `count` local connections.
  std::map<int, int> spread(int count, uint16_t port = 80) {
    std::map<int, int> got;
    for (int i = 0; i < count; ++i) ++got[NetnsLab::connect_once(kVip, port)];
    return got;
  }

  std::unique_ptr<NetnsLab> lab_;
  std::unique_ptr<Datapath> datapath_;
};

TEST_F(NftablesDatapathTest, ConnectionsReachEveryBackendInProportionToWeights) {
  reconcile_to(table_of({service(kVip, 80, {backend(1, 1), backend(2, 2), backend(3, 3)})}));
  const int count = 600;
  auto got = spread(count);
  EXPECT_EQ(got[0], 0) << "failed connections";
  for (int i = 1; i <= 3; ++i) {
    const int expected = count * i / 6;  // weights 1, 2, 3 of 6
    EXPECT_GT(got[i], expected / 2) << "backend " << i;
    EXPECT_LT(got[i], expected * 3 / 2) << "backend " << i;
  }
}

TEST_F(NftablesDatapathTest, ForwardedClientsAreBalancedToo) {
  reconcile_to(table_of({service(kVip, 80, {backend(1, 1), backend(2, 1), backend(3, 1)})}));
  std::map<int, int> got;
  for (int i = 0; i < 90; ++i) ++got[lab_->connect_from_client(kVip, 80)];
  EXPECT_EQ(got[0], 0) << "failed connections";
  for (int i = 1; i <= 3; ++i) EXPECT_GT(got[i], 0) << "backend " << i << " never reached";
}

TEST_F(NftablesDatapathTest, WeightZeroStopsNewConnectionsButNotExistingOnes) {
  reconcile_to(table_of({service(kVip, 80, {backend(1, 1), backend(2, 1)})}));
  HeldConnection held(kVip, 80);
  ASSERT_NE(held.backend(), 0);
  ASSERT_TRUE(held.echoes());
  const int drained = held.backend(), other = drained == 1 ? 2 : 1;

  auto changes = reconcile(*datapath_, table_of({service(kVip, 80, {backend(drained, 0), backend(other, 1)})}));
  ASSERT_TRUE(changes) << changes.error().message;
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ(changes->front().kind, Change::Kind::edit_destination);

  EXPECT_TRUE(held.echoes()) << "the existing connection to the drained backend broke";
  auto got = spread(60);
  EXPECT_EQ(got[drained], 0);
  EXPECT_EQ(got[other], 60);
  auto dumped = datapath_->dump();
  ASSERT_TRUE(dumped);
  EXPECT_EQ(dumped->begin()->second.destinations.front().weight + dumped->begin()->second.destinations.back().weight, 1u);
}

TEST_F(NftablesDatapathTest, RemovingABackendRemovesIt) {
  reconcile_to(table_of({service(kVip, 80, {backend(1, 1), backend(2, 1), backend(3, 1)})}));
  reconcile_to(table_of({service(kVip, 80, {backend(1, 1), backend(3, 1)})}));
  auto got = spread(60);
  EXPECT_EQ(got[2], 0);
  EXPECT_EQ(got[1] + got[3], 60);
}

TEST_F(NftablesDatapathTest, DumpRoundTripsEveryShape) {
  Service v6 = service("fd00::11", 443, {{*Address::parse("fd01::2"), 8443, 5}, {*Address::parse("fd01::3"), 8443, 0}});
  v6.scheduler = "rr";
  const VipTable want = table_of({
      service(kVip, 80, {backend(1, 1), backend(2, 0), backend(3, 7)}),
      service(kVip, 53, {backend(1, 1), backend(2, 1)}, Protocol::udp),
      service("11.0.0.2", 80, {}),                       // no destinations yet
      service("11.0.0.3", 80, {backend(1, 0)}),          // only a drained one
      v6,
  });
  reconcile_to(want);
  // Step through tables that share services, so that every kind of change
  // meets a table the kernel holds.
  VipTable next = want;
  next.erase(next.begin());
  next[service("11.0.0.4", 8080, {backend(2, 2)}).key] = service("11.0.0.4", 8080, {backend(2, 2)});
  next.rbegin()->second.scheduler = "sh";
  reconcile_to(next);
  reconcile_to(want);
  reconcile_to({});
}

TEST_F(NftablesDatapathTest, WhatIsRemovedFromOutsideComesBackOnReconcile) {
  if (!have_nft_command()) GTEST_SKIP() << "the nft command is missing (Debian package nftables)";
  const VipTable want = table_of({service(kVip, 80, {backend(1, 1), backend(2, 1), backend(3, 1)}),
                                  service("11.0.0.2", 80, {backend(1, 1)})});
  reconcile_to(want);
  std::string out;
  ASSERT_EQ(lab_->run_in_lb("nft flush chain inet dcos-l4lb output", &out), 0) << out;
  ASSERT_EQ(lab_->run_in_lb("nft delete element inet dcos-l4lb backends4 '{ 11.0.0.1 . tcp . 80 . 1 }'", &out), 0)
      << out;
  ASSERT_EQ(lab_->run_in_lb("nft delete element inet dcos-l4lb services4 '{ 11.0.0.2 . tcp . 80 }'", &out), 0) << out;
  EXPECT_EQ(NetnsLab::connect_once(kVip, 80), 0) << "the VIP still works without its output rule";

  reconcile_to(want);
  auto got = spread(60);
  EXPECT_EQ(got[0], 0);
  for (int i = 1; i <= 3; ++i) EXPECT_GT(got[i], 0) << "backend " << i;
  EXPECT_EQ(NetnsLab::connect_once("11.0.0.2", 80), 1);
}

TEST_F(NftablesDatapathTest, ATableChangedBeyondReadingIsReplacedWhole) {
  if (!have_nft_command()) GTEST_SKIP() << "the nft command is missing (Debian package nftables)";
  const VipTable want = table_of({service(kVip, 80, {backend(1, 1), backend(2, 1)})});
  reconcile_to(want);
  // services4 replaced by a map of another type: not something we write.
  std::string out;
  ASSERT_EQ(lab_->run_in_lb("nft 'flush chain inet dcos-l4lb prerouting; flush chain inet dcos-l4lb output; "
                            "delete map inet dcos-l4lb services4; add map inet dcos-l4lb services4 "
                            "{ type ipv4_addr : verdict; elements = { 11.0.0.1 : accept } }'",
                            &out),
            0)
      << out;
  EXPECT_EQ(NetnsLab::connect_once(kVip, 80), 0);

  reconcile_to(want);
  auto got = spread(40);
  EXPECT_EQ(got[0], 0);
  EXPECT_GT(got[1], 0);
  EXPECT_GT(got[2], 0);
}

TEST_F(NftablesDatapathTest, TheKernelsRefusalNamesTheElementsAndTheNextReconcileHeals) {
  if (!have_nft_command()) GTEST_SKIP() << "the nft command is missing (Debian package nftables)";
  const VipTable before = table_of({service(kVip, 80, {backend(1, 1), backend(2, 1)})});
  reconcile_to(before);
  // The table goes behind the datapath's back: its next change (elements
  // only, sent as netlink) names sets the kernel no longer has.
  std::string out;
  ASSERT_EQ(lab_->run_in_lb("nft delete table inet dcos-l4lb", &out), 0) << out;
  const VipTable after = table_of({service(kVip, 80, {backend(1, 1), backend(2, 0)})});
  const std::vector<Change> changes = plan(before, after);
  auto refused = datapath_->apply(changes);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("element from inet dcos-l4lb backends4 (11.0.0.1 . tcp . 80 . 1 : "
                                         "10.77.2.2 . 8080): No such file or directory"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("one transaction of 1 changes: "), std::string::npos)
      << refused.error().message;
  reconcile_to(after);
  auto got = spread(20);
  EXPECT_EQ(got[1], 20);
}

TEST_F(NftablesDatapathTest, RemoveAllLeavesNothing) {
  if (!have_nft_command()) GTEST_SKIP() << "the nft command is missing (Debian package nftables)";
  reconcile_to(table_of({service(kVip, 80, {backend(1, 1)})}));
  ASSERT_TRUE(datapath_->remove_all());
  std::string out;
  ASSERT_EQ(lab_->run_in_lb("nft list ruleset", &out), 0) << out;
  EXPECT_EQ(out, "");
  EXPECT_EQ(NetnsLab::connect_once(kVip, 80), 0);
  ASSERT_TRUE(datapath_->remove_all()) << "a second removal finds nothing and is fine";
  auto held = datapath_->dump();
  ASSERT_TRUE(held);
  EXPECT_TRUE(held->empty());
}

TEST_F(NftablesDatapathTest, ATableItCannotHoldIsRefusedAndChangesNothing) {
  const VipTable before = table_of({service(kVip, 80, {backend(1, 1)})});
  reconcile_to(before);
  auto mixed = reconcile(*datapath_, table_of({service(kVip, 80, {backend(1, 1), {*Address::parse("fd01::2"), 80, 1}})}));
  ASSERT_FALSE(mixed);
  EXPECT_NE(mixed.error().message.find("address family"), std::string::npos) << mixed.error().message;
  auto heavy = reconcile(*datapath_, table_of({service(kVip, 80, {backend(1, 5000)})}));
  ASSERT_FALSE(heavy);
  EXPECT_NE(heavy.error().message.find("total weight"), std::string::npos) << heavy.error().message;
  auto held = datapath_->dump();
  ASSERT_TRUE(held);
  EXPECT_EQ(*held, before);
}

}  // namespace
}  // namespace dcos::netlb
