// From the table the kernel holds to the one we want: the changes, in a
// safe order.
//
// The order keeps traffic flowing while the kernel moves from one table to
// the other: new services and destinations go in before old ones go out,
// weights change in place (a connection to a destination survives its
// weight going to 0), and a service is removed only with its last
// destination. A plan applied to `have` yields `want` exactly (tested), so
// a datapath needs nothing but apply() and dump() to reconcile.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "netlb/vip.hpp"

namespace dcos::netlb {

struct Change {
  enum class Kind {
    add_service,         // `service` with its scheduler, no destinations yet
    edit_service,        // the scheduler changed
    add_destination,
    edit_destination,    // the weight changed
    remove_destination,
    remove_service,      // and whatever destinations it still has
  };
  Kind kind;
  ServiceKey service;
  std::string scheduler;    // add_service, edit_service
  Destination destination;  // *_destination

  std::string text() const;  // for logs: "add destination 10.0.0.2:8080 weight 1 to tcp 11.0.0.1:80"
  bool operator==(const Change&) const = default;
};

// Order: add_service, edit_service, add_destination, edit_destination,
// remove_destination, remove_service; services in key order within each.
std::vector<Change> plan(const VipTable& have, const VipTable& want);

// Applies changes to a table the way a kernel would: for tests, and for a
// datapath that keeps a copy of what it programmed.
Result<void> apply_changes(VipTable& table, std::span<const Change> changes);

}  // namespace dcos::netlb
