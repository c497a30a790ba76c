#include "daemons/master/allocator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace dcos::master {
namespace {

using namespace std::chrono_literals;

const Clock::time_point t0{};

Resources parsed(std::string_view text) {
  auto result = parse_resources(text);
  EXPECT_TRUE(result) << text << ": " << (result ? "" : result.error().message);
  return result ? *result : Resources{};
}

// Resources by reservation role, merged, so that lists compare whatever
// their order.
std::map<std::string, CompactResources> by_role(const Resources& resources) {
  auto parts = compact_by_role(resources);
  EXPECT_TRUE(parts) << (parts ? "" : parts.error().message);
  std::map<std::string, CompactResources> merged;
  if (!parts) return merged;
  for (const ReservedPart& part : *parts) {
    if (!part.resources.empty()) merged[part.role].add(part.resources);
  }
  return merged;
}

bool same(const Resources& a, const Resources& b) { return by_role(a) == by_role(b); }

Resources minus(const Resources& whole, const Resources& part) {
  auto rest = by_role(whole);
  for (auto& [role, resources] : by_role(part)) EXPECT_TRUE(rest[role].subtract(resources));
  std::vector<ReservedPart> parts;
  for (auto& [role, resources] : rest) parts.push_back({role, resources});
  return to_resources(parts);
}

#define ASSERT_OK(expr)                                               \
  do {                                                                \
    auto result_ = (expr);                                            \
    ASSERT_TRUE(result_) << #expr << ": " << result_.error().message; \
  } while (0)

class AllocatorTest : public ::testing::Test {
 protected:
  void add_agents(int count, std::string_view resources, const std::string& prefix = "a") {
    for (int i = 0; i < count; ++i) {
      ASSERT_OK(allocator.add_agent(prefix + std::to_string(i), parsed(resources), "host" + std::to_string(i)));
    }
  }
  // Declines every offer (no filter), so the next cycle starts from scratch.
  void decline_all(const std::vector<Offer>& offers, std::optional<double> refuse = {}, Clock::time_point now = t0) {
    for (const Offer& offer : offers) {
      ASSERT_OK(
          allocator.recover_resources(offer.framework_id, offer.agent_id, offer.role, offer.resources(), refuse, now));
    }
  }
  void accept_all(const std::vector<Offer>& offers) {
    for (const Offer& offer : offers) {
      ASSERT_OK(allocator.use_offered(offer.framework_id, offer.agent_id, offer.role, offer.resources()));
    }
  }
  std::map<std::string, int> offers_per_framework(const std::vector<Offer>& offers) {
    std::map<std::string, int> count;
    for (const Offer& offer : offers) ++count[offer.framework_id];
    return count;
  }

  Allocator allocator{42};
};

// ---- the DRF order ----

TEST_F(AllocatorTest, LowerDominantShareGetsTheNextAgent) {
  add_agents(4, "cpus:10;mem:1000");
  // Where the tasks run: counted in the total, never offered.
  ASSERT_OK(allocator.add_agent("busy", parsed("cpus:10;mem:1000"), "h"));
  ASSERT_OK(allocator.deactivate_agent("busy"));
  ASSERT_OK(allocator.add_framework("fa", {"r"}));
  ASSERT_OK(allocator.add_framework("fb", {"r"}));
  ASSERT_OK(allocator.allocate_used("fa", "busy", "r", parsed("cpus:6;mem:10")));
  ASSERT_OK(allocator.allocate_used("fb", "busy", "r", parsed("cpus:1;mem:100")));
  EXPECT_NEAR(allocator.framework_share("fa", "r"), 6.0 / 50, 1e-9);      // cpus dominate
  EXPECT_NEAR(allocator.framework_share("fb", "r"), 100.0 / 5000, 1e-9);  // mem dominates

  // fb first; a whole agent takes it to 11/50, past fa's 6/50; and so on.
  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 4u);
  EXPECT_EQ(offers[0].framework_id, "fb");
  EXPECT_EQ(offers[1].framework_id, "fa");
  EXPECT_EQ(offers[2].framework_id, "fb");
  EXPECT_EQ(offers[3].framework_id, "fa");
  EXPECT_NEAR(allocator.framework_share("fb", "r"), 21.0 / 50, 1e-9);
}

