// The nftables datapath against the real kernel, in namespaces the test
// makes (../netns_lab.hpp): real TCP backends behind veth pairs, a local
// client in the node's namespace and a forwarded one in its own.
#include <gtest/gtest.h>

#include <map>

#include "netlb/nftables/datapath.hpp"
#include "netlb/nftables/element_batch.hpp"
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
    EXPECT_EQ(read_kernel(), want);
  }

  // The table as a datapath that has not seen it reads it: from the kernel.
  VipTable read_kernel() {
    auto fresh = make_nftables_datapath();
    if (!fresh) return {};
    auto held = (*fresh)->dump();
    EXPECT_TRUE(held) << held.error().message;
    EXPECT_EQ((*fresh)->unchanged_dumps(), 0u);
    return held ? *held : VipTable{};
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

// A reconcile of a table nothing changed reads only the ruleset's
// generation; any transaction from outside (in any table) makes the next
// one read the table again, and a change it made to ours is found.
TEST_F(NftablesDatapathTest, AnUnchangedTableIsNotReadAgainButAnyOutsideChangeIs) {
  if (!have_nft_command()) GTEST_SKIP() << "the nft command is missing (Debian package nftables)";
  const VipTable want = table_of({service(kVip, 80, {backend(1, 1), backend(2, 1), backend(3, 1)})});
  reconcile_to(want);
  const uint64_t before = datapath_->unchanged_dumps();
  auto held = datapath_->dump();
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(*held, want);
  EXPECT_EQ(datapath_->unchanged_dumps(), before + 1) << "nothing changed: the table is not read again";

  // Our own element batch, accepted on the generation it was planned on,
  // keeps the table known.
  const VipTable drained = table_of({service(kVip, 80, {backend(1, 1), backend(2, 0), backend(3, 1)})});
  auto changes = reconcile(*datapath_, drained);
  ASSERT_TRUE(changes) << changes.error().message;
  EXPECT_EQ(changes->size(), 1u);
  EXPECT_EQ(datapath_->unchanged_dumps(), before + 2) << "reconcile's own dump";
  EXPECT_EQ(read_kernel(), drained);

  // Another table's transaction moves the generation: read again, same table.
  std::string out;
  ASSERT_EQ(lab_->run_in_lb("nft add table inet someone-else", &out), 0) << out;
  held = datapath_->dump();
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(*held, drained);
  EXPECT_EQ(datapath_->unchanged_dumps(), before + 2) << "the generation moved: the table was read";
  held = datapath_->dump();
  EXPECT_EQ(datapath_->unchanged_dumps(), before + 3) << "and is known again after that read";

  // A backend removed from outside is seen by the next dump and put back.
  ASSERT_EQ(lab_->run_in_lb("nft delete element inet dcos-l4lb backends4 '{ 11.0.0.1 . tcp . 80 . 1 }'", &out), 0)
      << out;
  held = datapath_->dump();
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_NE(*held, drained) << "the outside deletion was not seen";
  reconcile_to(drained);
  EXPECT_EQ(spread(30)[2], 0) << "the drained backend got new connections";
}

// A change planned before an outside transaction it did not see: the
// batch carrying the old generation is refused by the kernel and sent
// again without it, as before; the next dump reads the table.
TEST_F(NftablesDatapathTest, ABatchPlannedOnAnOldGenerationIsStillApplied) {
  if (!have_nft_command()) GTEST_SKIP() << "the nft command is missing (Debian package nftables)";
  const VipTable before = table_of({service(kVip, 80, {backend(1, 1), backend(2, 1)})});
  reconcile_to(before);
  std::string out;
  ASSERT_EQ(lab_->run_in_lb("nft add table inet someone-else", &out), 0) << out;
  const VipTable after = table_of({service(kVip, 80, {backend(1, 1), backend(2, 1), backend(3, 1)})});
  auto applied = datapath_->apply(plan(before, after));
  ASSERT_TRUE(applied) << applied.error().message;
  const uint64_t unchanged = datapath_->unchanged_dumps();
  auto held = datapath_->dump();
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(*held, after);
  EXPECT_EQ(datapath_->unchanged_dumps(), unchanged) << "applied off the generation: the table is read";
  EXPECT_EQ(read_kernel(), after);
}

// What the two tests above rely on, shown on the kernel itself: a batch
// carrying a generation the ruleset has left is refused whole (and sent
// again without it), one carrying the current generation is applied on it,
// and each applied transaction moves the generation on by one.
TEST_F(NftablesDatapathTest, TheKernelHoldsABatchToItsGeneration) {
  if (!have_nft_command()) GTEST_SKIP() << "the nft command is missing (Debian package nftables)";
  reconcile_to(table_of({service(kVip, 80, {backend(1, 1)})}));
  nft::BatchSocket socket;
  nft::ElementChanges idle;  // an idle element: a plain set, no rule depends on it
  nft::Element element;
  element.key = {Protocol::tcp, *Address::parse("11.0.0.9"), 80};
  element.endpoint = {*Address::parse("10.77.2.2"), 8080};
  idle.adds[{nft::SetKind::idle, true}].push_back(element);

  auto old = socket.generation();
  ASSERT_TRUE(old) << old.error().message;
  std::string out;
  ASSERT_EQ(lab_->run_in_lb("nft add table inet someone-else", &out), 0) << out;
  auto moved = socket.generation();
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(*moved, nft::next_generation(*old)) << "one transaction, one step";

  auto refused = socket.commit("dcos-l4lb", idle, *old);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(*refused, nft::Committed::applied) << "the kernel took a batch on a generation it had left";
  auto now = socket.generation();
  ASSERT_TRUE(now);
  EXPECT_EQ(*now, nft::next_generation(*moved)) << "the refused batch changed nothing; the one sent again did";

  nft::ElementChanges undo;
  undo.deletes = idle.adds;
  auto held = socket.commit("dcos-l4lb", undo, *now);
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(*held, nft::Committed::on_generation);
  auto after = socket.generation();
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, nft::next_generation(*now));
}

}  // namespace
}  // namespace dcos::netlb
