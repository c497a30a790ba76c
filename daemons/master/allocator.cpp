// The Allocator's bookkeeping: agents, frameworks, roles, and the moves of
// resources between free, offered and in use. The DRF walk itself is in
// allocation_cycle.cpp.
#include "daemons/master/allocator.hpp"

#include <algorithm>
#include <cmath>

#include "daemons/master/allocator_state.hpp"

namespace dcos::master {
namespace {

// Mesos caps filters too; a year is "forever" for an offer and keeps
// time_point arithmetic far from overflow.
constexpr double kMaxRefuseSeconds = 365.0 * 24 * 3600;

std::string quote(const std::string& text) { return "'" + text + "'"; }

}  // namespace

Allocator::Allocator(std::uint64_t seed) : random_(seed) {}
Allocator::~Allocator() = default;
Allocator::Allocator(Allocator&&) noexcept = default;
Allocator& Allocator::operator=(Allocator&&) noexcept = default;

// ---- lookups ----

Allocator::Index Allocator::role_index(const std::string& role) {
  auto [it, added] = role_ids_.try_emplace(role, static_cast<Index>(roles_.size()));
  if (added) {
    roles_.push_back(RoleEntry{role, {}});
    roles_.back().frameworks.set_total(cluster_total_);
    role_sorter_.add(it->second);
  }
  return it->second;
}

Result<Allocator::Index> Allocator::agent_index(const std::string& agent_id) const {
  auto it = agent_ids_.find(agent_id);
  if (it == agent_ids_.end()) return Error{"unknown agent " + quote(agent_id)};
  return it->second;
}

Result<Allocator::Index> Allocator::agent_index(const std::string& agent_id, Index slot) const {
  if (slot < agents_.size() && agents_[slot].live && agents_[slot].id == agent_id) return slot;
  return agent_index(agent_id);
}

Result<Allocator::Index> Allocator::framework_index(const std::string& framework_id, Index slot) const {
  if (slot < frameworks_.size() && frameworks_[slot].live && frameworks_[slot].id == framework_id) return slot;
  return framework_index(framework_id);
}

Result<Allocator::Index> Allocator::framework_index(const std::string& framework_id) const {
  auto it = framework_ids_.find(framework_id);
  if (it == framework_ids_.end()) return Error{"unknown framework " + quote(framework_id)};
  return it->second;
}

Allocator::FrameworkRole* Allocator::framework_role(FrameworkEntry& framework, Index role) {
  for (FrameworkRole& entry : framework.roles) {
    if (entry.role == role) return &entry;
  }
  return nullptr;
}

Allocator::Allocation& Allocator::allocation_on(Index agent, Index framework, Index role) {
  std::vector<Allocation>& allocations = agents_[agent].allocations;
  for (Allocation& allocation : allocations) {
    if (allocation.framework == framework && allocation.role == role) return allocation;
  }
  return allocations.emplace_back(Allocation{framework, role, {}, {}});
}

void Allocator::erase_if_empty(Index agent, std::size_t position) {
  std::vector<Allocation>& allocations = agents_[agent].allocations;
  Allocation& allocation = allocations[position];
  if (!allocation.offered.empty() || !allocation.used.empty()) return;
  // Their order means nothing: the last one fills the hole.
  if (position + 1 != allocations.size()) allocation = std::move(allocations.back());
  allocations.pop_back();
}

// Resources for `role` must be unreserved or reserved for that role.
Result<Allocator::RolePortion> Allocator::to_portion(const Resources& resources, const std::string& role) {
  auto parts = compact_by_role(resources);
  if (!parts) return parts.error();
  RolePortion portion;
  for (ReservedPart& part : *parts) {
    if (part.role == "*") {
      portion.unreserved = std::move(part.resources);
    } else if (part.role == role) {
      portion.reserved = std::move(part.resources);
    } else {
      return Error{"resources reserved for role " + quote(part.role) + " cannot be held in role " + quote(role)};
    }
  }
  return portion;
}

// ---- agents ----

Result<void> Allocator::add_agent(const std::string& agent_id, const Resources& total, const std::string& hostname) {
  if (agent_ids_.contains(agent_id)) return Error{"agent " + quote(agent_id) + " is already known"};
  auto parts = compact_by_role(total);
  if (!parts) return Error{"agent " + quote(agent_id) + ": " + parts.error().message};

  Index index;
  if (free_agent_slots_.empty()) {
    index = static_cast<Index>(agents_.size());
    agents_.emplace_back();
  } else {
    index = free_agent_slots_.back();
    free_agent_slots_.pop_back();
  }
  AgentEntry& agent = agents_[index];
  agent = AgentEntry{};
  agent.id = agent_id;
  agent.hostname = hostname;
  agent.live = true;
  agent.total = total;
  for (ReservedPart& part : *parts) {
    agent.total_scalars += part.resources.scalars;
    if (part.role == "*") {
      agent.free = std::move(part.resources);
    } else {
      agents_[index].reserved_pool(role_index(part.role)) = std::move(part.resources);
    }
  }
  cluster_total_ += agent.total_scalars;
  totals_changed_ = true;
  agent_ids_.emplace(agent_id, index);
  return {};
}

Result<void> Allocator::remove_agent(const std::string& agent_id) {
  auto index = agent_index(agent_id);
  if (!index) return index.error();
  AgentEntry& agent = agents_[*index];
  for (const Allocation& allocation : agent.allocations) {
    ScalarQuantities held = allocation.offered.scalars();
    held += allocation.used.scalars();
    unhold(allocation.framework, allocation.role, held);
  }
  drop_filters_for_agent(*index);
  cluster_total_ -= agent.total_scalars;
  totals_changed_ = true;
  agent_ids_.erase(agent.id);
  agent = AgentEntry{};
  free_agent_slots_.push_back(*index);
  return {};
}

Result<void> Allocator::update_agent(const std::string& agent_id, const Resources& total) {
  auto index = agent_index(agent_id);
  if (!index) return index.error();
  auto parts = compact_by_role(total);
  if (!parts) return Error{"agent " + quote(agent_id) + ": " + parts.error().message};

  AgentEntry& agent = agents_[*index];
  AgentEntry updated;  // only its free pools and totals are used
  for (ReservedPart& part : *parts) {
    updated.total_scalars += part.resources.scalars;
    if (part.role == "*") {
      updated.free = std::move(part.resources);
    } else {
      updated.reserved_pool(role_index(part.role)) = std::move(part.resources);
    }
  }
  for (const Allocation& allocation : agent.allocations) {
    CompactResources& reserved = updated.reserved_pool(allocation.role);
    for (const RolePortion* held : {&allocation.offered, &allocation.used}) {
      if (!updated.free.subtract(held->unreserved) || !reserved.subtract(held->reserved)) {
        return Error{"agent " + quote(agent_id) + ": the new total " + format_resources(total) +
                     " does not hold what frameworks hold there"};
      }
    }
  }
  cluster_total_ -= agent.total_scalars;
  cluster_total_ += updated.total_scalars;
  totals_changed_ = true;
  agent.total = total;
  agent.total_scalars = updated.total_scalars;
  agent.free = std::move(updated.free);
  agent.free_reserved = std::move(updated.free_reserved);
  // Pools made above only to subtract from, and left empty, would make the
  // DRF walk visit this agent for nothing.
  std::erase_if(agent.free_reserved, [](const auto& pool) { return pool.second.empty(); });
  return {};
}

Result<void> Allocator::activate_agent(const std::string& agent_id) {
  auto index = agent_index(agent_id);
  if (!index) return index.error();
  agents_[*index].active = true;
  return {};
}

Result<void> Allocator::deactivate_agent(const std::string& agent_id) {
  auto index = agent_index(agent_id);
  if (!index) return index.error();
  agents_[*index].active = false;
  return {};
}

void Allocator::drop_filters_for_agent(Index agent) {
  for (FrameworkEntry& framework : frameworks_) {
    if (!framework.filters.empty()) framework.filters.erase(agent);
  }
}

// ---- frameworks ----

Result<void> Allocator::add_framework(const std::string& framework_id, const std::vector<std::string>& roles,
                                      const std::vector<std::string>& suppressed_roles) {
  if (framework_ids_.contains(framework_id)) return Error{"framework " + quote(framework_id) + " is already known"};
  if (roles.empty()) return Error{"framework " + quote(framework_id) + " has no role"};
  for (const std::string& role : suppressed_roles) {
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
      return Error{"framework " + quote(framework_id) + " suppresses role " + quote(role) + " it is not in"};
    }
  }
  Index index;
  if (free_framework_slots_.empty()) {
    index = static_cast<Index>(frameworks_.size());
    frameworks_.emplace_back();
  } else {
    index = free_framework_slots_.back();
    free_framework_slots_.pop_back();
  }
  FrameworkEntry& framework = frameworks_[index];
  framework = FrameworkEntry{};
  framework.id = framework_id;
  framework.live = true;
  for (const std::string& role : roles) {
    const Index role_id = role_index(role);
    if (framework_role(framework, role_id) != nullptr) continue;  // listed twice
    const bool suppressed = std::find(suppressed_roles.begin(), suppressed_roles.end(), role) != suppressed_roles.end();
    framework.roles.push_back({role_id, suppressed});
    roles_[role_id].frameworks.add(index);
  }
  framework_ids_.emplace(framework_id, index);
  update_sorter_membership(index);
  return {};
}

