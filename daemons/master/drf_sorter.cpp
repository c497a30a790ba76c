#include "daemons/master/drf_sorter.hpp"

#include <algorithm>

namespace dcos::master {
namespace {

const ScalarQuantities kNothing{};

}  // namespace

void DrfSorter::add(Client client, double weight) {
  auto [it, added] = clients_.try_emplace(client);
  if (!added) return;
  it->second.weight = weight;
  it->second.share = compute_share(it->second, total_);
  order_.insert({it->second.share, client});
}

void DrfSorter::remove(Client client) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  if (it->second.active) order_.erase({it->second.share, client});
  clients_.erase(it);
}

void DrfSorter::set_weight(Client client, double weight) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second.weight = weight;
  reposition(client, it->second);
}

void DrfSorter::set_active(Client client, bool active) {
  auto it = clients_.find(client);
  if (it == clients_.end() || it->second.active == active) return;
  State& state = it->second;
  state.active = active;
  if (active) {
    state.share = compute_share(state, total_);
    order_.insert({state.share, client});
  } else {
    order_.erase({state.share, client});
  }
}

bool DrfSorter::active(Client client) const {
  auto it = clients_.find(client);
  return it != clients_.end() && it->second.active;
}

void DrfSorter::allocated(Client client, const ScalarQuantities& quantities) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second.allocation += quantities;
  reposition(client, it->second);
}

void DrfSorter::unallocated(Client client, const ScalarQuantities& quantities) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second.allocation -= quantities;
  reposition(client, it->second);
}

const ScalarQuantities& DrfSorter::allocation(Client client) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? kNothing : it->second.allocation;
}

void DrfSorter::set_total(const ScalarQuantities& total) {
  if (total == total_) return;
  total_ = total;
  // Every share moves at once: rebuilding is cheaper than n repositions.
  order_.clear();
  for (auto& [client, state] : clients_) {
    state.share = compute_share(state, total_);
    if (state.active) order_.insert({state.share, client});
  }
}

double DrfSorter::share(Client client, const ScalarQuantities& total) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? 0.0 : compute_share(it->second, total);
}

double DrfSorter::compute_share(const State& state, const ScalarQuantities& total) {
  double dominant = 0.0;
  for (std::size_t kind = 0; kind < kScalarKinds; ++kind) {
    if (total.value[kind] <= 0) continue;
    dominant =
        std::max(dominant, static_cast<double>(state.allocation.value[kind]) / static_cast<double>(total.value[kind]));
  }
  return dominant / state.weight;
}

void DrfSorter::reposition(Client client, State& state) {
  const double share = compute_share(state, total_);
  if (state.active && share != state.share) {
    auto node = order_.extract({state.share, client});
    node.value().share = share;
    order_.insert(std::move(node));
  }
  state.share = share;
}

}  // namespace dcos::master
