// Offers: DRF allocation cycles (every --allocation_interval, and soon after
// anything frees resources, coalesced into one cycle), OFFERS events, and
// rescinding offers whose agent or framework went away.
#include <algorithm>
#include <cmath>
#include <map>

#include "daemons/master/master.hpp"
#include "runtime/log.hpp"

namespace dcos::master {

namespace asio = boost::asio;

double Master::refuse_seconds(const mesos::v1::Filters& filters) {
  constexpr double kYear = 365.0 * 24 * 3600;
  const double seconds = filters.refuse_seconds();
  // As Mesos: negative means the default; NaN is no duration at all.
  if (std::isnan(seconds) || seconds < 0) return mesos::v1::Filters().refuse_seconds();
  return std::min(seconds, kYear);
}

void Master::request_allocation() {
  if (allocation_requested_) return;
  allocation_requested_ = true;
  // After the current handler: the events of one call make one cycle.
  asio::post(io_, [this] {
    allocation_requested_ = false;
    allocate();
  });
}

asio::awaitable<void> Master::allocation_loop() {
  for (;;) {
    allocation_timer_.expires_after(options_.allocation_interval);
    boost::system::error_code ec;
    co_await allocation_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    allocate();
  }
}

void Master::allocate() {
  const auto now = Clock::now();
  std::map<std::string, Event> events;
  for (auto& allocation : allocator_.allocate(now)) {
    FrameworkRecord* framework = frameworks_.find(allocation.framework_id);
    if (!framework || !framework->connected()) {
      (void)allocator_.recover_offer(std::move(allocation), std::nullopt, now);
      continue;
    }
    mesos::v1::Offer offer = to_offer(allocation);
    const OfferEntry& entry = offers_.add(std::move(allocation), std::move(offer));
    Event& event = events[entry.allocation.framework_id];
    event.set_type(Event::OFFERS);
    *event.mutable_offers()->add_offers() = entry.offer;
  }
  for (auto& [framework_id, event] : events) send_event(*frameworks_.find(framework_id), event);
}

mesos::v1::Offer Master::to_offer(const Offer& allocation) const {
  mesos::v1::Offer offer;
  offer.mutable_framework_id()->set_value(allocation.framework_id);
  offer.mutable_agent_id()->set_value(allocation.agent_id);
  offer.mutable_allocation_info()->set_role(allocation.role);
  for (auto& resource : allocation.resources()) {
    resource.mutable_allocation_info()->set_role(allocation.role);
    *offer.add_resources() = std::move(resource);
  }
  auto agent = agents_.find(allocation.agent_id);
  if (agent != agents_.end()) {
    offer.set_hostname(agent->second.info.hostname());
    *offer.mutable_attributes() = agent->second.info.attributes();
  }
  return offer;
}

void Master::rescind(const std::string& offer_id, bool tell_framework) {
  auto entry = offers_.take(offer_id);
  if (!entry) return;
  const std::string framework_id = entry->allocation.framework_id;
  // Fails only when the agent left the allocator, which dropped its offers.
  (void)allocator_.recover_offer(std::move(entry->allocation), std::nullopt, Clock::now());
  ++scheduler_counters_.offers_rescinded;
  FrameworkRecord* framework = frameworks_.find(framework_id);
  if (!tell_framework || !framework) return;
  Event event;
  event.set_type(Event::RESCIND);
  event.mutable_rescind()->mutable_offer_id()->set_value(offer_id);
  send_event(*framework, event);
}

void Master::rescind_offers_of_agent(const std::string& agent_id) {
  for (const auto& offer_id : offers_.of_agent(agent_id)) rescind(offer_id, true);
}

void Master::rescind_offers_of_framework(const std::string& framework_id) {
  for (const auto& offer_id : offers_.of_framework(framework_id)) rescind(offer_id, false);
}

void Master::add_agent_to_allocator(const AgentRecord& agent, bool active) {
  const std::string& id = agent.info.id().value();
  const Resources total(agent.info.resources().begin(), agent.info.resources().end());
  if (!allocator_.add_agent(id, total, agent.info.hostname())) {
    // Known already (it re-registered): its total may have changed.
    if (auto updated = allocator_.update_agent(id, total); !updated)
      log::warning("keeping agent " + id + "'s previous resources in the allocator: " + updated.error().message,
                   {{"AGENT_ID", id}});
  }
  (void)(active ? allocator_.activate_agent(id) : allocator_.deactivate_agent(id));
}

}  // namespace dcos::master