Result<void> Allocator::remove_framework(const std::string& framework_id) {
  auto index = framework_index(framework_id);
  if (!index) return index.error();
  FrameworkEntry& framework = frameworks_[*index];
  for (Index agent = 0; agent < agents_.size(); ++agent) {
    if (agents_[agent].live) free_all_held_on(agent, *index);
  }
  for (const FrameworkRole& role : framework.roles) roles_[role.role].frameworks.remove(*index);
  framework_ids_.erase(framework.id);
  framework = FrameworkEntry{};
  free_framework_slots_.push_back(*index);
  return {};
}

void Allocator::free_all_held_on(Index agent_index, Index framework) {
  AgentEntry& agent = agents_[agent_index];
  for (std::size_t i = agent.allocations.size(); i-- > 0;) {
    Allocation& allocation = agent.allocations[i];
    if (allocation.framework != framework) continue;
    ScalarQuantities held = allocation.offered.scalars();
    held += allocation.used.scalars();
    unhold(framework, allocation.role, held);
    for (RolePortion* portion : {&allocation.offered, &allocation.used}) {
      agent.free.absorb(portion->unreserved);
      if (!portion->reserved.empty()) agent.reserved_pool(allocation.role).absorb(portion->reserved);
    }
    erase_if_empty(agent_index, i);
  }
}

