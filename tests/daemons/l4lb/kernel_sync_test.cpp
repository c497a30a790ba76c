// KernelSync against a datapath played by the test (the kernel datapaths
// have their own tests in network namespaces): only what changed is
// applied, a reconcile puts back what someone changed, a failed apply is
// healed by the next sync, addresses are held around a change.
#include "daemons/l4lb/kernel_sync.hpp"

#include <gtest/gtest.h>

namespace dcos::l4lb {
namespace {

using netlb::Address;
using netlb::Change;
using netlb::Protocol;
using netlb::VipTable;

Address ip(const char* text) { return *Address::parse(text); }

VipTable table(std::initializer_list<std::pair<const char*, std::vector<uint16_t>>> services) {
  VipTable out;
  for (const auto& [vip, ports] : services) {
    netlb::Service service;
    service.key = {Protocol::tcp, ip(vip), 80};
    for (const uint16_t port : ports) service.destinations.push_back({ip("10.0.0.1"), port, 1});
    out[service.key] = service;
  }
  return out;
}

// A kernel in memory that counts what it is asked and fails when told to,
// after applying `fail_after` changes of the plan.
struct FakeKernel {
  VipTable table;
  int dumps = 0;
  std::vector<std::size_t> applies;  // the size of each plan
  int fail_after = -1;
};

class FakeDatapath : public netlb::Datapath {
 public:
  explicit FakeDatapath(FakeKernel& kernel) : kernel_(kernel) {}
  std::string_view name() const override { return "fake"; }
  Result<VipTable> dump() override {
    ++kernel_.dumps;
    return kernel_.table;
  }
  Result<void> apply(std::span<const Change> changes) override {
    kernel_.applies.push_back(changes.size());
    if (kernel_.fail_after >= 0) {
      const auto done = changes.first(std::min<std::size_t>(changes.size(), kernel_.fail_after));
      kernel_.fail_after = -1;
      (void)netlb::apply_changes(kernel_.table, done);
      return Error{"add service: Operation not permitted"};
    }
    return netlb::apply_changes(kernel_.table, changes);
  }
  Result<void> remove_all() override {
    kernel_.table.clear();
    return {};
  }

 private:
  FakeKernel& kernel_;
};

struct Addresses {
  std::vector<std::set<Address>> held;
  bool released = false;
};

Backend fake_backend(FakeKernel& kernel, Addresses* addresses = nullptr) {
  Backend backend;
  backend.datapath = std::make_unique<FakeDatapath>(kernel);
  if (addresses) {
    backend.hold_addresses = [addresses](const std::set<Address>& want) -> Result<void> {
      addresses->held.push_back(want);
      return {};
    };
    backend.release_addresses = [addresses]() -> Result<void> {
      addresses->released = true;
      return {};
    };
  }
  return backend;
}

TEST(KernelSyncTest, TheFirstSyncReconcilesWithWhatARestartLeftAndTheNextOnlyApplyWhatChanged) {
  FakeKernel kernel;
  kernel.table = table({{"11.0.0.1", {31001}}, {"11.0.0.9", {31009}}});  // from the previous run
  KernelSync sync(fake_backend(kernel));
  auto first = sync.sync(table({{"11.0.0.1", {31001, 31002}}}));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->reconciled);
  EXPECT_EQ(first->changes, 2u);  // add a destination, remove the other service (with its destination)
  EXPECT_EQ(first->repairs, 0u);
  EXPECT_EQ(kernel.dumps, 1);
  EXPECT_EQ(kernel.table, table({{"11.0.0.1", {31001, 31002}}}));
  EXPECT_TRUE(sync.in_sync());

  auto second = sync.sync(table({{"11.0.0.1", {31002}}}));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->reconciled);
  EXPECT_EQ(second->changes, 1u);
  EXPECT_EQ(kernel.dumps, 1);  // no dump for a change
  EXPECT_EQ(kernel.applies.back(), 1u);
  auto same = sync.sync(table({{"11.0.0.1", {31002}}}));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->changes, 0u);
  EXPECT_EQ(kernel.applies.size(), 2u);  // nothing to apply, no call
}

TEST(KernelSyncTest, AReconcilePutsBackWhatSomeoneElseChanged) {
  FakeKernel kernel;
  KernelSync sync(fake_backend(kernel));
  const VipTable want = table({{"11.0.0.1", {31001}}, {"11.0.0.2", {31002}}});
  ASSERT_TRUE(sync.sync(want));
  kernel.table.erase(kernel.table.begin());                      // someone deleted a service
  kernel.table.begin()->second.destinations.front().weight = 7;  // and changed a weight
  ASSERT_TRUE(sync.sync(want));  // a plain sync trusts what it applied
  EXPECT_NE(kernel.table, want);
  sync.reconcile_next();
  auto repaired = sync.sync(want);
  ASSERT_TRUE(repaired);
  EXPECT_TRUE(repaired->reconciled);
  EXPECT_EQ(repaired->repairs, 3u);  // the service, its destination, the weight
  EXPECT_EQ(kernel.table, want);
}

TEST(KernelSyncTest, AFailedApplyIsHealedByTheNextSyncFromTheKernelsDump) {
  FakeKernel kernel;
  KernelSync sync(fake_backend(kernel));
  ASSERT_TRUE(sync.sync({}));
  kernel.fail_after = 2;  // half of the plan goes in, then an error
  const VipTable want = table({{"11.0.0.1", {31001}}, {"11.0.0.2", {31002}}});
  auto failed = sync.sync(want);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "fake: add service: Operation not permitted");
  EXPECT_FALSE(sync.in_sync());
  const int dumps = kernel.dumps;
  auto healed = sync.sync(want);
  ASSERT_TRUE(healed) << healed.error().message;
  EXPECT_TRUE(healed->reconciled);
  EXPECT_EQ(kernel.dumps, dumps + 1);
  EXPECT_EQ(healed->changes, 2u);  // only what the failed apply had not done
  EXPECT_EQ(kernel.table, want);
  EXPECT_TRUE(sync.in_sync());
}

TEST(KernelSyncTest, AddressesCoverOldAndNewVipsDuringAChangeAndGoOnCleanup) {
  FakeKernel kernel;
  Addresses addresses;
  KernelSync sync(fake_backend(kernel, &addresses));
  ASSERT_TRUE(sync.sync(table({{"11.0.0.1", {31001}}})));
  addresses.held.clear();
  ASSERT_TRUE(sync.sync(table({{"11.0.0.2", {31001}}})));
  ASSERT_EQ(addresses.held.size(), 2u);
  EXPECT_EQ(addresses.held[0], (std::set<Address>{ip("11.0.0.1"), ip("11.0.0.2")}));
  EXPECT_EQ(addresses.held[1], (std::set<Address>{ip("11.0.0.2")}));
  ASSERT_TRUE(sync.remove_all());
  EXPECT_TRUE(kernel.table.empty());
  EXPECT_TRUE(addresses.released);
  EXPECT_FALSE(sync.in_sync());
}

}  // namespace
}  // namespace dcos::l4lb
