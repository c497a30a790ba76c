#include "dnsproxy/zone_answer.hpp"

#include <gtest/gtest.h>

#include <set>

#include "dnsproxy/message.hpp"
#include "dnsproxy/name.hpp"
#include "tests/dnsproxy/packets.hpp"

namespace dcos::dns {
namespace {

// A zone with the leader 10.0.0.1, agents 10.0.1.1, 10.0.1.2, ..., and
// task "web" of framework "marathon" running on each, holding host port 31000.
ClusterZone make_zone(int agents = 2) {
  ClusterState state;
  internal::StateSubscribed subscribed;
  subscribed.set_stream_id("s");
  subscribed.mutable_leader()->mutable_address()->set_ip("10.0.0.1");
  subscribed.mutable_leader()->mutable_address()->set_port(5050);
  EXPECT_TRUE(state.subscribed(subscribed));
  internal::StateSnapshot snapshot;
  for (int i = 1; i <= agents; ++i) {
    const std::string id = "c-S" + std::to_string(i), ip = "10.0.1." + std::to_string(i);
    auto* agent = snapshot.add_agents();
    agent->mutable_id()->set_value(id);
    agent->set_ip(ip);
    auto* task = snapshot.add_tasks();
    task->mutable_id()->set_value("web." + id);
    task->set_name("web");
    task->mutable_framework_id()->set_value("f");
    task->mutable_agent_id()->set_value(id);
    task->set_state(mesos::v1::TASK_RUNNING);
    auto* ports = task->add_resources();
    ports->set_name("ports");
    auto* range = ports->mutable_ranges()->add_range();
    range->set_begin(31000);
    range->set_end(31000);
  }
  auto* framework = snapshot.add_frameworks();
  framework->mutable_id()->set_value("f");
  framework->set_name("marathon");
  snapshot.set_last(true);
  EXPECT_TRUE(state.add_snapshot(snapshot));
  ClusterZone zone({});
  zone.reset(state);
  return zone;
}

// Asks `name` (text) for `qtype`; the parsed reply, or nullopt when the
// answerer left the name to the forwarder.
std::optional<Message> ask(ZoneAnswerer& answerer, const std::string& name, uint16_t qtype, std::size_t max = 512) {
  Message query;
  query.id = 0x1234;
  query.flags.rd = true;
  query.questions.push_back({.name = name_from_text(name).value(), .type = qtype, .klass = klass::IN});
  const std::string packet = serialize(query, 512);
  auto view = peek_query(packet);
  EXPECT_TRUE(view.has_value());
  std::string out;
  if (!answerer.answer(*view, max, out)) return std::nullopt;
  auto reply = parse(out);
  EXPECT_TRUE(reply) << (reply ? "" : reply.error().message);
  return reply ? std::optional<Message>(*reply) : std::nullopt;
}

std::vector<std::string> rdatas(const std::vector<Record>& records, uint16_t rtype) {
  std::vector<std::string> out;
  for (const auto& record : records)
    if (record.type == rtype) out.push_back(record.rdata);
  return out;
}

TEST(ZoneAnswerTest, AnswersAddressesAuthoritativelyInRotatingOrderWithTheQuestionAsSent) {
  ClusterZone zone = make_zone();
  ZoneAnswerer answerer(zone, 5);
  auto first = ask(answerer, "Web.Marathon.MESOS", type::A);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, 0x1234);
  EXPECT_TRUE(first->flags.aa);
  EXPECT_TRUE(first->flags.rd);
  EXPECT_EQ(first->flags.rcode, rcode::NoError);
  EXPECT_EQ(name_to_text(first->questions[0].name), "Web.Marathon.MESOS.");
  ASSERT_EQ(first->answers.size(), 2u);
  EXPECT_EQ(first->answers[0].ttl, 5u);
  auto second = ask(answerer, "web.marathon.mesos", type::A);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->answers.size(), 2u);
  EXPECT_NE(first->answers[0].rdata, second->answers[0].rdata) << "the order rotates";
  EXPECT_EQ(rdatas(ask(answerer, "leader.mesos", type::A)->answers, type::A),
            std::vector<std::string>{address_bytes("10.0.0.1")});
}