Result<void> Allocator::activate_framework(const std::string& framework_id) {
  auto index = framework_index(framework_id);
  if (!index) return index.error();
  frameworks_[*index].active = true;
  update_sorter_membership(*index);
  return {};
}

Result<void> Allocator::deactivate_framework(const std::string& framework_id) {
  auto index = framework_index(framework_id);
  if (!index) return index.error();
  frameworks_[*index].active = false;
  update_sorter_membership(*index);
  return {};
}

Result<void> Allocator::suppress(const std::string& framework_id, const std::optional<std::string>& role) {
  auto index = framework_index(framework_id);
  if (!index) return index.error();
  FrameworkEntry& framework = frameworks_[*index];
  bool found = !role;
  for (FrameworkRole& entry : framework.roles) {
    if (role && roles_[entry.role].name != *role) continue;
    entry.suppressed = true;
    found = true;
  }
  if (!found) return Error{"framework " + quote(framework_id) + " is not in role " + quote(*role)};
  update_sorter_membership(*index);
  return {};
}

Result<void> Allocator::revive(const std::string& framework_id, const std::optional<std::string>& role) {
  auto index = framework_index(framework_id);
  if (!index) return index.error();
  FrameworkEntry& framework = frameworks_[*index];
  bool found = !role;
  for (FrameworkRole& entry : framework.roles) {
    if (role && roles_[entry.role].name != *role) continue;
    entry.suppressed = false;
    found = true;
    for (auto it = framework.filters.begin(); it != framework.filters.end();) {
      std::erase_if(it->second, [&](const OfferFilter& filter) { return filter.role == entry.role; });
      it = it->second.empty() ? framework.filters.erase(it) : std::next(it);
    }
  }
  if (!found) return Error{"framework " + quote(framework_id) + " is not in role " + quote(*role)};
  update_sorter_membership(*index);
  return {};
}

