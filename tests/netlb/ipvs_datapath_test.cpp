// The IPVS datapath against a kernel that has IPVS (the VM of
// scripts/test-vm.sh; this project's hosts have none, so these skip there,
// or fail with DCOS_REQUIRE_IPVS=1). Everything happens in the network
// namespaces of a NetnsLab (tests/netlb/netns_lab.hpp): a client,
// the lb (the director: IPVS services, the VIPs on `minuteman`) and two
// backends running real TCP servers, joined by veth pairs.
#include "netlb/ipvs/datapath.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>

#include "netlb/vip_addresses.hpp"
#include "tests/netlb/netns_lab.hpp"

namespace dcos::netlb {
namespace {

using testing::HeldConnection;
using testing::NetnsLab;

Address ip(const char* text) { return *Address::parse(text); }

const ServiceKey kWeb{Protocol::tcp, ip("11.0.0.1"), 80};
const ServiceKey kDns{Protocol::udp, ip("11.0.0.2"), 53};

VipTable wanted(uint32_t first_weight = 1) {
  VipTable table;
  table[kWeb] = Service{kWeb, "wlc", {{ip("10.77.1.2"), 8080, first_weight}, {ip("10.77.2.2"), 8080, 3}}};
  table[kDns] = Service{kDns, "rr", {{ip("10.77.1.2"), 53, 1}}};
  return table;
}

// `ipvsadm -Ln` reduced to what we program: one line per service
// ("TCP 11.0.0.1:80 wlc") followed by its destinations ("-> 10.77.1.2:8080
// Masq 1"; connection counters dropped), services and destinations sorted,
// runs of blanks as one space.
std::string ipvsadm_text(const NetnsLab& lab) {
  std::string output;
  if (lab.run_in_lb("ipvsadm -Ln", &output) != 0) return "ipvsadm failed: " + output;
  std::vector<std::pair<std::string, std::vector<std::string>>> services;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    if (w.size() >= 3 && (w[0] == "TCP" || w[0] == "UDP")) {
      std::string joined;
      for (const auto& word : w) joined += (joined.empty() ? "" : " ") + word;
      services.push_back({joined, {}});
    } else if (w.size() >= 4 && w[0] == "->" && w[1] != "RemoteAddress:Port" && !services.empty()) {
      services.back().second.push_back("-> " + w[1] + " " + w[2] + " " + w[3]);
    }
  }
  std::sort(services.begin(), services.end());
  std::string text;
  for (auto& [service, destinations] : services) {
    std::sort(destinations.begin(), destinations.end());
    text += service + "\n";
    for (const auto& d : destinations) text += d + "\n";
  }
  return text;
}

const char* const kProgrammed =
    "TCP 11.0.0.1:80 wlc\n"
    "-> 10.77.1.2:8080 Masq 1\n"
    "-> 10.77.2.2:8080 Masq 3\n"
    "UDP 11.0.0.2:53 rr\n"
    "-> 10.77.1.2:53 Masq 1\n";

// The calling thread in the lab's lb namespace for a scope.
class InLb {
 public:
  explicit InLb(NetnsLab& lab) : lab_(lab), ok_(lab.enter_lb().ok()) {}
  ~InLb() { lab_.leave(); }
  bool ok() const { return ok_; }

 private:
  NetnsLab& lab_;
  bool ok_;
};

class IpvsDatapathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const bool required = std::getenv("DCOS_REQUIRE_IPVS") != nullptr;
    if (geteuid() != 0) GTEST_SKIP() << "needs root (IPVS, network namespaces)";
    if (auto probe = probe_ipvs(true); !probe) {
      if (required) FAIL() << "DCOS_REQUIRE_IPVS is set and " << probe.error().message;
      GTEST_SKIP() << "IPVS: " << probe.error().message;
    }
    std::string why;
    lab_ = NetnsLab::make(2, &why);
    ASSERT_TRUE(lab_) << "the namespaces: " << why;
    InLb inside(*lab_);
    ASSERT_TRUE(inside.ok());
    auto datapath = make_ipvs_datapath();
    ASSERT_TRUE(datapath) << datapath.error().message;
    datapath_ = std::move(*datapath);
    auto vips = VipAddresses::open();
    ASSERT_TRUE(vips) << vips.error().message;
    vips_ = std::move(*vips);
    ASSERT_TRUE(vips_->reconcile(vip_addresses_of(wanted())));
  }

  // Which backend answers each of `count` connections from the client to
  // the web VIP (0: the connection failed).
  std::map<int, int> connect_many(int count) {
    std::map<int, int> seen;
    for (int i = 0; i < count; ++i) ++seen[lab_->connect_from_client("11.0.0.1", 80)];
    return seen;
  }

  Result<std::vector<Change>> reconcile_to(const VipTable& want) {
    InLb inside(*lab_);
    return reconcile(*datapath_, want);
  }

  std::unique_ptr<NetnsLab> lab_;
  std::unique_ptr<Datapath> datapath_;
  std::unique_ptr<VipAddresses> vips_;
};