// The DRF paper's example: 9 cpus and 18 GB; A runs <1 cpu, 4 GB> tasks, B
// <3 cpus, 1 GB>. DRF gives A three tasks and B two.
TEST_F(AllocatorTest, PaperExampleGivesThreeAndTwoTasks) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:9;mem:18432"), "h"));
  ASSERT_OK(allocator.add_framework("A", {"r"}));
  ASSERT_OK(allocator.add_framework("B", {"r"}));
  const std::map<std::string, Resources> task{{"A", parsed("cpus:1;mem:4096")}, {"B", parsed("cpus:3;mem:1024")}};
  std::map<std::string, int> launched;
  Clock::time_point now = t0;
  for (int cycle = 0; cycle < 20; ++cycle, now += 1s) {
    auto offers = allocator.allocate(now);
    if (offers.empty()) break;
    ASSERT_EQ(offers.size(), 1u);
    const Offer& offer = offers[0];
    if (by_role(offer.resources())["*"].contains(by_role(task.at(offer.framework_id))["*"])) {
      ASSERT_OK(allocator.use_offered(offer.framework_id, offer.agent_id, offer.role, task.at(offer.framework_id)));
      ASSERT_OK(allocator.recover_resources(offer.framework_id, offer.agent_id, offer.role,
                                            minus(offer.resources(), task.at(offer.framework_id)), {}, now));
      ++launched[offer.framework_id];
    } else {
      // Cannot use it: decline for a long while, as a scheduler would.
      ASSERT_OK(
          allocator.recover_resources(offer.framework_id, offer.agent_id, offer.role, offer.resources(), 3600, now));
    }
  }
  EXPECT_EQ(launched["A"], 3);
  EXPECT_EQ(launched["B"], 2);
  EXPECT_NEAR(allocator.framework_share("A", "r"), 12.0 / 18, 1e-9);
  EXPECT_NEAR(allocator.framework_share("B", "r"), 6.0 / 9, 1e-9);
}

TEST_F(AllocatorTest, RoleWeightsScaleShares) {
  add_agents(30, "cpus:4;mem:4096");
  ASSERT_OK(allocator.set_role_weight("heavy", 2));
  ASSERT_OK(allocator.add_framework("fh", {"heavy"}));
  ASSERT_OK(allocator.add_framework("fl", {"light"}));
  accept_all(allocator.allocate(t0));
  // Agents go to the lowest weighted share: heavy holds twice what light holds.
  auto heavy = allocator.holdings_of("fh");
  auto light = allocator.holdings_of("fl");
  ASSERT_TRUE(heavy && light);
  EXPECT_NEAR(scalar_total(heavy->used, "cpus"), 80, 4);
  EXPECT_NEAR(scalar_total(light->used, "cpus"), 40, 4);
  EXPECT_NEAR(allocator.role_share("heavy"), allocator.role_share("light"), 1.0 / 30);
  EXPECT_FALSE(allocator.set_role_weight("light", 0));
  EXPECT_FALSE(allocator.set_role_weight("light", -1));
}

// ---- reservations ----

TEST_F(AllocatorTest, ReservedResourcesGoOnlyToTheirRole) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:4;mem:4096;cpus(ads):2;mem(ads):1024"), "h"));
  ASSERT_OK(allocator.add_agent("a1", parsed("cpus:4;mem:4096"), "h"));
  ASSERT_OK(allocator.add_framework("web", {"web"}));
  ASSERT_OK(allocator.add_framework("ads", {"ads"}));
  // ads is busy elsewhere, so web comes first on every agent.
  ASSERT_OK(allocator.allocate_used("ads", "a1", "ads", parsed("cpus:4;mem:4096")));

  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0].framework_id, "web");
  EXPECT_TRUE(same(offers[0].resources(), parsed("cpus:4;mem:4096")));
  EXPECT_EQ(offers[1].framework_id, "ads");
  EXPECT_TRUE(same(offers[1].resources(), parsed("cpus(ads):2;mem(ads):1024")));
  EXPECT_EQ(offers[1].role, "ads");
}