// A framework is in a role's order only when it may be offered resources in
// it, so that the DRF walk never steps over inactive or suppressed ones.
void Allocator::update_sorter_membership(Index index) {
  const FrameworkEntry& framework = frameworks_[index];
  for (const FrameworkRole& role : framework.roles) {
    roles_[role.role].frameworks.set_active(index, framework.active && !role.suppressed);
  }
}

Result<void> Allocator::set_role_weight(const std::string& role, double weight) {
  if (!std::isfinite(weight) || weight <= 0) {
    return Error{"role " + quote(role) + ": weight " + std::to_string(weight) + " is not a positive number"};
  }
  role_sorter_.set_weight(role_index(role), weight);
  return {};
}

// ---- holdings ----

void Allocator::hold(Index framework, Index role, const ScalarQuantities& quantities) {
  roles_[role].frameworks.allocated(framework, quantities);
  role_sorter_.allocated(role, quantities);
}

void Allocator::unhold(Index framework, Index role, const ScalarQuantities& quantities) {
  roles_[role].frameworks.unallocated(framework, quantities);
  role_sorter_.unallocated(role, quantities);
}

Result<void> Allocator::move_held(const std::string& framework_id, const std::string& agent_id, const std::string& role,
                                  const Resources& resources, std::optional<Held> from, std::optional<Held> to) {
  auto portion = to_portion(resources, role);
  if (!portion) return portion.error();
  return move_held(framework_id, agent_id, role, std::move(*portion), from, to, nullptr);
}

// Moves `portion` between free (nullopt), offered and used, all or nothing.
Result<void> Allocator::move_held(const std::string& framework_id, const std::string& agent_id, const std::string& role,
                                  RolePortion portion, std::optional<Held> from, std::optional<Held> to,
                                  RolePortion* moved) {
  auto framework = framework_index(framework_id, framework_hint_);
  if (!framework) return framework.error();
  auto agent = agent_index(agent_id, agent_hint_);
  if (!agent) return agent.error();
  const FrameworkRole* in_role = nullptr;
  for (const FrameworkRole& entry : frameworks_[*framework].roles) {
    if (roles_[entry.role].name == role) in_role = &entry;
  }
  if (in_role == nullptr) return Error{"framework " + quote(framework_id) + " is not in role " + quote(role)};
  if (moved) *moved = portion;  // copied only for a filter
  const ScalarQuantities quantities = portion.scalars();

  AgentEntry& entry = agents_[*agent];
  const Index role_index = in_role->role;
  auto refused = [&](const char* where) -> Result<void> {
    const Resources resources = to_resources({{"*", portion.unreserved}, {role, portion.reserved}});
    return Error{"resources " + format_resources(resources) + " of framework " + quote(framework_id) + " are not " +
                 where + " on agent " + quote(agent_id)};
  };
  if (!from) {
    CompactResources* reserved = entry.reserved_for(role_index);
    const bool fits = entry.free.contains(portion.unreserved) &&
                      (reserved ? reserved->contains(portion.reserved) : portion.reserved.empty());
    if (!fits) return refused("free");
    const bool taken = entry.free.subtract(portion.unreserved) && (!reserved || reserved->subtract(portion.reserved));
    (void)taken;  // checked just above
    Allocation& allocation = allocation_on(*agent, *framework, role_index);
    (*to == Held::offered ? allocation.offered : allocation.used).absorb(portion);
    hold(*framework, role_index, quantities);
  } else {
    auto& allocations = entry.allocations;
    auto it = std::find_if(allocations.begin(), allocations.end(), [&](const Allocation& allocation) {
      return allocation.framework == *framework && allocation.role == role_index;
    });
    if (it == allocations.end()) return refused(*from == Held::offered ? "offered" : "in use");
    RolePortion& source = *from == Held::offered ? it->offered : it->used;
    if (!source.subtract(portion)) return refused(*from == Held::offered ? "offered" : "in use");
    if (to) {
      (*to == Held::offered ? it->offered : it->used).absorb(portion);
    } else {
      entry.free.absorb(portion.unreserved);
      if (!portion.reserved.empty()) entry.reserved_pool(role_index).absorb(portion.reserved);
      unhold(*framework, role_index, quantities);
    }
    erase_if_empty(*agent, static_cast<std::size_t>(it - allocations.begin()));
  }
  return {};
}