TEST(ZoneAnswerTest, SrvAnswersCarryTheirTargetsAddresses) {
  ClusterZone zone = make_zone();
  ZoneAnswerer answerer(zone, 5);
  auto reply = ask(answerer, "_web._tcp.marathon.mesos", type::SRV);
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->answers.size(), 2u);
  for (const auto& record : reply->answers) {
    auto srv = parse_srv(record.rdata);
    ASSERT_TRUE(srv);
    EXPECT_EQ(srv->port, 31000);
  }
  EXPECT_EQ(reply->additional.size(), 2u);
}

TEST(ZoneAnswerTest, NoDataAndNxdomainCarryTheZonesSoa) {
  ClusterZone zone = make_zone();
  ZoneAnswerer answerer(zone, 5);
  auto nodata = ask(answerer, "web.marathon.mesos", type::MX);
  ASSERT_TRUE(nodata);
  EXPECT_EQ(nodata->flags.rcode, rcode::NoError);
  EXPECT_TRUE(nodata->answers.empty());
  ASSERT_EQ(nodata->authority.size(), 1u);
  EXPECT_EQ(nodata->authority[0].type, type::SOA);
  EXPECT_EQ(name_to_text(nodata->authority[0].name), "mesos.");
  auto soa = parse_soa(nodata->authority[0].rdata);
  ASSERT_TRUE(soa);
  EXPECT_EQ(name_to_text(soa->mname), "ns1.mesos.");
  EXPECT_EQ(soa->minimum, 5u);

  auto between = ask(answerer, "marathon.mesos", type::A);
  ASSERT_TRUE(between);
  EXPECT_EQ(between->flags.rcode, rcode::NoError) << "a name with names below it exists";

  auto missing = ask(answerer, "nope.marathon.mesos", type::A);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->flags.rcode, rcode::NxDomain);
  ASSERT_EQ(missing->authority.size(), 1u);
  EXPECT_EQ(missing->authority[0].type, type::SOA);
}

TEST(ZoneAnswerTest, TheApexHasSoaAndNsAndOtherNamesAreLeftToTheForwarder) {
  ClusterZone zone = make_zone();
  ZoneAnswerer answerer(zone, 5);
  auto soa = ask(answerer, "mesos", type::SOA);
  ASSERT_TRUE(soa);
  ASSERT_EQ(soa->answers.size(), 1u);
  EXPECT_EQ(soa->answers[0].type, type::SOA);
  auto ns = ask(answerer, "thisdcos.directory", type::NS);
  ASSERT_TRUE(ns);
  ASSERT_EQ(ns->answers.size(), 1u);
  EXPECT_EQ(rdatas(ask(answerer, "ns1.mesos", type::A)->answers, type::A),
            std::vector<std::string>{address_bytes("127.0.0.1")});
  EXPECT_FALSE(ask(answerer, "example.com", type::A).has_value());
}

TEST(ZoneAnswerTest, AnAnswerTooBigForTheClientIsTruncated) {
  // 40 addresses take 640 bytes of answers: more than a 512-byte client takes.
  ClusterZone zone = make_zone(40);
  ZoneAnswerer answerer(zone, 5);
  auto small = ask(answerer, "web.marathon.mesos", type::A, 512);
  ASSERT_TRUE(small);
  EXPECT_TRUE(small->flags.tc);
  EXPECT_LT(small->answers.size(), 40u);
  auto large = ask(answerer, "web.marathon.mesos", type::A, 4096);
  ASSERT_TRUE(large);
  EXPECT_FALSE(large->flags.tc);
  EXPECT_EQ(large->answers.size(), 40u);
}


// The replies build() gives to `packet` over `rotations` calls (every order
// of a rotating address set, when `rotations` is its size).
std::set<std::string> built(ZoneAnswerer& builder, const std::string& packet, std::size_t max, int rotations) {
  std::set<std::string> out;
  auto view = peek_query(packet);
  EXPECT_TRUE(view.has_value());
  std::string reply;
  for (int i = 0; i < rotations; ++i) {
    EXPECT_TRUE(builder.build(*view, max, reply));
    out.insert(reply);
  }
  return out;
}