TEST_F(AllocatorTest, ReservationsOfAnotherRoleAreNotOffered) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus(ads):2;mem(ads):1024"), "h"));
  ASSERT_OK(allocator.add_framework("web", {"web"}));
  EXPECT_TRUE(allocator.allocate(t0).empty());
  // And they cannot be claimed for the wrong role either.
  EXPECT_FALSE(allocator.allocate_used("web", "a0", "web", parsed("cpus(ads):1")));
}

TEST_F(AllocatorTest, NothingBelowTheMinimumIsOffered) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:1;mem:16;disk:1000;ports:[31000-32000]"), "h"));
  ASSERT_OK(allocator.add_framework("f", {"r"}));
  ASSERT_OK(allocator.allocate_used("f", "a0", "r", parsed("cpus:0.995")));
  EXPECT_TRUE(allocator.allocate(t0).empty());  // 0.005 cpus, 16 MB
  ASSERT_OK(allocator.release_used("f", "a0", "r", parsed("cpus:0.005")));
  EXPECT_EQ(allocator.allocate(t0).size(), 1u);  // 0.01 cpus
}

// ---- filters, suppress, revive ----

TEST_F(AllocatorTest, DeclineFilterHoldsBackUntilItExpires) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:4;mem:4096"), "h"));
  ASSERT_OK(allocator.add_framework("fa", {"r"}));
  ASSERT_OK(allocator.add_framework("fb", {"r"}));

  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "fa");
  decline_all(offers, 10, t0);  // fa: not for 10 s

  offers = allocator.allocate(t0 + 1s);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "fb");
  decline_all(offers, 100, t0 + 1s);  // fb: not for 100 s

  EXPECT_TRUE(allocator.allocate(t0 + 9s).empty());
  offers = allocator.allocate(t0 + 10s);  // fa's filter is over
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "fa");
}

TEST_F(AllocatorTest, FilterHoldsBackOnlyWhatItRefused) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:4;mem:4096"), "h"));
  ASSERT_OK(allocator.add_agent("a1", parsed("cpus:4;mem:4096"), "h"));
  ASSERT_OK(allocator.add_framework("f", {"r"}));
  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 2u);
  for (const Offer& offer : offers) {
    if (offer.agent_id == "a0") {
      decline_all({offer}, 60, t0);  // filtered on a0 only
    } else {
      decline_all({offer});
    }
  }
  offers = allocator.allocate(t0 + 1s);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "a1");
  decline_all(offers);
  // More than was refused on a0 is offered again.
  ASSERT_OK(allocator.update_agent("a0", parsed("cpus:8;mem:4096")));
  EXPECT_EQ(allocator.allocate(t0 + 2s).size(), 2u);
}

TEST_F(AllocatorTest, ZeroOrNegativeRefuseSecondsSetNoFilter) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:4;mem:4096"), "h"));
  ASSERT_OK(allocator.add_framework("f", {"r"}));
  decline_all(allocator.allocate(t0), 0.0);
  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 1u);
  decline_all(offers, -5.0);
  EXPECT_EQ(allocator.allocate(t0).size(), 1u);
}

TEST_F(AllocatorTest, ReviveClearsFilters) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:4;mem:4096"), "h"));
  ASSERT_OK(allocator.add_framework("f", {"r"}));
  decline_all(allocator.allocate(t0), 3600, t0);
  EXPECT_TRUE(allocator.allocate(t0 + 1s).empty());
  ASSERT_OK(allocator.revive("f"));
  EXPECT_EQ(allocator.allocate(t0 + 2s).size(), 1u);
}

