// The reader of nft's JSON listing (netlb/nftables/parse.hpp) and the
// judgement of what it read (ruleset.hpp), on nft 1.0.6's real output
// (tests/fuzz/corpus/nft_table/table.json) and on shapes it must refuse.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "netlb/nftables/parse.hpp"

namespace dcos::netlb::nft {
namespace {

std::string corpus(const char* name) {
  std::ifstream in(std::string(DCOS_NFT_CORPUS) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ServiceKey key(const char* vip, uint16_t port, Protocol protocol = Protocol::tcp) {
  return {protocol, *Address::parse(vip), port};
}

std::string one_element(const char* map, const std::string& element) {
  return R"({"nftables": [{"map": {"name": ")" + std::string(map) + R"(", "elem": [)" + element + "]}}]}";
}

TEST(NftParseTest, ReadsWhatNftListed) {
  auto table = parse_table(corpus("table.json"));
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_TRUE(table->sets.contains("services4"));
  EXPECT_EQ(table->chains.at("prerouting"), (std::vector<std::string>{"services4", "services6"}));
  EXPECT_EQ(table->chains.at("pick-2"), (std::vector<std::string>{"pick4", "pick6"}));

  const HeldService& web = table->services.at(key("11.0.0.1", 80));
  EXPECT_TRUE(web.listed);
  EXPECT_EQ(web.rules.pick, 2u);
  auto service = service_from(key("11.0.0.1", 80), web.rules);
  ASSERT_TRUE(service) << service.error().message;
  EXPECT_EQ(service->scheduler, "wlc");
  ASSERT_EQ(service->destinations.size(), 3u);
  EXPECT_EQ(service->destinations[2].weight, 0u);  // 10.0.0.4, idle

  auto dns = service_from(key("11.0.0.2", 53, Protocol::udp), table->services.at(key("11.0.0.2", 53, Protocol::udp)).rules);
  ASSERT_TRUE(dns);
  EXPECT_EQ(dns->scheduler, "rr");
  ASSERT_EQ(dns->destinations.size(), 1u);
  EXPECT_EQ(dns->destinations[0].weight, 0u);

  auto v6 = service_from(key("fd00::1", 443), table->services.at(key("fd00::1", 443)).rules);
  ASSERT_TRUE(v6);
  ASSERT_EQ(v6->destinations.size(), 1u);
  EXPECT_EQ(v6->destinations[0].weight, 2u);  // both slots
}

TEST(NftParseTest, RefusesWhatIsNotOurs) {
  for (const std::string& bad : {
           std::string("not json"),
           std::string(R"({"nftables": 3})"),
           std::string(R"({"nftables": [{"map": {}, "set": {}}]})"),
           one_element("services4", R"([{"concat": ["11.0.0.1", "tcp", 99999]}, {"accept": null}])"),
           one_element("services4", R"([{"concat": ["11.0.0.1", "icmp", 80]}, {"accept": null}])"),
           one_element("services4", R"([{"concat": ["fd00::1", "tcp", 80]}, {"accept": null}])"),
           one_element("services4", R"([{"concat": ["11.0.0.1", "tcp"]}, {"accept": null}])"),
           one_element("services4", R"([{"elem": {}}, {"accept": null}])"),
           one_element("backends4", R"([{"concat": ["11.0.0.1", "tcp", 80, -1]}, {"concat": ["10.0.0.1", 80]}])"),
           one_element("backends4", R"([{"concat": ["11.0.0.1", "tcp", 80, 0]}, "10.0.0.1"])"),
           one_element("idle6", R"({"concat": ["fd00::1", "tcp", 80, "10.0.0.1", 80]})"),
       }) {
    EXPECT_FALSE(parse_table(bad)) << bad;
  }
}

TEST(NftParseTest, AVerdictWeDoNotWriteIsMarked) {
  for (const char* verdict : {R"({"jump": {"target": "pick-2"}})", R"({"goto": {"target": "pick-02"}})",
                              R"({"goto": {"target": "pick-0"}})", R"({"goto": {"target": "elsewhere"}})",
                              R"({"drop": null})"}) {
    auto table = parse_table(one_element("services4", std::string(R"([{"concat": ["11.0.0.1", "tcp", 80]}, )") + verdict + "]"));
    ASSERT_TRUE(table) << table.error().message;
    EXPECT_TRUE(table->services.begin()->second.bad_verdict) << verdict;
  }
}

TEST(NftParseTest, InconsistentServicesAreNotServices) {
  const Endpoint a{*Address::parse("10.0.0.1"), 80}, b{*Address::parse("10.0.0.2"), 80};
  ServiceRules gap{"wlc", 2, {{0, a}, {2, b}}, {}};
  EXPECT_FALSE(service_from(key("11.0.0.1", 80), gap));
  ServiceRules wrong_pick{"wlc", 3, {{0, a}, {1, b}}, {}};
  EXPECT_FALSE(service_from(key("11.0.0.1", 80), wrong_pick));
  ServiceRules both{"wlc", 1, {{0, a}}, {a}};
  EXPECT_FALSE(service_from(key("11.0.0.1", 80), both));
  ServiceRules fine{"wlc", 3, {{0, a}, {1, b}, {2, b}}, {}};
  auto service = service_from(key("11.0.0.1", 80), fine);
  ASSERT_TRUE(service);
  EXPECT_EQ(service->destinations[1].weight, 2u);
  const ServiceRules again = layout(*service);
  EXPECT_EQ(again.slots, fine.slots);
  EXPECT_EQ(again.pick, 3u);
}

}  // namespace
}  // namespace dcos::netlb::nft
