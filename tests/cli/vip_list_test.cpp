// `dcos vip list`: the l4lb's /vips answer checked and shown as a table.
#include "daemons/cli/vip_list.hpp"

#include <gtest/gtest.h>

namespace dcos::cli {
namespace {

using nlohmann::json;

// A /vips answer in the shape daemons/l4lb/daemon.cpp gives it.
json answer() {
  return {{"backend", "nftables"},
          {"in_sync", true},
          {"vips",
           {{{"protocol", "tcp"},
             {"vip", "11.84.12.9"},
             {"port", 80},
             {"scheduler", "wlc"},
             {"name", "web"},
             {"framework", "marathon"},
             {"backends",
              {{{"ip", "10.0.0.1"}, {"port", 31001}, {"weight", 1}}, {{"ip", "10.0.0.2"}, {"port", 31002}, {"weight", 0}}}}},
            {{"protocol", "udp"},
             {"vip", "192.168.0.53"},
             {"port", 53},
             {"scheduler", "wlc"},
             {"backends", {{{"ip", "10.0.0.1"}, {"port", 31053}, {"weight", 1}}}}}}}};
}

TEST(VipListTest, TableShowsNamedAndFixedVipsAndDrainingBackends) {
  auto vips = vips_from_reply(answer());
  ASSERT_TRUE(vips) << vips.error().message;
  ASSERT_EQ(vips->size(), 2u);
  EXPECT_EQ(vip_table(*vips),
            "NAME  FRAMEWORK  PROTO  VIP              BACKENDS\n"
            "/web  marathon   tcp    11.84.12.9:80    10.0.0.1:31001, 10.0.0.2:31002 (draining)\n"
            "-     -          udp    192.168.0.53:53  10.0.0.1:31053\n");
  EXPECT_EQ(vip_table({}), "NAME  FRAMEWORK  PROTO  VIP  BACKENDS\nno VIPs\n");
  const json printed = json::parse(vip_json(*vips));
  EXPECT_EQ(printed, answer()["vips"]);
}

TEST(VipListTest, ABadAnswerNamesTheField) {
  json bad = answer();
  bad["vips"][1]["backends"][0]["port"] = "x";
  auto vips = vips_from_reply(bad);
  ASSERT_FALSE(vips);
  EXPECT_EQ(vips.error().message, "vips[1].backends[0].port is not of the expected type");
  bad = answer();
  bad["vips"][0].erase("vip");
  EXPECT_EQ(vips_from_reply(bad).error().message, "vips[0].vip is missing");
  EXPECT_FALSE(vips_from_reply(json::array()));
  EXPECT_FALSE(parse_l4lb_address("[::1"));
  EXPECT_EQ(parse_l4lb_address("10.0.0.1")->port, 61421);
}

}  // namespace
}  // namespace dcos::cli
