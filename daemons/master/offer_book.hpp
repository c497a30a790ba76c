// Outstanding offers: each as the allocator made it (to give it back with
// recover_offer) and as the framework saw it (the OFFERS event's Offer).
// An offer leaves the book exactly once: accepted, declined, or rescinded
// (its agent lost or removed, its framework deactivated); take() is that
// exit, so a second accept of the same offer finds nothing.
//
// Offer ids are "<master id>-O<n>", unique for the master's lifetime.
// Plain data, no I/O; the master's io thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemons/master/allocator.hpp"
#include "mesos.pb.h"

namespace dcos::master {

struct OfferEntry {
  Offer allocation;
  mesos::v1::Offer offer;
};

class OfferBook {
 public:
  explicit OfferBook(std::string prefix) : prefix_(std::move(prefix)) {}

  // Files the offer under a fresh id, which is written into `offer.id`.
  const OfferEntry& add(Offer allocation, mesos::v1::Offer offer);
  const OfferEntry* find(const std::string& offer_id) const;
  std::optional<OfferEntry> take(const std::string& offer_id);

  std::vector<std::string> of_agent(const std::string& agent_id) const;
  std::vector<std::string> of_framework(const std::string& framework_id) const;
  std::size_t size() const { return offers_.size(); }
  uint64_t made() const { return next_; }

 private:
  std::string prefix_;
  uint64_t next_ = 0;
  std::unordered_map<std::string, OfferEntry> offers_;
  // So that losing an agent or a framework costs its offers, not all offers.
  std::unordered_map<std::string, std::set<std::string>> by_agent_;
  std::unordered_map<std::string, std::set<std::string>> by_framework_;
};

}  // namespace dcos::master
