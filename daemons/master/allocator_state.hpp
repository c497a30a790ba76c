// The Allocator's bookkeeping types, shared by its two source files
// (allocator.cpp: agents, frameworks, holdings; allocation_cycle.cpp: the DRF
// walk). Not part of the interface.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemons/master/allocator.hpp"

namespace dcos::master {

// What one role may use, or holds, on one agent.
struct Allocator::RolePortion {
  CompactResources unreserved;
  CompactResources reserved;  // reserved for that role

  bool empty() const { return unreserved.empty() && reserved.empty(); }
  ScalarQuantities scalars() const {
    ScalarQuantities sum = unreserved.scalars;
    sum += reserved.scalars;
    return sum;
  }
  bool contains(const RolePortion& other) const {
    return unreserved.contains(other.unreserved) && reserved.contains(other.reserved);
  }
  // All or nothing.
  [[nodiscard]] bool subtract(const RolePortion& other) {
    if (!contains(other)) return false;
    return unreserved.subtract(other.unreserved) && reserved.subtract(other.reserved);
  }
  void absorb(RolePortion& other) {
    unreserved.absorb(other.unreserved);
    reserved.absorb(other.reserved);
  }
};

// What one framework holds in one role on one agent.
struct Allocator::Allocation {
  Index framework;
  Index role;
  RolePortion offered;
  RolePortion used;
};

struct Allocator::AgentEntry {
  std::string id;
  std::string hostname;
  bool live = false;  // false: a free slot
  bool active = true;
  Resources total;
  ScalarQuantities total_scalars;
  CompactResources free;                                          // unreserved, held by nobody
  std::vector<std::pair<Index, CompactResources>> free_reserved;  // by role, held by nobody
  std::vector<Allocation> allocations;

  CompactResources* reserved_for(Index role) {
    for (auto& [reserved_role, resources] : free_reserved) {
      if (reserved_role == role) return &resources;
    }
    return nullptr;
  }
  CompactResources& reserved_pool(Index role) {
    if (CompactResources* pool = reserved_for(role)) return *pool;
    return free_reserved.emplace_back(role, CompactResources{}).second;
  }
};

struct Allocator::FrameworkRole {
  Index role;
  bool suppressed = false;
};

// Mesos' RefusedOfferFilter: until `until`, no offer on that agent in that
// role of resources that `refused` contains.
struct Allocator::OfferFilter {
  Index role;
  RolePortion refused;
  Clock::time_point until;
};

struct Allocator::FrameworkEntry {
  std::string id;
  bool live = false;  // false: a free slot
  bool active = true;
  std::vector<FrameworkRole> roles;
  std::unordered_map<Index, std::vector<OfferFilter>> filters;  // by agent
  // No index of the agents it holds resources on: keeping one costs every
  // offer and recovery a hash update; the rare walks (removal, /state) go
  // over all agents instead.
};

struct Allocator::RoleEntry {
  std::string name;
  DrfSorter frameworks;  // the role's frameworks, by their share in it
};

}  // namespace dcos::master
