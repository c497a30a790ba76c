#include "netlb/plan.hpp"

#include <algorithm>

namespace dcos::netlb {

namespace {

std::string endpoint_text(const Destination& destination) {
  const std::string address =
      destination.address.is_v4() ? destination.address.text() : "[" + destination.address.text() + "]";
  return address + ":" + std::to_string(destination.port);
}

const Destination* find_endpoint(const std::vector<Destination>& list, const Destination& wanted) {
  auto it = std::find_if(list.begin(), list.end(), [&](const Destination& d) { return d.same_endpoint(wanted); });
  return it == list.end() ? nullptr : &*it;
}

}  // namespace

std::string Change::text() const {
  const std::string where = service.text();
  const std::string weight = " weight " + std::to_string(destination.weight);
  switch (kind) {
    case Kind::add_service: return "add service " + where + " (" + scheduler + ")";
    case Kind::edit_service: return "set scheduler of " + where + " to " + scheduler;
    case Kind::add_destination: return "add destination " + endpoint_text(destination) + weight + " to " + where;
    case Kind::edit_destination: return "set destination " + endpoint_text(destination) + " of " + where + " to" + weight;
    case Kind::remove_destination: return "remove destination " + endpoint_text(destination) + " from " + where;
    case Kind::remove_service: return "remove service " + where;
  }
  return "?";
}

std::vector<Change> plan(const VipTable& have, const VipTable& want) {
  std::vector<Change> adds, edits, dest_adds, dest_edits, dest_removes, removes;
  for (const auto& [key, wanted] : want) {
    auto held = have.find(key);
    if (held == have.end()) {
      adds.push_back({Change::Kind::add_service, key, wanted.scheduler, {}});
      for (const auto& d : wanted.destinations) dest_adds.push_back({Change::Kind::add_destination, key, {}, d});
      continue;
    }
    if (held->second.scheduler != wanted.scheduler)
      edits.push_back({Change::Kind::edit_service, key, wanted.scheduler, {}});
    for (const auto& d : wanted.destinations) {
      const Destination* old = find_endpoint(held->second.destinations, d);
      if (!old)
        dest_adds.push_back({Change::Kind::add_destination, key, {}, d});
      else if (old->weight != d.weight)
        dest_edits.push_back({Change::Kind::edit_destination, key, {}, d});
    }
    for (const auto& d : held->second.destinations)
      if (!find_endpoint(wanted.destinations, d))
        dest_removes.push_back({Change::Kind::remove_destination, key, {}, d});
  }
  for (const auto& [key, held] : have)
    if (!want.contains(key)) removes.push_back({Change::Kind::remove_service, key, held.scheduler, {}});

  std::vector<Change> changes;
  changes.reserve(adds.size() + edits.size() + dest_adds.size() + dest_edits.size() + dest_removes.size() +
                  removes.size());
  for (auto* part : {&adds, &edits, &dest_adds, &dest_edits, &dest_removes, &removes})
    changes.insert(changes.end(), part->begin(), part->end());
  return changes;
}

Result<void> apply_changes(VipTable& table, std::span<const Change> changes) {
  for (const Change& change : changes) {
    auto it = table.find(change.service);
    if (change.kind == Change::Kind::add_service) {
      if (it != table.end()) return Error{change.text() + ": the service exists"};
      table[change.service] = Service{change.service, change.scheduler, {}};
      continue;
    }
    if (it == table.end()) return Error{change.text() + ": no such service"};
    auto& list = it->second.destinations;
    auto at = std::find_if(list.begin(), list.end(),
                           [&](const Destination& d) { return d.same_endpoint(change.destination); });
    switch (change.kind) {
      case Change::Kind::add_service: break;
      case Change::Kind::edit_service: it->second.scheduler = change.scheduler; break;
      case Change::Kind::add_destination:
        if (at != list.end()) return Error{change.text() + ": the destination exists"};
        list.push_back(change.destination);
        normalize(it->second);
        break;
      case Change::Kind::edit_destination:
        if (at == list.end()) return Error{change.text() + ": no such destination"};
        at->weight = change.destination.weight;
        break;
      case Change::Kind::remove_destination:
        if (at == list.end()) return Error{change.text() + ": no such destination"};
        list.erase(at);
        break;
      case Change::Kind::remove_service: table.erase(it); break;
    }
  }
  return {};
}

}  // namespace dcos::netlb