TEST_F(IpvsDatapathTest, IpvsadmShowsExactlyWhatWeProgrammedAndTheDumpRoundTrips) {
  auto changes = reconcile_to(wanted());
  ASSERT_TRUE(changes) << changes.error().message;
  EXPECT_EQ(changes->size(), 5u);
  std::string shown;
  lab_->run_in_lb("ipvsadm -Ln", &shown);
  std::cout << "ipvsadm -Ln:\n" << shown;
  EXPECT_EQ(ipvsadm_text(*lab_), kProgrammed);
  InLb inside(*lab_);
  auto dumped = datapath_->dump();
  ASSERT_TRUE(dumped) << dumped.error().message;
  EXPECT_EQ(*dumped, wanted());
  auto again = reconcile(*datapath_, wanted());
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());  // nothing duplicated
}

TEST_F(IpvsDatapathTest, ReconcileRestoresWhatIpvsadmRemovedAndRemovesWhatItAdded) {
  ASSERT_TRUE(reconcile_to(wanted()));
  ASSERT_EQ(lab_->run_in_lb("ipvsadm -d -t 11.0.0.1:80 -r 10.77.1.2:8080"), 0);
  ASSERT_EQ(lab_->run_in_lb("ipvsadm -e -t 11.0.0.1:80 -r 10.77.2.2:8080 -m -w 9"), 0);
  ASSERT_EQ(lab_->run_in_lb("ipvsadm -A -t 11.0.0.9:443 -s rr"), 0);
  auto changes = reconcile_to(wanted());
  ASSERT_TRUE(changes) << changes.error().message;
  ASSERT_EQ(changes->size(), 3u);
  EXPECT_EQ((*changes)[0].text(), "add destination 10.77.1.2:8080 weight 1 to tcp 11.0.0.1:80");
  EXPECT_EQ((*changes)[1].text(), "set destination 10.77.2.2:8080 of tcp 11.0.0.1:80 to weight 3");
  EXPECT_EQ((*changes)[2].text(), "remove service tcp 11.0.0.9:443");
  EXPECT_EQ(ipvsadm_text(*lab_), kProgrammed);
}

TEST_F(IpvsDatapathTest, ConnectionsReachBackendsInProportionToWeightsAndWeightZeroStopsNewOnes) {
  ASSERT_TRUE(reconcile_to(wanted()));
  // wlc with weights 1 and 3: a quarter and three quarters. The scheduler is
  // deterministic; the bounds only allow for connections still counted.
  auto seen = connect_many(200);
  std::cout << "weights 1:3 over 200 connections from the client: " << seen[1] << " and " << seen[2] << "\n";
  EXPECT_EQ(seen[1] + seen[2], 200) << seen[0] << " connections failed";
  EXPECT_GE(seen[1], 35);
  EXPECT_LE(seen[1], 65);

  // A connection to backend 1 (from the lb) kept open across its weight going to 0.
  std::unique_ptr<HeldConnection> held;
  {
    InLb inside(*lab_);
    for (int i = 0; i < 8 && !held; ++i) {
      auto connection = std::make_unique<HeldConnection>("11.0.0.1", 80);
      ASSERT_NE(connection->backend(), 0) << "a connection from the lb failed";
      if (connection->backend() == 1) held = std::move(connection);
    }
  }
  ASSERT_TRUE(held) << "no connection to backend 1 in 8 tries";
  auto drained = reconcile_to(wanted(0));
  ASSERT_TRUE(drained) << drained.error().message;
  ASSERT_EQ(drained->size(), 1u);
  EXPECT_EQ(drained->front().kind, Change::Kind::edit_destination);
  seen = connect_many(40);
  EXPECT_EQ(seen[2], 40) << "backend 1 got " << seen[1] << " new connections at weight 0";
  EXPECT_TRUE(held->echoes()) << "the existing connection broke when its weight went to 0";
}

TEST_F(IpvsDatapathTest, KernelErrorsNameTheChangeAndTheErrnoAndRemoveAllEmptiesIpvs) {
  ASSERT_TRUE(reconcile_to(wanted()));
  InLb inside(*lab_);
  const Change again{Change::Kind::add_service, kWeb, "wlc", {}};
  auto failed = datapath_->apply({&again, 1});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "IPVS add service tcp 11.0.0.1:80 (wlc): File exists (errno 17)");
  const Change unknown{Change::Kind::edit_service, kWeb, "nosuch", {}};
  failed = datapath_->apply({&unknown, 1});
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("set scheduler of tcp 11.0.0.1:80 to nosuch: "), std::string::npos)
      << failed.error().message;
  ASSERT_TRUE(datapath_->remove_all());
  EXPECT_EQ(ipvsadm_text(*lab_), "");
  auto dumped = datapath_->dump();
  ASSERT_TRUE(dumped);
  EXPECT_TRUE(dumped->empty());
}

}  // namespace
}  // namespace dcos::netlb
