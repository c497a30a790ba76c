// The VIP table from the cluster's state: labels parsed strictly, backends
// with their weights, named VIPs' addresses stable and the same from any
// order, bad labels reported and skipped.
#include "netlb/vip_table.hpp"

#include <gtest/gtest.h>

#include <random>

namespace dcos::netlb {
namespace {

Address ip(const char* text) { return *Address::parse(text); }

// A cluster state built as the master's snapshot would be.
class StateBuilder {
 public:
  StateBuilder& agent(const std::string& id, const std::string& address) {
    auto* agent = snapshot_.add_agents();
    agent->mutable_id()->set_value(id);
    agent->set_ip(address);
    agent->set_connected(true);
    return *this;
  }
  StateBuilder& framework(const std::string& id, const std::string& name) {
    auto* framework = snapshot_.add_frameworks();
    framework->mutable_id()->set_value(id);
    framework->set_name(name);
    return *this;
  }
  // A task of framework f on agent `agent` with one discovery port and its labels.
  internal::StateTask& task(const std::string& id, const std::string& agent, uint32_t port,
                            std::vector<std::pair<std::string, std::string>> labels, const std::string& protocol = "",
                            mesos::v1::TaskState state = mesos::v1::TASK_RUNNING) {
    auto* task = snapshot_.add_tasks();
    task->mutable_id()->set_value(id);
    task->mutable_framework_id()->set_value("f");
    task->mutable_agent_id()->set_value(agent);
    task->set_state(state);
    task->mutable_discovery()->set_visibility(mesos::v1::DiscoveryInfo::CLUSTER);
    auto* p = task->mutable_discovery()->mutable_ports()->add_ports();
    p->set_number(port);
    if (!protocol.empty()) p->set_protocol(protocol);
    for (const auto& [key, value] : labels) {
      auto* label = p->mutable_labels()->add_labels();
      label->set_key(key);
      label->set_value(value);
    }
    return *task;
  }
  ClusterState build() {
    ClusterState state;
    internal::StateSubscribed subscribed;
    subscribed.set_stream_id("s");
    EXPECT_TRUE(state.subscribed(subscribed));
    snapshot_.set_last(true);
    EXPECT_TRUE(state.add_snapshot(snapshot_));
    return state;
  }

 private:
  internal::StateSnapshot snapshot_;
};

StateBuilder base() {
  StateBuilder b;
  b.agent("a1", "10.0.0.1").agent("a2", "10.0.0.2").framework("f", "marathon");
  return b;
}

TEST(VipLabelTest, ParsesNamedAndFixedVips) {
  auto named = parse_vip_label("/Web-1:80");
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_EQ(named->name, "web-1");
  EXPECT_EQ(named->port, 80);
  auto fixed = parse_vip_label("192.168.0.9:5432");
  ASSERT_TRUE(fixed);
  EXPECT_TRUE(fixed->name.empty());
  EXPECT_EQ(fixed->address, ip("192.168.0.9"));
  auto v6 = parse_vip_label("[fd00::9]:53");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->address, ip("fd00::9"));
  EXPECT_TRUE(is_vip_label("VIP_0"));
  EXPECT_TRUE(is_vip_label("VIP_12"));
  EXPECT_FALSE(is_vip_label("VIP_"));
  EXPECT_FALSE(is_vip_label("VIP_x"));
  EXPECT_FALSE(is_vip_label("vip_0"));
}

TEST(VipLabelTest, RefusesBadLabelsSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"/web:0", "bad port"},
      {"/web:65536", "bad port"},
      {"/web:8o", "bad port"},
      {"/web", "no port"},
      {"/:80", "empty"},
      {"/we_b:80", "character"},
      {"/web.x:80", "character"},
      {"/-web:80", "starts or ends"},
      {"/" + std::string(64, 'a') + ":80", "64 characters"},
      {"10.0.0.300:80", "bad address"},
      {"fd00::1:80", "brackets"},
      {"[10.0.0.1]:80", "IPv6"},
      {"127.0.0.1:80", "unicast"},
      {"224.0.0.1:80", "unicast"},
      {"[::1]:80", "unicast"},
      {"/" + std::string(400, 'a') + ":80", "longer than"},
  };
  for (const auto& [value, reason] : bad) {
    auto label = parse_vip_label(value);
    ASSERT_FALSE(label) << value;
    EXPECT_NE(label.error().message.find(reason), std::string::npos) << value << ": " << label.error().message;
  }
}

