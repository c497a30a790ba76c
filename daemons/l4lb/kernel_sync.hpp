// Brings the kernel to the wanted VIP table through a Backend, doing as
// little as it can: normally the plan from the table last applied to the
// wanted one (only what changed); a reconcile instead (dump what the
// kernel holds, plan from that) the first time, when asked (the periodic
// reconcile), and after any failure, since a failed apply may have left
// part of its plan done. The kernel is the truth: a reconcile puts back
// what someone removed and removes what we no longer want.
//
// VIP addresses, for a backend that needs them, are held for the old and
// new tables together while the rules change, then for the new one only.
// Not thread-safe; the daemon calls it from its io thread.
#pragma once

#include <cstdint>
#include <string>

#include "daemons/l4lb/backend.hpp"

namespace dcos::l4lb {

class KernelSync {
 public:
  explicit KernelSync(Backend backend) : backend_(std::move(backend)) {}

  struct Outcome {
    std::size_t changes = 0;  // applied to the kernel
    bool reconciled = false;  // from a dump
    // Changes a reconcile made although the kernel should already have
    // held the table: someone else changed it.
    std::size_t repairs = 0;
  };
  // An Error names the datapath and the failed step; the next sync reconciles.
  Result<Outcome> sync(const netlb::VipTable& want);
  void reconcile_next() { reconcile_due_ = true; }
  // --cleanup: every rule and address we own.
  Result<void> remove_all();

  std::string_view datapath() const { return backend_.datapath->name(); }
  bool in_sync() const { return in_sync_; }
  uint64_t unchanged_dumps() const { return backend_.datapath->unchanged_dumps(); }

 private:
  Result<Outcome> apply(const netlb::VipTable& want);

  Backend backend_;
  netlb::VipTable applied_;  // what the kernel holds, as of the last sync that succeeded
  bool reconcile_due_ = true;
  bool in_sync_ = false;
};

}  // namespace dcos::l4lb
