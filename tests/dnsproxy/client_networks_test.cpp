#include "dnsproxy/client_networks.hpp"

#include <arpa/inet.h>

#include <gtest/gtest.h>

namespace dcos::dns {
namespace {

ClientNetworks::Address v4(const char* text) {
  ClientNetworks::Address address{};
  address[10] = address[11] = 0xff;
  EXPECT_EQ(inet_pton(AF_INET, text, address.data() + 12), 1);
  return address;
}

ClientNetworks::Address v6(const char* text) {
  ClientNetworks::Address address{};
  EXPECT_EQ(inet_pton(AF_INET6, text, address.data()), 1);
  return address;
}

TEST(ClientNetworks, MatchesByPrefixInBothFamilies) {
  auto networks = ClientNetworks::parse("10.1.0.0/16,192.0.2.7,fd00::/8,10.200.3.9/12");
  ASSERT_TRUE(networks) << networks.error().message;
  EXPECT_TRUE(networks->contains(v4("10.1.255.3")));
  EXPECT_FALSE(networks->contains(v4("10.2.0.1")));
  EXPECT_TRUE(networks->contains(v4("192.0.2.7")));
  EXPECT_FALSE(networks->contains(v4("192.0.2.8")));
  EXPECT_TRUE(networks->contains(v6("fdab::1")));
  EXPECT_FALSE(networks->contains(v6("fe80::1")));
  // Host bits of a prefix are ignored: 10.200.3.9/12 is 10.192.0.0/12.
  EXPECT_TRUE(networks->contains(v4("10.207.1.1")));
  EXPECT_FALSE(networks->contains(v4("10.208.0.0")));
  // An IPv4 network never matches an IPv6 address with the same bytes.
  EXPECT_FALSE(networks->contains(v6("::a01:1")));
  EXPECT_EQ(networks->describe(), "10.1.0.0/16,192.0.2.7/32,fd00::/8,10.192.0.0/12");
}

TEST(ClientNetworks, LocalHasLoopback) {
  auto networks = ClientNetworks::parse("local");
  ASSERT_TRUE(networks);
  EXPECT_TRUE(networks->contains(v4("127.0.0.1")));
  EXPECT_TRUE(networks->contains(v4("127.3.2.1")));
  EXPECT_TRUE(networks->contains(v6("::1")));
  EXPECT_FALSE(networks->contains(v4("198.51.100.1")));
}

TEST(ClientNetworks, RejectsWhatIsNotANetwork) {
  for (const char* bad : {"", "10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x", "example.com", "10.0.0.1,",
                          "0.0.0.0/8/1"}) {
    EXPECT_FALSE(ClientNetworks::parse(bad)) << bad;
  }
  EXPECT_TRUE(ClientNetworks::parse("0.0.0.0/0"));
}

}  // namespace
}  // namespace dcos::dns