TEST(VipTableTest, RunningTasksAreBackendsOfTheirVips) {
  StateBuilder b = base();
  b.task("t1", "a1", 31001, {{"VIP_0", "/web:80"}});
  b.task("t2", "a2", 31002, {{"VIP_0", "/web:80"}});
  b.task("dns", "a1", 31053, {{"VIP_1", "192.168.0.53:53"}}, "udp");
  b.task("staging", "a1", 31003, {{"VIP_0", "/web:80"}}, "", mesos::v1::TASK_STAGING);
  b.task("other", "a1", 31004, {{"NAME", "/web:80"}});
  WantedVips wanted = build_vip_table(b.build(), {});
  EXPECT_TRUE(wanted.problems.empty());
  ASSERT_EQ(wanted.named.size(), 1u);
  const NamedVip& web = wanted.named[0];
  EXPECT_EQ(web.key.name, "web");
  EXPECT_EQ(web.key.framework, "marathon");
  EXPECT_TRUE(VipRange().contains(web.address));
  ASSERT_EQ(wanted.table.size(), 2u);
  const Service& service = wanted.table.at({Protocol::tcp, web.address, 80});
  EXPECT_EQ(service.scheduler, "wlc");
  EXPECT_EQ(service.destinations,
            (std::vector<Destination>{{ip("10.0.0.1"), 31001, 1}, {ip("10.0.0.2"), 31002, 1}}));
  const Service& dns = wanted.table.at({Protocol::udp, ip("192.168.0.53"), 53});
  EXPECT_EQ(dns.destinations, (std::vector<Destination>{{ip("10.0.0.1"), 31053, 1}}));
}

TEST(VipTableTest, UnhealthyAndKillingTasksGetWeightZero) {
  StateBuilder b = base();
  b.task("healthy", "a1", 1, {{"VIP_0", "/web:80"}}).set_healthy(true);
  b.task("unknown", "a1", 2, {{"VIP_0", "/web:80"}});
  b.task("sick", "a1", 3, {{"VIP_0", "/web:80"}}).set_healthy(false);
  b.task("killing", "a1", 4, {{"VIP_0", "/web:80"}}).set_killing(true);
  b.task("killing-state", "a1", 5, {{"VIP_0", "/web:80"}}, "", mesos::v1::TASK_KILLING);
  WantedVips wanted = build_vip_table(b.build(), {});
  ASSERT_EQ(wanted.table.size(), 1u);
  std::vector<uint32_t> weights;
  for (const auto& d : wanted.table.begin()->second.destinations) weights.push_back(d.weight);
  EXPECT_EQ(weights, (std::vector<uint32_t>{1, 1, 0, 0, 0}));
}

TEST(VipTableTest, BadLabelsAreReportedPerTaskAndTheRestStillWorks) {
  StateBuilder b = base();
  b.task("good", "a1", 31001, {{"VIP_0", "/web:80"}, {"VIP_1", "/web:99999"}});
  b.task("proto", "a2", 31002, {{"VIP_0", "/web:80"}}, "sctp");
  b.task("inrange", "a2", 31003, {{"VIP_0", "11.1.2.3:80"}});
  b.task("zero", "a2", 0, {{"VIP_0", "/web:80"}});
  b.task("v6", "a2", 31004, {{"VIP_0", "[fd00::1]:80"}});
  WantedVips wanted = build_vip_table(b.build(), {});
  ASSERT_EQ(wanted.problems.size(), 5u);
  EXPECT_EQ(wanted.problems[0].text(),
            "task good of framework f: label VIP_1=/web:99999 skipped: bad port '99999' (1-65535)");
  EXPECT_NE(wanted.problems[1].text().find("task inrange"), std::string::npos);
  EXPECT_NE(wanted.problems[1].reason.find("inside the named VIP range 11.0.0.0/8"), std::string::npos);
  EXPECT_NE(wanted.problems[2].reason.find("unknown protocol 'sctp'"), std::string::npos);
  EXPECT_NE(wanted.problems[3].reason.find("different IP versions"), std::string::npos);
  EXPECT_NE(wanted.problems[4].reason.find("port 0"), std::string::npos);
  ASSERT_EQ(wanted.table.size(), 1u);
  EXPECT_EQ(wanted.table.begin()->second.destinations.size(), 1u);
}

TEST(VipTableTest, TasksWithoutAnAgentAddressAreNoBackends) {
  StateBuilder b = base();
  b.agent("noip", "");
  b.task("t", "noip", 31001, {{"VIP_0", "/web:80"}});
  b.task("lost", "gone", 31001, {{"VIP_0", "/web:80"}});
  WantedVips wanted = build_vip_table(b.build(), {});
  EXPECT_TRUE(wanted.table.empty());
  EXPECT_TRUE(wanted.problems.empty());
}

TEST(VipTableTest, TheSameNameInTwoFrameworksIsTwoVipsAndPortsShareTheAddress) {
  StateBuilder b = base();
  b.framework("g", "other");
  b.task("t1", "a1", 31001, {{"VIP_0", "/web:80"}, {"VIP_1", "/web:443"}});
  b.task("t2", "a1", 31002, {{"VIP_0", "/web:80"}}).mutable_framework_id()->set_value("g");
  WantedVips wanted = build_vip_table(b.build(), {});
  ASSERT_EQ(wanted.named.size(), 2u);
  EXPECT_NE(wanted.named[0].address, wanted.named[1].address);
  EXPECT_EQ(wanted.table.size(), 3u);
  EXPECT_TRUE(wanted.table.contains({Protocol::tcp, wanted.named[0].address, 443}) ||
              wanted.table.contains({Protocol::tcp, wanted.named[1].address, 443}));
}