TEST_F(AllocatorTest, SuppressedFrameworksGetNothingUntilRevived) {
  add_agents(2, "cpus:4;mem:4096");
  ASSERT_OK(allocator.add_framework("fa", {"r"}));
  ASSERT_OK(allocator.add_framework("fb", {"r"}, {"r"}));  // subscribed suppressed
  auto offers = allocator.allocate(t0);
  EXPECT_EQ(offers_per_framework(offers), (std::map<std::string, int>{{"fa", 2}}));
  decline_all(offers);

  ASSERT_OK(allocator.suppress("fa"));
  EXPECT_TRUE(allocator.allocate(t0).empty());
  ASSERT_OK(allocator.revive("fb", "r"));
  offers = allocator.allocate(t0);
  EXPECT_EQ(offers_per_framework(offers), (std::map<std::string, int>{{"fb", 2}}));
  EXPECT_FALSE(allocator.suppress("fa", "not-my-role"));
}

TEST_F(AllocatorTest, SuppressingOneRoleLeavesTheOthers) {
  add_agents(2, "cpus:4;mem:4096");
  ASSERT_OK(allocator.add_framework("f", {"r1", "r2"}));
  ASSERT_OK(allocator.suppress("f", "r1"));
  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 2u);
  for (const Offer& offer : offers) EXPECT_EQ(offer.role, "r2");
}

// ---- inactive agents and frameworks ----

TEST_F(AllocatorTest, InactiveAgentsAndFrameworksGetNothing) {
  add_agents(2, "cpus:4;mem:4096");
  ASSERT_OK(allocator.add_framework("f", {"r"}));
  ASSERT_OK(allocator.deactivate_agent("a0"));
  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "a1");
  decline_all(offers);

  ASSERT_OK(allocator.deactivate_framework("f"));
  EXPECT_TRUE(allocator.allocate(t0).empty());
  ASSERT_OK(allocator.activate_framework("f"));
  ASSERT_OK(allocator.activate_agent("a0"));
  EXPECT_EQ(allocator.allocate(t0).size(), 2u);
  EXPECT_FALSE(allocator.deactivate_agent("nope"));
  EXPECT_FALSE(allocator.deactivate_framework("nope"));
}

// ---- agents and frameworks going away ----

TEST_F(AllocatorTest, RemoveAgentDropsWhatWasHeldThere) {
  add_agents(2, "cpus:4;mem:4096");
  ASSERT_OK(allocator.add_framework("f", {"r"}));
  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 2u);
  ASSERT_OK(allocator.remove_agent("a0"));

  auto holdings = allocator.holdings_of("f");
  ASSERT_TRUE(holdings);
  EXPECT_TRUE(same(holdings->offered, parsed("cpus:4;mem:4096")));
  // The total shrank with the agent: one agent of one held.
  EXPECT_NEAR(allocator.framework_share("f", "r"), 1.0, 1e-9);
  for (const Offer& offer : offers) {
    auto recovered = allocator.recover_resources("f", offer.agent_id, "r", offer.resources(), {}, t0);
    EXPECT_EQ(bool(recovered), offer.agent_id == "a1");
  }
  EXPECT_NEAR(allocator.framework_share("f", "r"), 0.0, 1e-9);
  // The id can come back, fresh.
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:1;mem:128"), "h"));
  auto available = allocator.available_on("a0");
  ASSERT_TRUE(available);
  EXPECT_TRUE(same(*available, parsed("cpus:1;mem:128")));
}

TEST_F(AllocatorTest, RemoveFrameworkFreesWhatItHeld) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:4;mem:4096;ports:[31000-32000]"), "h"));
  ASSERT_OK(allocator.add_framework("f", {"r"}));
  ASSERT_OK(allocator.allocate_used("f", "a0", "r", parsed("cpus:1;mem:512;ports:[31000-31000]")));
  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 1u);
  ASSERT_OK(allocator.remove_framework("f"));
  auto available = allocator.available_on("a0");
  ASSERT_TRUE(available);
  EXPECT_TRUE(same(*available, parsed("cpus:4;mem:4096;ports:[31000-32000]")));
  EXPECT_EQ(allocator.role_share("r"), 0.0);
  EXPECT_FALSE(allocator.holdings_of("f"));
}

