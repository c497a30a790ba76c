#include "dnsproxy/cluster_zone.hpp"

#include <gtest/gtest.h>

#include "dnsproxy/name.hpp"

namespace dcos::dns {
namespace {

// A state at change 1 of stream "s": leader 10.0.0.1:5050, agents a1
// (10.0.1.1) and a2 (10.0.1.2), framework f "Marathon", and the tasks given.
ClusterState state_with(const std::vector<internal::StateTask>& tasks) {
  ClusterState state;
  internal::StateSubscribed subscribed;
  subscribed.set_stream_id("s");
  subscribed.set_sequence(1);
  subscribed.mutable_leader()->mutable_address()->set_ip("10.0.0.1");
  subscribed.mutable_leader()->mutable_address()->set_port(5050);
  EXPECT_TRUE(state.subscribed(subscribed));
  internal::StateSnapshot snapshot;
  for (const auto& [id, ip] : {std::pair{"c-S1", "10.0.1.1"}, std::pair{"c-S2", "10.0.1.2"}}) {
    auto* agent = snapshot.add_agents();
    agent->mutable_id()->set_value(id);
    agent->set_ip(ip);
  }
  auto* framework = snapshot.add_frameworks();
  framework->mutable_id()->set_value("f");
  framework->set_name("Marathon");
  for (const auto& task : tasks) *snapshot.add_tasks() = task;
  snapshot.set_last(true);
  EXPECT_TRUE(state.add_snapshot(snapshot));
  return state;
}

internal::StateTask running(const std::string& id, const std::string& name, const std::string& agent) {
  internal::StateTask task;
  task.mutable_id()->set_value(id);
  task.set_name(name);
  task.mutable_framework_id()->set_value("f");
  task.mutable_agent_id()->set_value(agent);
  task.set_state(mesos::v1::TASK_RUNNING);
  return task;
}

std::string ip(const char* text) { return address_bytes(text); }

// The lookup key of a text name.
std::string k(const std::string& text) { return name_key(name_from_text(text).value()); }

std::vector<std::string> addresses(const ClusterZone& zone, const std::string& name) {
  auto lookup = zone.find(k(name));
  return lookup.records ? lookup.records->addresses : std::vector<std::string>{};
}

TEST(ClusterZoneTest, TasksAgentsAndTheLeaderHaveMesosDnsNames) {
  auto web = running("web.1", "Web", "c-S1");
  auto* ports = web.add_resources();
  ports->set_name("ports");
  auto* range = ports->mutable_ranges()->add_range();
  range->set_begin(31000);
  range->set_end(31001);
  ClusterZone zone({});
  zone.reset(state_with({web, running("web.2", "Web", "c-S2"), running("db.1", "db", "c-S2")}));

  EXPECT_EQ(addresses(zone, "leader.mesos"), std::vector<std::string>{ip("10.0.0.1")});
  EXPECT_EQ(addresses(zone, "master.mesos"), std::vector<std::string>{ip("10.0.0.1")});
  EXPECT_EQ(addresses(zone, "agent.mesos"), (std::vector<std::string>{ip("10.0.1.1"), ip("10.0.1.2")}));
  EXPECT_EQ(addresses(zone, "slave.mesos"), (std::vector<std::string>{ip("10.0.1.1"), ip("10.0.1.2")}));
  EXPECT_EQ(addresses(zone, "web.marathon.mesos"), (std::vector<std::string>{ip("10.0.1.1"), ip("10.0.1.2")}));
  EXPECT_EQ(addresses(zone, "web.marathon.slave.mesos"), (std::vector<std::string>{ip("10.0.1.1"), ip("10.0.1.2")}));
  EXPECT_EQ(addresses(zone, "db.marathon.agentip.dcos.thisdcos.directory"), std::vector<std::string>{ip("10.0.1.2")});
  EXPECT_EQ(addresses(zone, "ns1.mesos"), std::vector<std::string>{ip("127.0.0.1")});

  // Without DiscoveryInfo: each host port, tcp and udp, to a name of this instance.
  for (const char* protocol : {"_web._tcp.marathon.mesos", "_web._udp.marathon.mesos"}) {
    auto lookup = zone.find(k(protocol));
    ASSERT_NE(lookup.records, nullptr) << protocol;
    ASSERT_EQ(lookup.records->services.size(), 2u);
    EXPECT_EQ(lookup.records->services[0].port, 31000);
    EXPECT_EQ(lookup.records->services[1].port, 31001);
    const std::string target = name_to_text(lookup.records->services[0].target);
    EXPECT_TRUE(target.starts_with("web-") && target.ends_with("-s1.marathon.mesos.")) << target;
    EXPECT_EQ(addresses(zone, target), std::vector<std::string>{ip("10.0.1.1")});
  }
  auto srv = zone.find(k("_leader._tcp.mesos"));
  ASSERT_NE(srv.records, nullptr);
  EXPECT_EQ(srv.records->services[0].port, 5050);
  EXPECT_EQ(srv.records->services[0].target, k("leader.mesos"));
}

TEST(ClusterZoneTest, EmptyNonTerminalsExistOtherNamesDoNotAndOtherZonesAreOutside) {
  ClusterZone zone({});
  zone.reset(state_with({running("web.1", "web", "c-S1")}));
  auto apex = zone.find(k("mesos"));
  EXPECT_EQ(apex.found, ClusterZone::Found::exists);
  ASSERT_NE(apex.zone, nullptr);
  EXPECT_EQ(*apex.zone, k("mesos"));
  EXPECT_EQ(zone.find(k("marathon.mesos")).found, ClusterZone::Found::exists);
  EXPECT_EQ(zone.find(k("marathon.mesos")).records, nullptr);
  EXPECT_EQ(zone.find(k("thisdcos.directory")).found, ClusterZone::Found::exists);
  EXPECT_EQ(zone.find(k("nope.marathon.mesos")).found, ClusterZone::Found::nxdomain);
  EXPECT_EQ(*zone.find(k("x.thisdcos.directory")).zone, k("thisdcos.directory"));
  EXPECT_EQ(zone.find(k("example.com")).found, ClusterZone::Found::outside);
}

TEST(ClusterZoneTest, DiscoveryInfoNamesTheTaskAndItsPorts) {
  auto task = running("web.1", "ignored-task-name", "c-S1");
  task.mutable_discovery()->set_name("Front.End");
  auto* port = task.mutable_discovery()->mutable_ports()->add_ports();
  port->set_number(8080);
  port->set_name("HTTP");
  port->set_protocol("tcp");
  auto* dns = task.mutable_discovery()->mutable_ports()->add_ports();
  dns->set_number(5353);
  dns->set_protocol("udp");
  ClusterZone zone({});
  zone.reset(state_with({task}));
  EXPECT_FALSE(addresses(zone, "front.end.marathon.mesos").empty());
  EXPECT_EQ(zone.find(k("ignored-task-name.marathon.mesos")).found, ClusterZone::Found::nxdomain);
  ASSERT_NE(zone.find(k("_front.end._tcp.marathon.mesos")).records, nullptr);
  EXPECT_EQ(zone.find(k("_front.end._tcp.marathon.mesos")).records->services[0].port, 8080);
  ASSERT_NE(zone.find(k("_http._front.end._tcp.marathon.mesos")).records, nullptr);
  ASSERT_NE(zone.find(k("_front.end._udp.marathon.mesos")).records, nullptr);
  EXPECT_EQ(zone.find(k("_front.end._udp.marathon.mesos")).records->services[0].port, 5353);
}

TEST(ClusterZoneTest, ChangesAddAndRemoveOnlyWhatTheyTouch) {
  ClusterState state = state_with({running("web.1", "web", "c-S1"), running("web.2", "web", "c-S2")});
  ClusterZone zone({});
  zone.reset(state);
  const std::size_t names = zone.names();
  uint64_t sequence = state.sequence();
  auto apply = [&](internal::StateChange change) {
    change.set_sequence(++sequence);
    ASSERT_TRUE(state.apply(change));
    zone.apply(state, change);
  };

  // One instance ends: the name keeps the other's address.
  internal::StateChange change;
  auto ended = running("web.1", "web", "c-S1");
  ended.set_state(mesos::v1::TASK_FINISHED);
  *change.mutable_task() = ended;
  apply(change);
  EXPECT_EQ(addresses(zone, "web.marathon.mesos"), std::vector<std::string>{ip("10.0.1.2")});

  // A staging task has no name yet; running, it has.
  auto staging = running("api.1", "api", "c-S1");
  staging.set_state(mesos::v1::TASK_STAGING);
  *change.mutable_task() = staging;
  apply(change);
  EXPECT_EQ(zone.find(k("api.marathon.mesos")).found, ClusterZone::Found::nxdomain);
  *change.mutable_task() = running("api.1", "api", "c-S1");
  apply(change);
  EXPECT_EQ(addresses(zone, "api.marathon.mesos"), std::vector<std::string>{ip("10.0.1.1")});

  // An agent that leaves takes its tasks' names and its own address.
  change.mutable_agent_removed()->set_value("c-S1");
  apply(change);
  EXPECT_EQ(zone.find(k("api.marathon.mesos")).found, ClusterZone::Found::nxdomain);
  EXPECT_EQ(addresses(zone, "agent.mesos"), std::vector<std::string>{ip("10.0.1.2")});

  // A renamed framework renames its tasks; a removed one takes them away.
  internal::StateFramework renamed;
  renamed.mutable_id()->set_value("f");
  renamed.set_name("apps");
  *change.mutable_framework() = renamed;
  apply(change);
  EXPECT_EQ(zone.find(k("web.marathon.mesos")).found, ClusterZone::Found::nxdomain);
  EXPECT_EQ(addresses(zone, "web.apps.mesos"), std::vector<std::string>{ip("10.0.1.2")});
  change.mutable_framework_removed()->set_value("f");
  apply(change);
  EXPECT_EQ(zone.find(k("web.apps.mesos")).found, ClusterZone::Found::nxdomain);
  EXPECT_EQ(zone.find(k("apps.mesos")).found, ClusterZone::Found::nxdomain) << "no empty non-terminal is left behind";
  EXPECT_LT(zone.names(), names);
}

TEST(ClusterZoneTest, VipNamesHaveTheirPlaceAndSurviveASnapshot) {
  ClusterZone zone({});
  zone.set_vips({{.name = "web", .framework = "marathon", .address = ip("11.0.0.7")},
                 {.name = "", .framework = "marathon", .address = ip("11.0.0.8")}});
  zone.reset(state_with({}));
  EXPECT_EQ(addresses(zone, "web.marathon.l4lb.thisdcos.directory"), std::vector<std::string>{ip("11.0.0.7")});
  zone.set_vips({});
  EXPECT_EQ(zone.find(k("web.marathon.l4lb.thisdcos.directory")).found, ClusterZone::Found::nxdomain);
}

TEST(ClusterZoneTest, AddressesParse) {
  EXPECT_EQ(address_bytes("10.0.0.1").size(), 4u);
  EXPECT_EQ(address_bytes("fd00::1").size(), 16u);
  EXPECT_EQ(address_bytes("agent-a"), "");
  EXPECT_EQ(address_bytes(""), "");
}

}  // namespace
}  // namespace dcos::dns
