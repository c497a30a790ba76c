// Random operations on an Allocator, with a model of what every framework
// holds where: after each one, on every agent, what is free plus what is held
// must be the agent's total, and the allocator's per-framework holdings must
// match the model's.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "daemons/master/allocator.hpp"

namespace dcos::master {
namespace {

using namespace std::chrono_literals;

using ByRole = std::map<std::string, CompactResources>;

ByRole by_role(const Resources& resources) {
  ByRole merged;
  auto parts = compact_by_role(resources);
  EXPECT_TRUE(parts);
  if (!parts) return merged;
  for (const ReservedPart& part : *parts) {
    if (!part.resources.empty()) merged[part.role].add(part.resources);
  }
  return merged;
}

void add_to(ByRole& into, const ByRole& more) {
  for (const auto& [role, resources] : more) into[role].add(resources);
}

Resources to_list(const ByRole& parts) {
  std::vector<ReservedPart> list;
  for (const auto& [role, resources] : parts) list.push_back({role, resources});
  return to_resources(list);
}

struct Held {
  std::string framework;
  std::string agent;
  std::string role;
  Resources resources;
  bool offered;  // else in use
};

class AllocatorModel {
 public:
  explicit AllocatorModel(std::uint64_t seed) : allocator_(seed), random_(seed) {}

  void build() {
    const char* shapes[] = {"cpus:8;mem:8192;disk:100;ports:[31000-31009]",
                            "cpus:4;mem:4096;cpus(ads):2;mem(ads):1024;ports(ads):[80-81]",
                            "cpus:2;mem:2048;disks:{ssd1,ssd2}"};
    for (int i = 0; i < 12; ++i) add_agent("a" + std::to_string(i), shapes[i % 3]);
    for (int i = 0; i < 6; ++i) add_framework("f" + std::to_string(i));
    ASSERT_TRUE(allocator_.set_role_weight("ads", 2));
  }

  void step() {
    switch (pick(9)) {
      case 0:
      case 1:
        allocate();
        break;
      case 2:
      case 3:
        recover_or_use();
        break;
      case 4:
        release();
        break;
      case 5:
        toggle_framework();
        break;
      case 6:
        toggle_agent();
        break;
      case 7:
        replace_framework();
        break;
      case 8:
        replace_agent();
        break;
    }
    now_ += 1s;
  }

  void check() const {
    for (const auto& [agent, total] : totals_) {
      ByRole accounted = by_role(*allocator_.available_on(agent));
      for (const Held& held : held_) {
        if (held.agent == agent) add_to(accounted, by_role(held.resources));
      }
      std::erase_if(accounted, [](const auto& part) { return part.second.empty(); });
      ASSERT_EQ(accounted, by_role(total))
          << "agent " << agent << ": free + held " << format_resources(to_list(accounted)) << " vs total "
          << format_resources(total);
    }
    for (const std::string& framework : frameworks_) {
      ByRole offered, used;
      for (const Held& held : held_) {
        if (held.framework == framework) add_to(held.offered ? offered : used, by_role(held.resources));
      }
      auto holdings = allocator_.holdings_of(framework);
      ASSERT_TRUE(holdings);
      ASSERT_EQ(by_role(holdings->offered), offered) << framework;
      ASSERT_EQ(by_role(holdings->used), used) << framework;
    }
  }

  int offers_made = 0;
  int tasks_launched = 0;

 private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_); }

  void add_agent(const std::string& id, const char* text) {
    auto total = parse_resources(text);
    ASSERT_TRUE(total);
    ASSERT_TRUE(allocator_.add_agent(id, *total, id));
    totals_[id] = *total;
  }

  void add_framework(const std::string& id) {
    const std::vector<std::string> roles =
        pick(2) ? std::vector<std::string>{"web"} : std::vector<std::string>{"web", "ads"};
    ASSERT_TRUE(allocator_.add_framework(id, roles));
    frameworks_.push_back(id);
  }

  void allocate() {
    for (Offer& offer : allocator_.allocate(now_)) {
      ++offers_made;
      held_.push_back({offer.framework_id, offer.agent_id, offer.role, std::move(offer.resources()), true});
    }
  }

