// The VIP addresses on `minuteman`, in the lb namespace of a NetnsLab
// (tests/netlb/netns_lab.hpp) each test makes: a dummy interface
// where the kernel has them (the VM), the veth fallback where it does not
// (this project's hosts), and the fallback forced. The lab routes
// 11.0.0.0/8 locally, so these use addresses outside it. Root only; skips
// naming what is missing.
#include "netlb/vip_addresses.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "tests/netlb/netns_lab.hpp"

namespace dcos::netlb {
namespace {

using testing::NetnsLab;

Address ip(const char* text) { return *Address::parse(text); }

// Binding a socket to an address works only when the address is local.
bool is_local(const Address& address) {
  const int fd = socket(address.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_storage where{};
  socklen_t size = 0;
  if (address.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&where);
    in->sin_family = AF_INET;
    std::memcpy(&in->sin_addr, address.bytes.data(), 4);
    size = sizeof *in;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&where);
    in6->sin6_family = AF_INET6;
    std::memcpy(&in6->sin6_addr, address.bytes.data(), 16);
    size = sizeof *in6;
  }
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&where), size) == 0;
  close(fd);
  return bound;
}

class VipAddressesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    lab_ = NetnsLab::make(0, &why);
    if (!lab_) GTEST_SKIP() << "no network namespaces: " << why;
    ASSERT_TRUE(lab_->enter_lb());
  }
  void TearDown() override {
    if (lab_) lab_->leave();
  }

  std::unique_ptr<VipAddresses> open(VipAddresses::Options options = {}) {
    auto opened = VipAddresses::open(options);
    EXPECT_TRUE(opened) << opened.error().message;
    return opened ? std::move(*opened) : nullptr;
  }

  std::unique_ptr<NetnsLab> lab_;
};

TEST_F(VipAddressesTest, AddsListsAndRemovesLocalAddresses) {
  auto vips = open();
  ASSERT_TRUE(vips);
  // The dummy where the kernel has them, else the veth fallback.
  const bool has_dummy = lab_->run_in_lb("ip link add probe0 type dummy") == 0;
  EXPECT_EQ(vips->kind(), has_dummy ? VipAddresses::Kind::dummy : VipAddresses::Kind::veth);
  std::cout << "minuteman is a " << vips->kind_name() << "\n";

  const std::vector<Address> three = {ip("198.51.100.1"), ip("198.51.100.2"), ip("2001:db8::11")};
  for (const Address& a : three) ASSERT_TRUE(vips->add(a)) << a.text();
  ASSERT_TRUE(vips->add(ip("198.51.100.1")));  // again: nothing to do
  auto listed = vips->list();
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(*listed, three);
  for (const Address& a : three) EXPECT_TRUE(is_local(a)) << a.text() << " is not local";

  std::string shown;
  lab_->run_in_lb("ip addr show dev minuteman", &shown);
  EXPECT_NE(shown.find("inet 198.51.100.1/32"), std::string::npos) << shown;
  EXPECT_NE(shown.find("inet6 2001:db8::11/128"), std::string::npos) << shown;

  ASSERT_TRUE(vips->remove(ip("198.51.100.2")));
  ASSERT_TRUE(vips->remove(ip("198.51.100.2")));  // again: nothing to do
  listed = vips->list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, (std::vector<Address>{ip("198.51.100.1"), ip("2001:db8::11")}));
  EXPECT_FALSE(is_local(ip("198.51.100.2")));
}

TEST_F(VipAddressesTest, ReconcileAddsWhatIsMissingAndRemovesWhatIsNotWanted) {
  auto vips = open();
  ASSERT_TRUE(vips);
  ASSERT_EQ(lab_->run_in_lb("ip addr add 198.51.100.5/32 dev minuteman"), 0);  // a stale VIP
  ASSERT_EQ(lab_->run_in_lb("ip addr add 198.51.100.1/32 dev minuteman"), 0);
  auto changes = vips->reconcile({ip("198.51.100.3"), ip("198.51.100.1"), ip("2001:db8::3")});
  ASSERT_TRUE(changes) << changes.error().message;
  EXPECT_EQ(changes->added, (std::vector<Address>{ip("198.51.100.3"), ip("2001:db8::3")}));
  EXPECT_EQ(changes->removed, (std::vector<Address>{ip("198.51.100.5")}));
  auto listed = vips->list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, (std::vector<Address>{ip("198.51.100.1"), ip("198.51.100.3"), ip("2001:db8::3")}));
  changes = vips->reconcile(*listed);
  ASSERT_TRUE(changes);
  EXPECT_TRUE(changes->added.empty() && changes->removed.empty());
}

TEST_F(VipAddressesTest, AReopenAdoptsTheInterfaceAndCleanupDeletesIt) {
  auto first = open({"minuteman", false});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->kind(), VipAddresses::Kind::veth);
  EXPECT_EQ(lab_->run_in_lb("ip link show minuteman-peer"), 0);
  ASSERT_TRUE(first->add(ip("198.51.100.7")));
  auto second = open();  // after a restart: the same interface, whatever its kind
  ASSERT_TRUE(second);
  EXPECT_EQ(second->kind(), VipAddresses::Kind::veth);
  auto listed = second->list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, std::vector<Address>{ip("198.51.100.7")});
  ASSERT_TRUE(second->remove_interface());
  EXPECT_NE(lab_->run_in_lb("ip link show minuteman"), 0);
  EXPECT_NE(lab_->run_in_lb("ip link show minuteman-peer"), 0);
}

TEST_F(VipAddressesTest, AnInterfaceOfAnotherKindIsLeftAlone) {
  ASSERT_EQ(lab_->run_in_lb("ip link add minuteman type bridge"), 0);
  auto opened = VipAddresses::open();
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("exists and is bridge"), std::string::npos) << opened.error().message;
}

TEST(VipAddressesOfTest, OneAddressPerVipWhateverItsPortsAndProtocols) {
  VipTable table;
  for (const ServiceKey& key : {ServiceKey{Protocol::tcp, ip("11.0.0.2"), 80}, ServiceKey{Protocol::udp, ip("11.0.0.2"), 53},
                                ServiceKey{Protocol::tcp, ip("11.0.0.1"), 80}})
    table[key] = Service{key, "wlc", {}};
  EXPECT_EQ(vip_addresses_of(table), (std::vector<Address>{ip("11.0.0.1"), ip("11.0.0.2")}));
  EXPECT_TRUE(vip_addresses_of({}).empty());
}

}  // namespace
}  // namespace dcos::netlb
