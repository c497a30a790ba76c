// DrfSorter: orders clients (roles, or the frameworks of one role) by
// weighted dominant share, lowest first.
//
// A client's dominant share is the largest, over cpus, mem, disk and gpus, of
// its allocation divided by the cluster's total of that kind; the weighted
// share divides it by the client's weight. Ties go to the lower client
// number, so runs are deterministic. Only active clients are in the order;
// inactive ones keep their allocation (a suppressed framework still holds its
// tasks' resources).
//
// Updates are incremental: allocating to one client moves that one client in
// the order (a node handle is reused, so no memory is allocated). Changing the
// totals re-sorts everything. Not thread-safe.
#pragma once

#include <cstdint>
#include <set>
#include <unordered_map>

#include "daemons/master/resource_math.hpp"

namespace dcos::master {

class DrfSorter {
 public:
  using Client = std::uint32_t;

  struct Position {
    double share;
    Client client;
    auto operator<=>(const Position&) const = default;
  };
  using Order = std::set<Position>;

  // Adds an active client with nothing allocated; no-op if present.
  void add(Client client, double weight = 1.0);
  // Forgets the client, allocation included.
  void remove(Client client);
  bool contains(Client client) const { return clients_.contains(client); }

  void set_weight(Client client, double weight);
  void set_active(Client client, bool active);
  bool active(Client client) const;

  void allocated(Client client, const ScalarQuantities& quantities);
  void unallocated(Client client, const ScalarQuantities& quantities);
  // What `client` holds now (zeros for an unknown client).
  const ScalarQuantities& allocation(Client client) const;

  // The total the order is kept against.
  void set_total(const ScalarQuantities& total);
  // The weighted dominant share against `total` (0 for an unknown client).
  double share(Client client, const ScalarQuantities& total) const;

  // Active clients, lowest share first.
  const Order& order() const { return order_; }

 private:
  struct State {
    ScalarQuantities allocation;
    double weight = 1.0;
    double share = 0.0;  // as placed in order_
    bool active = true;
  };

  static double compute_share(const State& state, const ScalarQuantities& total);
  void reposition(Client client, State& state);

  std::unordered_map<Client, State> clients_;
  Order order_;
  ScalarQuantities total_;
};

}  // namespace dcos::master
