// The plan from one VIP table to another: exact, in the safe order, and
// applying it to the old table gives the new one.
#include "netlb/plan.hpp"
#include "tests/netlb/tables.hpp"

#include <gtest/gtest.h>

#include <random>

namespace dcos::netlb {
namespace {

Address ip(const char* text) { return *Address::parse(text); }

ServiceKey key(const char* vip, uint16_t port, Protocol protocol = Protocol::tcp) { return {protocol, ip(vip), port}; }

using testing::service;
using testing::table;

TEST(AddressTest, ParsesAndPrintsBothFamilies) {
  EXPECT_EQ(ip("11.0.0.7").text(), "11.0.0.7");
  EXPECT_EQ(ip("11.0.0.7").v4(), 0x0b000007u);
  EXPECT_EQ(Address::ipv4(0x0b000007u), ip("11.0.0.7"));
  EXPECT_EQ(ip("fd00::1").text(), "fd00::1");
  EXPECT_EQ(ip("fd00::1").size(), 16u);
  EXPECT_FALSE(Address::parse("11.0.0.256"));
  EXPECT_FALSE(Address::parse("vip"));
  EXPECT_EQ(key("fd00::1", 53, Protocol::udp).text(), "udp [fd00::1]:53");
  EXPECT_FALSE(parse_protocol("sctp"));
}

TEST(NormalizeTest, SortsAndKeepsTheHighestWeightOfARepeatedEndpoint) {
  Service s = service(key("11.0.0.1", 80), {{ip("10.0.0.2"), 80, 0}, {ip("10.0.0.1"), 80, 1}, {ip("10.0.0.2"), 80, 1}});
  ASSERT_EQ(s.destinations.size(), 2u);
  EXPECT_EQ(s.destinations[0].address, ip("10.0.0.1"));
  EXPECT_EQ(s.destinations[1].weight, 1u);
}

TEST(PlanTest, SameTablesNeedNoChange) {
  VipTable t = table({service(key("11.0.0.1", 80), {{ip("10.0.0.1"), 8080, 1}})});
  EXPECT_TRUE(plan(t, t).empty());
}

TEST(PlanTest, FromEmptyAddsServicesBeforeTheirDestinations) {
  VipTable want = table({service(key("11.0.0.1", 80), {{ip("10.0.0.1"), 8080, 1}, {ip("10.0.0.2"), 8080, 1}})});
  auto changes = plan({}, want);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].kind, Change::Kind::add_service);
  EXPECT_EQ(changes[0].scheduler, "wlc");
  EXPECT_EQ(changes[1].kind, Change::Kind::add_destination);
  EXPECT_EQ(changes[2].kind, Change::Kind::add_destination);
  EXPECT_EQ(changes[1].text(), "add destination 10.0.0.1:8080 weight 1 to tcp 11.0.0.1:80");
}

TEST(PlanTest, NewBackendsGoInBeforeOldOnesGoOutAndWeightsChangeInPlace) {
  VipTable have = table({service(key("11.0.0.1", 80), {{ip("10.0.0.1"), 8080, 1}, {ip("10.0.0.2"), 8080, 1}})});
  VipTable want = table({service(key("11.0.0.1", 80), {{ip("10.0.0.2"), 8080, 0}, {ip("10.0.0.3"), 8080, 1}})});
  auto changes = plan(have, want);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].kind, Change::Kind::add_destination);
  EXPECT_EQ(changes[0].destination.address, ip("10.0.0.3"));
  EXPECT_EQ(changes[1].kind, Change::Kind::edit_destination);
  EXPECT_EQ(changes[1].destination.weight, 0u);
  EXPECT_EQ(changes[2].kind, Change::Kind::remove_destination);
  EXPECT_EQ(changes[2].destination.address, ip("10.0.0.1"));
}

TEST(PlanTest, AServiceGoesWholeAndASchedulerChangeIsAnEdit) {
  VipTable have = table({service(key("11.0.0.1", 80), {{ip("10.0.0.1"), 8080, 1}}),
                         service(key("11.0.0.2", 53, Protocol::udp), {{ip("10.0.0.1"), 53, 1}})});
  VipTable want = table({service(key("11.0.0.1", 80), {{ip("10.0.0.1"), 8080, 1}}, "rr")});
  auto changes = plan(have, want);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, Change::Kind::edit_service);
  EXPECT_EQ(changes[0].scheduler, "rr");
  EXPECT_EQ(changes[1].kind, Change::Kind::remove_service);
  EXPECT_EQ(changes[1].service, key("11.0.0.2", 53, Protocol::udp));
}

TEST(PlanTest, ApplyRefusesWhatAKernelWouldRefuse) {
  VipTable t;
  Change orphan{Change::Kind::add_destination, key("11.0.0.1", 80), {}, {ip("10.0.0.1"), 80, 1}};
  EXPECT_FALSE(apply_changes(t, std::span(&orphan, 1)));
  Change add{Change::Kind::add_service, key("11.0.0.1", 80), "wlc", {}};
  ASSERT_TRUE(apply_changes(t, std::span(&add, 1)));
  EXPECT_FALSE(apply_changes(t, std::span(&add, 1)));
}

// Random tables: the plan always takes one to the other, and is empty only
// when they are equal.
TEST(PlanTest, ApplyingThePlanGivesTheWantedTable) {
  std::mt19937 random(7);
  auto random_table = [&] {
    VipTable t;
    const int services = random() % 6;
    for (int i = 0; i < services; ++i) {
      ServiceKey k = key("11.0.0.1", uint16_t(80 + random() % 4), random() % 2 ? Protocol::tcp : Protocol::udp);
      std::vector<Destination> list;
      const int backends = random() % 5;
      for (int j = 0; j < backends; ++j)
        list.push_back({Address::ipv4(0x0a000000u + random() % 6), uint16_t(8080 + random() % 2), uint32_t(random() % 2)});
      t[k] = service(k, list, random() % 3 ? "wlc" : "rr");
    }
    return t;
  };
  for (int round = 0; round < 500; ++round) {
    VipTable have = random_table(), want = random_table();
    auto changes = plan(have, want);
    VipTable result = have;
    ASSERT_TRUE(apply_changes(result, changes)) << "round " << round;
    EXPECT_EQ(result, want) << "round " << round;
    EXPECT_EQ(changes.empty(), have == want);
  }
}

}  // namespace
}  // namespace dcos::netlb
