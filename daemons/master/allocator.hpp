// Allocator: decides which framework is offered which agent's resources, by
// Dominant Resource Fairness (DRF) over roles, as Mesos' hierarchical
// allocator does.
//
// What DRF means here. A client's dominant share is the largest, over cpus,
// mem, disk and gpus, of what it holds divided by the cluster's total (every
// registered agent, active or not). "Holds" is offered plus in use. A role's
// share is the sum over its frameworks divided by the role's weight (default
// 1); a framework's share within a role counts what it holds in that role.
// Each allocate() visits the active agents in a random order (seeded, so runs
// are reproducible) and, for each agent, walks the roles lowest share first
// and their frameworks lowest share first; the first framework that can take
// the agent gets ALL of it that its role may use: the unreserved resources
// plus those reserved for its role (resources reserved for a role go to that
// role's frameworks only). Then the shares are updated and the walk goes on
// for what remains on the agent (other roles' reservations). Flat roles: "a/b"
// is a role of its own, not a child of "a".
//
// A framework cannot take an agent when it is inactive (disconnected), is
// suppressed for that role, or holds an unexpired filter for that agent and
// role whose refused resources contain what would be offered (Mesos'
// RefusedOfferFilter). Nothing is offered below Mesos' minimum (0.01 cpus or
// 32 MB of mem), nor from an inactive (unreachable, draining) agent.
//
// The master reports every change in what frameworks hold:
//   allocate()           -> offered
//   use_offered()        offered -> in use (the accepted part of an offer)
//   recover_resources()  offered -> free (declined, unused part of an accept,
//                        rescinded), optionally with a filter: Mesos' default
//                        refuse_seconds for a DECLINE without filters is 5 s,
//                        which is the caller's to pass
//   recover_offer()      the same for a whole Offer, as allocate() made it
//   release_used()       in use -> free (a task ended)
//   allocate_used()      free -> in use (tasks found at agent re-registration
//                        or master recovery; add the framework first, inactive
//                        if it has not re-subscribed)
// Errors (an unknown id, resources not held) change nothing.
//
// Resources are mesos::v1::Resource lists at the edges, converted once to a
// compact form (resource_math.hpp). Scalars other than cpus, mem, disk and
// gpus, and ranges and sets, are offered and accounted but do not count in
// shares. Reservation labels, principals and dynamic reservations are not
// kept apart from static ones: offers carry static reservations.
//
// Thread safety: none. The master calls it from its io thread. No I/O, no
// clock: time is passed in (`now`), so tests are deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemons/master/drf_sorter.hpp"
#include "daemons/master/resource_math.hpp"
#include "runtime/resources.hpp"
#include "runtime/result.hpp"

namespace dcos::master {

using Clock = std::chrono::steady_clock;

struct Offer {
  std::string framework_id;
  std::string agent_id;
  std::string role;
  // Kept compact so that a cycle builds no protobuf: the master converts
  // once, into its OFFERS event, with resources().
  CompactResources unreserved;
  CompactResources reserved;  // reserved for `role`
  // Where the allocator keeps agent and framework: recover_offer() checks
  // them against the ids and skips two hash lookups when they match.
  std::uint32_t agent_slot = UINT32_MAX;
  std::uint32_t framework_slot = UINT32_MAX;

  Resources resources() const;
};

class Allocator {
 public:
  // `seed` drives the per-cycle order of agents.
  explicit Allocator(std::uint64_t seed = 0x5eed);
  ~Allocator();
  Allocator(Allocator&&) noexcept;
  Allocator& operator=(Allocator&&) noexcept;

  Result<void> add_agent(const std::string& agent_id, const Resources& total, const std::string& hostname);
  // Drops the agent and everything frameworks held on it (their offers there
  // are gone; the master rescinds them) and filters naming it.
  Result<void> remove_agent(const std::string& agent_id);
  // A new total; refused if what frameworks hold there no longer fits.
  Result<void> update_agent(const std::string& agent_id, const Resources& total);
  Result<void> activate_agent(const std::string& agent_id);
  Result<void> deactivate_agent(const std::string& agent_id);

  Result<void> add_framework(const std::string& framework_id, const std::vector<std::string>& roles,
                             const std::vector<std::string>& suppressed_roles = {});
  // Everything the framework held becomes free again.
  Result<void> remove_framework(const std::string& framework_id);
  Result<void> activate_framework(const std::string& framework_id);
  Result<void> deactivate_framework(const std::string& framework_id);
  // No role: all of the framework's roles.
  Result<void> suppress(const std::string& framework_id, const std::optional<std::string>& role = {});
  // Unsuppresses and drops the framework's filters (for that role, or all).
  Result<void> revive(const std::string& framework_id, const std::optional<std::string>& role = {});