TEST(VipRangeTest, ParsesRangesAndRefusesBadOnes) {
  auto range = VipRange::parse("11.0.0.0/8");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->text(), "11.0.0.0/8");
  EXPECT_EQ(range->usable(), (1u << 24) - 2);
  EXPECT_EQ(range->at(0), ip("11.0.0.1"));
  EXPECT_TRUE(range->contains(ip("11.255.255.255")));
  EXPECT_FALSE(range->contains(ip("12.0.0.0")));
  EXPECT_FALSE(range->contains(ip("fd00::1")));
  EXPECT_EQ(VipRange::parse("10.9.0.0/32")->usable(), 1u);
  for (const char* bad : {"11.0.0.1/8", "11.0.0.0", "11.0.0.0/33", "11.0.0.0/0", "fd00::/64", "11.0.0.0/x"})
    EXPECT_FALSE(VipRange::parse(bad)) << bad;
  EXPECT_NE(VipRange::parse("11.0.0.1/8").error().message.find("host bits"), std::string::npos);
}

std::set<VipKey> keys(std::size_t n, const std::string& prefix = "app") {
  std::set<VipKey> out;
  for (std::size_t i = 0; i < n; ++i) out.insert({prefix + std::to_string(i), "marathon"});
  return out;
}

TEST(VipAllocationTest, AddressesAreUniqueInRangeAndKnownValues) {
  const auto addresses = allocate_named_vips(keys(10'000), VipRange());
  ASSERT_EQ(addresses.size(), 10'000u);
  std::set<Address> seen;
  for (const auto& [key, address] : addresses) {
    EXPECT_TRUE(VipRange().contains(address));
    EXPECT_TRUE(seen.insert(address).second) << address.text();
  }
  // The scheme is a contract between nodes (and versions of dcos-l4lb and
  // dcos-dns): pinned values.
  const auto pinned = allocate_named_vips({{"web", "marathon"}, {"db", "marathon"}}, VipRange());
  EXPECT_EQ(pinned.at({"web", "marathon"}).text(), "11.136.27.60");
  EXPECT_EQ(pinned.at({"db", "marathon"}).text(), "11.149.37.230");
}

TEST(VipAllocationTest, AddressesStayWhenOtherNamesComeAndGo) {
  const auto before = allocate_named_vips(keys(1000), VipRange());
  std::set<VipKey> more = keys(1000);
  for (const auto& key : keys(1000, "new")) more.insert(key);
  for (std::size_t i = 0; i < 500; ++i) more.erase({"app" + std::to_string(i * 2), "marathon"});
  const auto after = allocate_named_vips(more, VipRange());
  std::size_t moved = 0;
  for (const auto& [key, address] : after)
    if (before.contains(key) && before.at(key) != address) ++moved;
  EXPECT_EQ(moved, 0u);
}

TEST(VipAllocationTest, ASmallRangeFillsUpCompletelyAndNoFurther) {
  const auto range = *VipRange::parse("10.9.0.0/28");  // 14 usable
  const auto addresses = allocate_named_vips(keys(20), range);
  EXPECT_EQ(addresses.size(), 14u);
  std::set<Address> seen;
  for (const auto& [key, address] : addresses) {
    EXPECT_TRUE(range.contains(address));
    EXPECT_NE(address, ip("10.9.0.0"));
    EXPECT_NE(address, ip("10.9.0.15"));
    EXPECT_TRUE(seen.insert(address).second);
  }
  // The least keys are placed.
  EXPECT_TRUE(addresses.contains(*keys(20).begin()));
  // A full range is one problem per VIP left without an address.
  StateBuilder b = base();
  for (int i = 0; i < 16; ++i) b.task("t" + std::to_string(i), "a1", 31000 + i, {{"VIP_0", "/app" + std::to_string(i) + ":80"}});
  WantedVips wanted = build_vip_table(b.build(), {.range = range});
  EXPECT_EQ(wanted.named.size(), 14u);
  EXPECT_EQ(wanted.table.size(), 14u);
  ASSERT_EQ(wanted.problems.size(), 2u);
  EXPECT_NE(wanted.problems[0].text().find("range 10.9.0.0/28 is full"), std::string::npos);
}

TEST(VipAllocationTest, CollisionsAreSettledTheSameWhateverTheOrderOfTasks) {
  // A /29 forces collisions; two states with the tasks in different orders agree.
  const auto range = *VipRange::parse("10.9.0.0/29");
  std::vector<int> order = {0, 1, 2, 3, 4, 5};
  std::mt19937 random(7);
  std::optional<std::vector<NamedVip>> first;
  for (int round = 0; round < 5; ++round) {
    std::shuffle(order.begin(), order.end(), random);
    StateBuilder b = base();
    for (int i : order) b.task("t" + std::to_string(i), "a1", 31000 + i, {{"VIP_0", "/app" + std::to_string(i) + ":80"}});
    auto named = build_vip_table(b.build(), {.range = range}).named;
    ASSERT_EQ(named.size(), 6u);
    if (!first) first = named;
    EXPECT_EQ(named, *first);
  }
}

}  // namespace
}  // namespace dcos::netlb
