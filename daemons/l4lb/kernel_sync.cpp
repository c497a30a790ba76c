#include "daemons/l4lb/kernel_sync.hpp"

namespace dcos::l4lb {

namespace {

std::set<netlb::Address> vip_addresses(const netlb::VipTable& table) {
  std::set<netlb::Address> out;
  for (const auto& [key, service] : table) out.insert(key.vip);
  return out;
}

}  // namespace

Result<KernelSync::Outcome> KernelSync::sync(const netlb::VipTable& want) {
  auto outcome = apply(want);
  if (!outcome) {
    in_sync_ = false;
    reconcile_due_ = true;
    return outcome.error();
  }
  in_sync_ = true;
  reconcile_due_ = false;
  applied_ = want;
  return outcome;
}

Result<KernelSync::Outcome> KernelSync::apply(const netlb::VipTable& want) {
  if (backend_.hold_addresses) {
    std::set<netlb::Address> both = vip_addresses(applied_);
    both.merge(vip_addresses(want));
    if (auto held = backend_.hold_addresses(both); !held) return Error{"VIP addresses: " + held.error().message};
  }
  Outcome outcome;
  if (reconcile_due_) {
    const bool should_hold = in_sync_ && applied_ == want;
    auto changes = netlb::reconcile(*backend_.datapath, want);
    if (!changes) return changes.error();
    outcome.changes = changes->size();
    outcome.reconciled = true;
    if (should_hold) outcome.repairs = changes->size();
  } else {
    const auto changes = netlb::plan(applied_, want);
    if (!changes.empty())
      if (auto done = backend_.datapath->apply(changes); !done)
        return Error{std::string(datapath()) + ": " + done.error().message};
    outcome.changes = changes.size();
  }
  if (backend_.hold_addresses)
    if (auto held = backend_.hold_addresses(vip_addresses(want)); !held)
      return Error{"VIP addresses: " + held.error().message};
  return outcome;
}

Result<void> KernelSync::remove_all() {
  in_sync_ = false;
  reconcile_due_ = true;
  applied_.clear();
  if (auto removed = backend_.datapath->remove_all(); !removed)
    return Error{std::string(datapath()) + ": " + removed.error().message};
  if (backend_.release_addresses)
    if (auto released = backend_.release_addresses(); !released)
      return Error{"VIP addresses: " + released.error().message};
  return {};
}

}  // namespace dcos::l4lb