  // Refused unless weight > 0 and finite.
  Result<void> set_role_weight(const std::string& role, double weight);

  Result<void> recover_resources(const std::string& framework_id, const std::string& agent_id, const std::string& role,
                                 const Resources& resources, std::optional<double> refuse_seconds,
                                 Clock::time_point now);
  // recover_resources() of a whole offer, without a round trip through protobuf.
  Result<void> recover_offer(Offer offer, std::optional<double> refuse_seconds, Clock::time_point now);
  Result<void> use_offered(const std::string& framework_id, const std::string& agent_id, const std::string& role,
                           const Resources& resources);
  Result<void> release_used(const std::string& framework_id, const std::string& agent_id, const std::string& role,
                            const Resources& resources);
  Result<void> allocate_used(const std::string& framework_id, const std::string& agent_id, const std::string& role,
                             const Resources& resources);

  // One DRF cycle over every active agent. What is offered counts as held.
  std::vector<Offer> allocate(Clock::time_point now);

  // ---- Queries (for /master/state, /metrics and tests) ----
  struct Holdings {
    Resources offered;
    Resources used;
  };
  // Summed over agents and roles (ranges of different agents merge).
  Result<Holdings> holdings_of(const std::string& framework_id) const;
  // Weighted dominant share of a role (0 for an unknown role).
  double role_share(const std::string& role) const;
  // Dominant share of a framework within one of its roles.
  double framework_share(const std::string& framework_id, const std::string& role) const;
  // What is free on an agent (offered or in-use resources excluded).
  Result<Resources> available_on(const std::string& agent_id) const;
  // What the agent was registered with.
  Result<Resources> total_of(const std::string& agent_id) const;

 private:
  using Index = std::uint32_t;
  struct RolePortion;
  struct Allocation;
  struct AgentEntry;
  struct FrameworkRole;
  struct OfferFilter;
  struct FrameworkEntry;
  struct RoleEntry;
  enum class Held { offered, used };

  Index role_index(const std::string& role);
  Result<Index> agent_index(const std::string& agent_id) const;
  Result<Index> framework_index(const std::string& framework_id) const;
  static FrameworkRole* framework_role(FrameworkEntry& framework, Index role);
  Allocation& allocation_on(Index agent, Index framework, Index role);
  void erase_if_empty(Index agent, std::size_t position);
  static Result<RolePortion> to_portion(const Resources& resources, const std::string& role);

  void hold(Index framework, Index role, const ScalarQuantities& quantities);
  void unhold(Index framework, Index role, const ScalarQuantities& quantities);
  Result<void> move_held(const std::string& framework_id, const std::string& agent_id, const std::string& role,
                         RolePortion portion, std::optional<Held> from, std::optional<Held> to, RolePortion* moved);
  Result<void> move_held(const std::string& framework_id, const std::string& agent_id, const std::string& role,
                         const Resources& resources, std::optional<Held> from, std::optional<Held> to);
  Result<void> recover(const std::string& framework_id, const std::string& agent_id, const std::string& role,
                       RolePortion portion, std::optional<double> refuse_seconds, Clock::time_point now);
  Result<Index> agent_index(const std::string& agent_id, Index slot) const;
  Result<Index> framework_index(const std::string& framework_id, Index slot) const;
  void update_sorter_membership(Index framework);
  void drop_filters_for_agent(Index agent);
  void free_all_held_on(Index agent, Index framework);

  // allocation_cycle.cpp
  void refresh_totals();
  bool offer_agent(Index agent, Clock::time_point now, std::vector<Offer>& offers);
  static bool filtered(FrameworkEntry& framework, Index agent, Index role, const CompactResources& unreserved,
                       const CompactResources* reserved, Clock::time_point now);
  void offer(Index agent, Index framework, Index role, std::vector<Offer>& offers);

  std::vector<AgentEntry> agents_;  // by index; free slots are reused
  std::vector<Index> free_agent_slots_;
  std::unordered_map<std::string, Index> agent_ids_;
  std::vector<FrameworkEntry> frameworks_;
  std::vector<Index> free_framework_slots_;
  std::unordered_map<std::string, Index> framework_ids_;
  std::vector<RoleEntry> roles_;  // roles are never forgotten: weights outlive frameworks
  std::unordered_map<std::string, Index> role_ids_;

  DrfSorter role_sorter_;
  ScalarQuantities cluster_total_;
  bool totals_changed_ = false;
  std::mt19937_64 random_;
  std::vector<Index> agent_order_;  // reused by every cycle
  // Slots named by the Offer being recovered (recover_offer), else UINT32_MAX.
  Index agent_hint_ = UINT32_MAX;
  Index framework_hint_ = UINT32_MAX;
};

}  // namespace dcos::master
