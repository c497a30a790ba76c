#include "daemons/master/resource_math.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace dcos::master {
namespace {

using Interval = RangeSet::Interval;

CompactResources compact(std::string_view text) {
  auto parsed = parse_resources(text);
  EXPECT_TRUE(parsed) << text;
  if (!parsed) return {};
  auto parts = compact_by_role(*parsed);
  EXPECT_TRUE(parts) << text;
  if (!parts || parts->empty()) return {};
  EXPECT_EQ(parts->size(), 1u) << text << " should hold one role";
  return parts->front().resources;
}

TEST(RangeSetTest, AdjacentAndOverlappingRangesMerge) {
  RangeSet ports{{1, 3}, {4, 6}};
  EXPECT_EQ(ports.intervals(), (std::vector<Interval>{{1, 6}}));
  ports.add({10, 12});
  ports.add({8, 9});  // touches 10 but not 6
  EXPECT_EQ(ports.intervals(), (std::vector<Interval>{{1, 6}, {8, 12}}));
  ports.add({7, 7});  // bridges both
  EXPECT_EQ(ports.intervals(), (std::vector<Interval>{{1, 12}}));
  ports.add({0, 20});  // swallows everything
  EXPECT_EQ(ports.intervals(), (std::vector<Interval>{{0, 20}}));
  EXPECT_EQ(ports.count(), 21u);
}

TEST(RangeSetTest, SubtractingFromTheStartLeavesTheRest) {
  RangeSet ports{{31000, 32000}};
  ASSERT_TRUE(ports.subtract(RangeSet{{31000, 31005}}));
  EXPECT_EQ(ports.intervals(), (std::vector<Interval>{{31006, 32000}}));
}

TEST(RangeSetTest, SubtractingTheMiddleSplitsARange) {
  RangeSet ports{{31000, 32000}, {40000, 40010}};
  ASSERT_TRUE(ports.subtract(RangeSet{{31500, 31500}, {31600, 31700}, {40010, 40010}}));
  EXPECT_EQ(ports.intervals(), (std::vector<Interval>{{31000, 31499}, {31501, 31599}, {31701, 32000}, {40000, 40009}}));
  ASSERT_TRUE(ports.subtract(RangeSet{{31000, 31499}, {40000, 40009}}));
  EXPECT_EQ(ports.intervals(), (std::vector<Interval>{{31501, 31599}, {31701, 32000}}));
  ASSERT_TRUE(ports.subtract(ports));
  EXPECT_TRUE(ports.empty());
}

TEST(RangeSetTest, SubtractingWhatIsNotContainedIsRefused) {
  RangeSet ports{{31000, 31010}, {31020, 31030}};
  const RangeSet before = ports;
  EXPECT_FALSE(ports.subtract(RangeSet{{31005, 31020}}));  // spans the gap
  EXPECT_FALSE(ports.subtract(RangeSet{{40000, 40000}}));
  EXPECT_FALSE(ports.subtract(RangeSet{{31000, 31000}, {30999, 30999}}));
  EXPECT_EQ(ports, before);
  EXPECT_TRUE(ports.contains(RangeSet{}));
  EXPECT_FALSE(RangeSet{}.contains(ports));
}

TEST(RangeSetTest, TheExtremesDoNotOverflow) {
  RangeSet all{{0, UINT64_MAX - 1}};
  all.add({UINT64_MAX, UINT64_MAX});
  EXPECT_EQ(all.intervals(), (std::vector<Interval>{{0, UINT64_MAX}}));
  EXPECT_EQ(all.count(), UINT64_MAX);  // saturated
  ASSERT_TRUE(all.subtract(RangeSet{{UINT64_MAX, UINT64_MAX}, {0, 0}}));
  EXPECT_EQ(all.intervals(), (std::vector<Interval>{{1, UINT64_MAX - 1}}));
}

TEST(CompactResourcesTest, ArithmeticOverScalarsRangesAndSets) {
  CompactResources agent = compact("cpus:4;mem:1024;gpus:1;foo:3;ports:[31000-32000];disks:{a,b,c}");
  const CompactResources task = compact("cpus:1.5;mem:1024;foo:1;ports:[31000-31005];disks:{b}");
  ASSERT_TRUE(agent.contains(task));
  ASSERT_TRUE(agent.subtract(task));
  EXPECT_EQ(agent, compact("cpus:2.5;gpus:1;foo:2;ports:[31006-32000];disks:{a,c}"));
  EXPECT_FALSE(agent.contains(task));  // no mem left
  EXPECT_FALSE(agent.subtract(compact("bar:1")));
  EXPECT_FALSE(agent.subtract(compact("disks:{b}")));
  agent.add(task);
  EXPECT_EQ(agent, compact("cpus:4;mem:1024;gpus:1;foo:3;ports:[31000-32000];disks:{a,b,c}"));
}

TEST(CompactResourcesTest, ScalarsDoNotDrift) {
  CompactResources pool = compact("cpus:1");
  const CompactResources tenth = compact("cpus:0.1");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pool.subtract(tenth)) << i;
  EXPECT_TRUE(pool.empty());
  for (int i = 0; i < 100000; ++i) pool.add(tenth);
  EXPECT_EQ(pool.scalars.value[kCpus], 10000 * 1000);
}

TEST(CompactResourcesTest, AbsorbMovesEverything) {
  CompactResources from = compact("cpus:1;ports:[1-2]");
  CompactResources into;
  into.absorb(from);
  EXPECT_TRUE(from.empty());
  EXPECT_EQ(into, compact("cpus:1;ports:[1-2]"));
  CompactResources more = compact("cpus:1;ports:[3-3]");
  into.absorb(more);
  EXPECT_EQ(into, compact("cpus:2;ports:[1-3]"));
}

TEST(CompactResourcesTest, SplitsByRoleAndConvertsBack) {
  auto parsed = parse_resources("cpus:2;mem:64;cpus(ads):1;ports(ads):[80-81]");
  ASSERT_TRUE(parsed);
  auto parts = compact_by_role(*parsed);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].role, "*");
  EXPECT_EQ((*parts)[1].role, "ads");
  EXPECT_EQ((*parts)[1].resources, compact("cpus:1;ports:[80-81]"));
  const Resources back = to_resources(*parts);
  EXPECT_EQ(format_resources(back), format_resources(*parsed));
  EXPECT_EQ(role_of(back.back()), "ads");
}

TEST(CompactResourcesTest, BadValuesAreRefusedWithTheirName) {
  Resources resources(1);
  resources[0].set_name("cpus");
  resources[0].set_type(mesos::v1::Value::SCALAR);
  resources[0].mutable_scalar()->set_value(-1);
  auto negative = compact_by_role(resources);
  ASSERT_FALSE(negative);
  EXPECT_NE(negative.error().message.find("'cpus'"), std::string::npos) << negative.error().message;

  resources[0].mutable_scalar()->set_value(std::numeric_limits<double>::infinity());
  EXPECT_FALSE(compact_by_role(resources));

  resources[0].set_name("ports");
  resources[0].set_type(mesos::v1::Value::RANGES);
  auto* range = resources[0].mutable_ranges()->add_range();
  range->set_begin(10);
  range->set_end(5);
  EXPECT_FALSE(compact_by_role(resources));

  resources[0].set_type(mesos::v1::Value::TEXT);
  EXPECT_FALSE(compact_by_role(resources));
}

}  // namespace
}  // namespace dcos::master