Result<void> Allocator::recover_resources(const std::string& framework_id, const std::string& agent_id,
                                          const std::string& role, const Resources& resources,
                                          std::optional<double> refuse_seconds, Clock::time_point now) {
  auto portion = to_portion(resources, role);
  if (!portion) return portion.error();
  return recover(framework_id, agent_id, role, std::move(*portion), refuse_seconds, now);
}

Result<void> Allocator::recover_offer(Offer offer, std::optional<double> refuse_seconds, Clock::time_point now) {
  agent_hint_ = offer.agent_slot;
  framework_hint_ = offer.framework_slot;
  struct ForgetHints {
    Allocator& allocator;
    ~ForgetHints() { allocator.agent_hint_ = allocator.framework_hint_ = UINT32_MAX; }
  } forget{*this};
  return recover(offer.framework_id, offer.agent_id, offer.role,
                 RolePortion{std::move(offer.unreserved), std::move(offer.reserved)}, refuse_seconds, now);
}

Result<void> Allocator::recover(const std::string& framework_id, const std::string& agent_id, const std::string& role,
                                RolePortion portion, std::optional<double> refuse_seconds, Clock::time_point now) {
  const bool filter = refuse_seconds && *refuse_seconds > 0;
  RolePortion recovered;
  if (auto moved = move_held(framework_id, agent_id, role, std::move(portion), Held::offered, std::nullopt,
                             filter ? &recovered : nullptr);
      !moved) {
    return moved;
  }
  // NaN, zero and negative durations set no filter.
  if (!filter) return {};
  const double seconds = std::min(*refuse_seconds, kMaxRefuseSeconds);
  const auto until = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  FrameworkEntry& framework = frameworks_[*framework_index(framework_id, framework_hint_)];
  const Index agent = *agent_index(agent_id, agent_hint_);
  framework.filters[agent].push_back({role_ids_.at(role), std::move(recovered), until});
  return {};
}

Result<void> Allocator::use_offered(const std::string& framework_id, const std::string& agent_id,
                                    const std::string& role, const Resources& resources) {
  return move_held(framework_id, agent_id, role, resources, Held::offered, Held::used);
}

Result<void> Allocator::release_used(const std::string& framework_id, const std::string& agent_id,
                                     const std::string& role, const Resources& resources) {
  return move_held(framework_id, agent_id, role, resources, Held::used, std::nullopt);
}

Result<void> Allocator::allocate_used(const std::string& framework_id, const std::string& agent_id,
                                      const std::string& role, const Resources& resources) {
  return move_held(framework_id, agent_id, role, resources, std::nullopt, Held::used);
}

}  // namespace dcos::master
