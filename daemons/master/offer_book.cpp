#include "daemons/master/offer_book.hpp"

namespace dcos::master {

const OfferEntry& OfferBook::add(Offer allocation, mesos::v1::Offer offer) {
  std::string id = prefix_ + "-O" + std::to_string(next_++);
  offer.mutable_id()->set_value(id);
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
  return entry;
}

std::vector<std::string> OfferBook::of_agent(const std::string& agent_id) const {
  std::vector<std::string> out;
  for (const auto& [id, entry] : offers_)
    if (entry.allocation.agent_id == agent_id) out.push_back(id);
  return out;
}

std::vector<std::string> OfferBook::of_framework(const std::string& framework_id) const {
  std::vector<std::string> out;
  for (const auto& [id, entry] : offers_)
    if (entry.allocation.framework_id == framework_id) out.push_back(id);
  return out;
}

}  // namespace dcos::master