  std::vector<std::size_t> held_where(bool offered) const {
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < held_.size(); ++i) {
      if (held_[i].offered == offered) found.push_back(i);
    }
    return found;
  }

  // Declines an offer, or launches a task from it and declines the rest.
  void recover_or_use() {
    const auto offers = held_where(true);
    if (offers.empty()) return;
    const std::size_t i = offers[pick(offers.size())];
    const Held offer = held_[i];
    held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
    ByRole rest = by_role(offer.resources);
    if (pick(2) && rest["*"].scalars.value[kCpus] >= 1000) {
      ByRole task;
      task["*"] = CompactResources{};
      task["*"].add_scalar("cpus", 1000);
      if (const RangeSet* ports = rest["*"].ranges("ports")) {
        const std::uint64_t port = ports->intervals().front().begin;
        task["*"].add_ranges("ports", RangeSet{{port, port}});
      }
      ASSERT_TRUE(rest["*"].subtract(task["*"]));
      const Resources used = to_list(task);
      ASSERT_TRUE(allocator_.use_offered(offer.framework, offer.agent, offer.role, used));
      held_.push_back({offer.framework, offer.agent, offer.role, used, false});
      ++tasks_launched;
    }
    const std::optional<double> refuse = pick(2) ? std::optional<double>(double(pick(5))) : std::nullopt;
    ASSERT_TRUE(allocator_.recover_resources(offer.framework, offer.agent, offer.role, to_list(rest), refuse, now_));
  }

  void release() {
    const auto used = held_where(false);
    if (used.empty()) return;
    const std::size_t i = used[pick(used.size())];
    ASSERT_TRUE(allocator_.release_used(held_[i].framework, held_[i].agent, held_[i].role, held_[i].resources));
    held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  void toggle_framework() {
    const std::string& id = frameworks_[pick(frameworks_.size())];
    switch (pick(4)) {
      case 0:
        ASSERT_TRUE(allocator_.deactivate_framework(id));
        break;
      case 1:
        ASSERT_TRUE(allocator_.activate_framework(id));
        break;
      case 2:
        ASSERT_TRUE(allocator_.suppress(id));
        break;
      case 3:
        ASSERT_TRUE(allocator_.revive(id));
        break;
    }
  }

  void toggle_agent() {
    auto it = std::next(totals_.begin(), static_cast<std::ptrdiff_t>(pick(totals_.size())));
    ASSERT_TRUE(pick(2) ? allocator_.deactivate_agent(it->first) : allocator_.activate_agent(it->first));
  }

  void replace_framework() {
    const std::size_t i = pick(frameworks_.size());
    ASSERT_TRUE(allocator_.remove_framework(frameworks_[i]));
    std::erase_if(held_, [&](const Held& held) { return held.framework == frameworks_[i]; });
    const std::string id = "f" + std::to_string(next_id_++);
    frameworks_.erase(frameworks_.begin() + static_cast<std::ptrdiff_t>(i));
    add_framework(id);
  }

  void replace_agent() {
    auto it = std::next(totals_.begin(), static_cast<std::ptrdiff_t>(pick(totals_.size())));
    const std::string gone = it->first;
    ASSERT_TRUE(allocator_.remove_agent(gone));
    std::erase_if(held_, [&](const Held& held) { return held.agent == gone; });
    totals_.erase(it);
    add_agent("a" + std::to_string(next_id_++), "cpus:3;mem:3072;ports:[5000-5001]");
  }

  Allocator allocator_;
  std::mt19937_64 random_;
  Clock::time_point now_{};
  std::map<std::string, Resources> totals_;
  std::vector<std::string> frameworks_;
  std::vector<Held> held_;
  int next_id_ = 100;
};

TEST(AllocatorPropertyTest, FreePlusHeldIsAlwaysTheTotal) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    AllocatorModel model(seed);
    ASSERT_NO_FATAL_FAILURE(model.build());
    for (int step = 0; step < 600; ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      ASSERT_NO_FATAL_FAILURE(model.step());
      ASSERT_NO_FATAL_FAILURE(model.check());
    }
    // The walk went through real work, not a cluster frozen early.
    EXPECT_GT(model.offers_made, 200);
    EXPECT_GT(model.tasks_launched, 40);
  }
}

}  // namespace
}  // namespace dcos::master