TEST_F(AllocatorTest, UpdateAgentRefusesATotalBelowWhatIsHeld) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:4;mem:4096;ports:[31000-32000]"), "h"));
  ASSERT_OK(allocator.add_framework("f", {"r"}));
  ASSERT_OK(allocator.allocate_used("f", "a0", "r", parsed("cpus:2;ports:[31500-31500]")));
  EXPECT_FALSE(allocator.update_agent("a0", parsed("cpus:1;mem:4096;ports:[31000-32000]")));
  EXPECT_FALSE(allocator.update_agent("a0", parsed("cpus:4;mem:4096;ports:[31000-31499]")));
  ASSERT_OK(allocator.update_agent("a0", parsed("cpus:8;mem:4096;ports:[31000-32000]")));
  auto available = allocator.available_on("a0");
  ASSERT_TRUE(available);
  EXPECT_TRUE(same(*available, parsed("cpus:6;mem:4096;ports:[31000-31499,31501-32000]")));
}

// ---- what the master may and may not report ----

TEST_F(AllocatorTest, RecoveringWhatWasNotOfferedIsRefused) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:4;mem:4096;ports:[31000-32000]"), "h"));
  ASSERT_OK(allocator.add_framework("f", {"r"}));
  ASSERT_OK(allocator.add_framework("g", {"r"}));
  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 1u);
  const Offer& offer = offers[0];
  EXPECT_FALSE(allocator.recover_resources(offer.framework_id, "a0", "r", parsed("ports:[40000-40000]"), {}, t0));
  EXPECT_FALSE(allocator.recover_resources(offer.framework_id, "a0", "r", parsed("cpus:5"), {}, t0));
  EXPECT_FALSE(allocator.recover_resources("g", "a0", "r", offer.resources(), {}, t0));
  EXPECT_FALSE(allocator.release_used(offer.framework_id, "a0", "r", parsed("cpus:1")));  // offered, not used
  EXPECT_FALSE(allocator.recover_resources(offer.framework_id, "a0", "other", offer.resources(), {}, t0));
  // Nothing changed: the whole offer is still there to recover.
  ASSERT_OK(allocator.recover_resources(offer.framework_id, "a0", "r", offer.resources(), {}, t0));
}

TEST_F(AllocatorTest, PortsComeBackPiecewise) {
  ASSERT_OK(allocator.add_agent("a0", parsed("cpus:4;mem:4096;ports:[31000-32000]"), "h"));
  ASSERT_OK(allocator.add_framework("f", {"r"}));
  auto offers = allocator.allocate(t0);
  ASSERT_EQ(offers.size(), 1u);
  ASSERT_OK(allocator.use_offered("f", "a0", "r", parsed("cpus:1;mem:128;ports:[31000-31005]")));
  ASSERT_OK(allocator.recover_resources("f", "a0", "r", parsed("cpus:3;mem:3968;ports:[31006-32000]"), {}, t0));
  auto available = allocator.available_on("a0");
  ASSERT_TRUE(available);
  EXPECT_TRUE(same(*available, parsed("cpus:3;mem:3968;ports:[31006-32000]")));
  ASSERT_OK(allocator.release_used("f", "a0", "r", parsed("cpus:1;mem:128;ports:[31000-31005]")));
  available = allocator.available_on("a0");
  ASSERT_TRUE(available);
  EXPECT_TRUE(same(*available, parsed("cpus:4;mem:4096;ports:[31000-32000]")));
}

TEST_F(AllocatorTest, AgentOrderIsSeeded) {
  auto run = [](std::uint64_t seed) {
    Allocator allocator(seed);
    for (int i = 0; i < 50; ++i) {
      EXPECT_TRUE(allocator.add_agent("a" + std::to_string(i), parsed("cpus:4;mem:4096"), "h"));
    }
    EXPECT_TRUE(allocator.add_framework("f", {"r"}));
    std::vector<std::string> order;
    for (const Offer& offer : allocator.allocate(t0)) order.push_back(offer.agent_id);
    return order;
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

}  // namespace
}  // namespace dcos::master
