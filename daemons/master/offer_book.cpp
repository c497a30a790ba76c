#include "daemons/master/offer_book.hpp"

namespace dcos::master {

namespace {

void unindex(std::unordered_map<std::string, std::set<std::string>>& index, const std::string& key,
             const std::string& offer_id) {
  auto it = index.find(key);
  if (it == index.end()) return;
  it->second.erase(offer_id);
  if (it->second.empty()) index.erase(it);
}

std::vector<std::string> listed(const std::unordered_map<std::string, std::set<std::string>>& index,
                                const std::string& key) {
  auto it = index.find(key);
  if (it == index.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace

const OfferEntry& OfferBook::add(Offer allocation, mesos::v1::Offer offer) {
  std::string id = prefix_ + "-O" + std::to_string(next_++);
  offer.mutable_id()->set_value(id);
  by_agent_[allocation.agent_id].insert(id);
  by_framework_[allocation.framework_id].insert(id);
  auto [it, inserted] = offers_.emplace(std::move(id), OfferEntry{std::move(allocation), std::move(offer)});
  return it->second;
}

const OfferEntry* OfferBook::find(const std::string& offer_id) const {
  auto it = offers_.find(offer_id);
  return it == offers_.end() ? nullptr : &it->second;
}

std::optional<OfferEntry> OfferBook::take(const std::string& offer_id) {
  auto it = offers_.find(offer_id);
  if (it == offers_.end()) return std::nullopt;
  OfferEntry entry = std::move(it->second);
  offers_.erase(it);
  unindex(by_agent_, entry.allocation.agent_id, offer_id);
  unindex(by_framework_, entry.allocation.framework_id, offer_id);
  return entry;
}

std::vector<std::string> OfferBook::of_agent(const std::string& agent_id) const { return listed(by_agent_, agent_id); }

std::vector<std::string> OfferBook::of_framework(const std::string& framework_id) const {
  return listed(by_framework_, framework_id);
}

}  // namespace dcos::master