TEST(ZoneAnswerTest, CompiledAnswersAreTheBuiltOnesByteForByteInEveryRotation) {
  ClusterZone zone = make_zone(3);
  ZoneAnswerer answerer(zone, 5);
  ZoneAnswerer builder(zone, 5);
  const std::vector<std::pair<std::string, uint16_t>> questions = {
      {"web.marathon.mesos", type::A},         {"Web.Marathon.MESOS", type::A},  {"_web._tcp.marathon.mesos", type::SRV},
      {"leader.mesos", type::A},               {"agent.mesos", type::A},         {"nope.marathon.mesos", type::A},
      {"web.marathon.mesos", type::MX},        {"marathon.mesos", type::A},      {"mesos", type::SOA},
      {"thisdcos.directory", type::NS},        {"web.marathon.mesos", type::AAAA},
      {"web.marathon.agentip.dcos.thisdcos.directory", type::A}};
  for (const auto& [name, qtype] : questions) {
    for (const std::string& packet : {packets::query(name, qtype), packets::edns_query(name, qtype)}) {
      const auto expected = built(builder, packet, 1232, 3);
      auto view = peek_query(packet);
      ASSERT_TRUE(view);
      std::set<std::string> served;
      std::string reply;
      for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(answerer.answer(*view, 1232, reply)) << name;
        EXPECT_TRUE(expected.contains(reply)) << name << " " << qtype << ": a reply build() never gives";
        served.insert(reply);
      }
      EXPECT_EQ(served, expected) << name << " " << qtype << ": every rotation, as build() gives them";
    }
  }
  EXPECT_EQ(answerer.compiled(), questions.size() - 1) << "one entry per question, whatever its case";
  std::string reply;
  EXPECT_FALSE(answerer.answer(*peek_query(packets::query("example.com", type::A)), 512, reply));
  EXPECT_EQ(answerer.compiled(), questions.size() - 1) << "names outside the zones are not kept";
}

TEST(ZoneAnswerTest, ACompiledAnswerTooBigForTheClientIsBuiltAndTruncated) {
  // 12 SRV records and their targets' addresses: over 512 bytes.
  ClusterZone zone = make_zone(12);
  ZoneAnswerer answerer(zone, 5);
  ZoneAnswerer builder(zone, 5);
  const std::string packet = packets::query("_web._tcp.marathon.mesos", type::SRV);
  const auto view = peek_query(packet);
  std::string reply;
  ASSERT_TRUE(answerer.answer(*view, 4096, reply));
  ASSERT_TRUE(answerer.answer(*view, 4096, reply));
  EXPECT_EQ(std::set<std::string>{reply}, built(builder, packet, 4096, 1));
  ASSERT_TRUE(answerer.answer(*view, 512, reply));
  EXPECT_EQ(std::set<std::string>{reply}, built(builder, packet, 512, 1));
  auto parsed = parse(reply);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->flags.tc);
}

TEST(ZoneAnswerTest, CompiledAnswersAreDroppedWhenTheZoneChanges) {
  ClusterZone zone = make_zone();
  ZoneAnswerer answerer(zone, 5);
  const std::string name = "db.marathon.l4lb.thisdcos.directory";
  auto before = ask(answerer, name, type::A);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->flags.rcode, rcode::NxDomain);
  EXPECT_EQ(answerer.compiled(), 1u);
  zone.set_vips({{.name = "db", .framework = "marathon", .address = address_bytes("11.0.0.1")}});
  auto after = ask(answerer, name, type::A);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->flags.rcode, rcode::NoError);
  EXPECT_EQ(rdatas(after->answers, type::A), std::vector<std::string>{address_bytes("11.0.0.1")});
  EXPECT_EQ(answerer.compiled(), 1u) << "only the question asked since";
}

}  // namespace
}  // namespace dcos::dns
