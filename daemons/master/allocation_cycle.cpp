// The DRF walk: allocate() and what it needs. The bookkeeping it relies on is
// in allocator.cpp.
//
// Cost: per agent, the walk stops at the first role and framework that may
// take it, and the sorters hold only frameworks that may be offered anything
// (active, not suppressed), so an agent costs O(log n) plus the frameworks
// skipped for filters on that agent. Moving the agent's pools into the
// offer allocates nothing; only the Offer's protobuf Resources do.
#include <algorithm>

#include "daemons/master/allocator.hpp"
#include "daemons/master/allocator_state.hpp"

namespace dcos::master {
namespace {

// Mesos' default --min_allocatable_resources: an offer with less than 0.01
// cpus and less than 32 MB of memory is useless to anyone.
constexpr Millis kMinCpus = 10;
constexpr Millis kMinMem = 32 * 1000;

bool allocatable(const ScalarQuantities& quantities) {
  return quantities.value[kCpus] >= kMinCpus || quantities.value[kMem] >= kMinMem;
}

}  // namespace

std::vector<Offer> Allocator::allocate(Clock::time_point now) {
  refresh_totals();
  agent_order_.clear();
  for (Index index = 0; index < agents_.size(); ++index) {
    if (agents_[index].live && agents_[index].active) agent_order_.push_back(index);
  }
  // Mesos shuffles the agents each cycle so that no agent is always first in
  // line for the lowest-share framework.
  std::shuffle(agent_order_.begin(), agent_order_.end(), random_);

  std::vector<Offer> offers;
  offers.reserve(agent_order_.size());
  for (Index agent : agent_order_) {
    while (offer_agent(agent, now, offers)) {
    }
  }
  return offers;
}

void Allocator::refresh_totals() {
  if (!totals_changed_) return;
  role_sorter_.set_total(cluster_total_);
  for (RoleEntry& role : roles_) role.frameworks.set_total(cluster_total_);
  totals_changed_ = false;
}

// Offers the agent to the first role, and framework in it, that may take it;
// false when nobody may.
bool Allocator::offer_agent(Index agent_index, Clock::time_point now, std::vector<Offer>& offers) {
  AgentEntry& agent = agents_[agent_index];
  if (agent.free.empty() && agent.free_reserved.empty()) return false;
  for (const DrfSorter::Position& role_position : role_sorter_.order()) {
    const Index role = role_position.client;
    const DrfSorter::Order& frameworks = roles_[role].frameworks.order();
    if (frameworks.empty()) continue;
    const CompactResources* reserved = agent.reserved_for(role);
    ScalarQuantities offerable = agent.free.scalars;
    if (reserved) offerable += reserved->scalars;
    if (!allocatable(offerable)) continue;
    for (const DrfSorter::Position& framework_position : frameworks) {
      FrameworkEntry& framework = frameworks_[framework_position.client];
      if (filtered(framework, agent_index, role, agent.free, reserved, now)) continue;
      // The positions walked above move now: return and walk again.
      offer(agent_index, framework_position.client, role, offers);
      return true;
    }
  }
  return false;
}

bool Allocator::filtered(FrameworkEntry& framework, Index agent, Index role, const CompactResources& unreserved,
                         const CompactResources* reserved, Clock::time_point now) {
  if (framework.filters.empty()) return false;
  auto it = framework.filters.find(agent);
  if (it == framework.filters.end()) return false;
  std::vector<OfferFilter>& filters = it->second;
  std::erase_if(filters, [&](const OfferFilter& filter) { return filter.until <= now; });
  if (filters.empty()) {
    framework.filters.erase(it);
    return false;
  }
  const CompactResources nothing;
  const CompactResources& reserved_part = reserved ? *reserved : nothing;
  return std::any_of(filters.begin(), filters.end(), [&](const OfferFilter& filter) {
    return filter.role == role && filter.refused.unreserved.contains(unreserved) &&
           filter.refused.reserved.contains(reserved_part);
  });
}

void Allocator::offer(Index agent_index, Index framework, Index role, std::vector<Offer>& offers) {
  AgentEntry& agent = agents_[agent_index];
  RolePortion taken;
  taken.unreserved.absorb(agent.free);
  if (CompactResources* reserved = agent.reserved_for(role)) taken.reserved.absorb(*reserved);
  // A pool emptied by the offer is dropped, so that an agent with nothing
  // left is recognized at once.
  std::erase_if(agent.free_reserved, [](const auto& pool) { return pool.second.empty(); });
  const ScalarQuantities quantities = taken.scalars();

  Offer& made = offers.emplace_back();
  made.framework_id = frameworks_[framework].id;
  made.agent_id = agent.id;
  made.role = roles_[role].name;
  made.unreserved = taken.unreserved;
  made.reserved = taken.reserved;
  made.agent_slot = agent_index;
  made.framework_slot = framework;

  Allocation& allocation = allocation_on(agent_index, framework, role);
  allocation.offered.absorb(taken);
  hold(framework, role, quantities);
}

Resources Offer::resources() const {
  Resources out;
  unreserved.append_to(out, "*");
  reserved.append_to(out, role);
  return out;
}

// ---- queries ----

Result<Allocator::Holdings> Allocator::holdings_of(const std::string& framework_id) const {
  auto index = framework_index(framework_id);
  if (!index) return index.error();
  std::vector<ReservedPart> offered;
  std::vector<ReservedPart> used;
  auto add_to = [](std::vector<ReservedPart>& parts, const std::string& role, const CompactResources& resources) {
    if (resources.empty()) return;
    auto part = std::find_if(parts.begin(), parts.end(), [&](const ReservedPart& p) { return p.role == role; });
    if (part == parts.end()) part = parts.insert(parts.end(), ReservedPart{role, {}});
    part->resources.add(resources);
  };
  for (const AgentEntry& agent : agents_) {
    for (const Allocation& allocation : agent.allocations) {
      if (allocation.framework != *index) continue;
      const std::string& role = roles_[allocation.role].name;
      add_to(offered, "*", allocation.offered.unreserved);
      add_to(offered, role, allocation.offered.reserved);
      add_to(used, "*", allocation.used.unreserved);
      add_to(used, role, allocation.used.reserved);
    }
  }
  return Holdings{to_resources(offered), to_resources(used)};
}

double Allocator::role_share(const std::string& role) const {
  auto it = role_ids_.find(role);
  return it == role_ids_.end() ? 0.0 : role_sorter_.share(it->second, cluster_total_);
}

double Allocator::framework_share(const std::string& framework_id, const std::string& role) const {
  auto framework = framework_ids_.find(framework_id);
  auto role_id = role_ids_.find(role);
  if (framework == framework_ids_.end() || role_id == role_ids_.end()) return 0.0;
  return roles_[role_id->second].frameworks.share(framework->second, cluster_total_);
}

Result<Resources> Allocator::available_on(const std::string& agent_id) const {
  auto index = agent_index(agent_id);
  if (!index) return index.error();
  const AgentEntry& agent = agents_[*index];
  std::vector<ReservedPart> parts{{"*", agent.free}};
  for (const auto& [role, resources] : agent.free_reserved) parts.push_back({roles_[role].name, resources});
  return to_resources(parts);
}

Result<Resources> Allocator::total_of(const std::string& agent_id) const {
  auto index = agent_index(agent_id);
  if (!index) return index.error();
  return agents_[*index].total;
}

}  // namespace dcos::master
