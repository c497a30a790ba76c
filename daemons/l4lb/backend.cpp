#include "daemons/l4lb/backend.hpp"

#include "netlb/ipvs/datapath.hpp"
#include "netlb/nftables/datapath.hpp"
#include "netlb/vip_addresses.hpp"

namespace dcos::l4lb {

namespace {

class MemoryDatapath : public netlb::Datapath {
 public:
  std::string_view name() const override { return "none"; }
  Result<netlb::VipTable> dump() override { return table_; }
  Result<void> apply(std::span<const netlb::Change> changes) override { return netlb::apply_changes(table_, changes); }
  Result<void> remove_all() override {
    table_.clear();
    return {};
  }

 private:
  netlb::VipTable table_;
};

}  // namespace

std::unique_ptr<netlb::Datapath> make_memory_datapath() { return std::make_unique<MemoryDatapath>(); }

namespace {

// IPVS balances connections to local addresses only: the VIPs go on the
// `minuteman` interface (netlb/vip_addresses.hpp).
Result<Backend> ipvs_backend() {
  auto datapath = netlb::make_ipvs_datapath();
  if (!datapath) return Error{"IPVS: " + datapath.error().message};
  auto opened = netlb::VipAddresses::open();
  if (!opened) return Error{"VIP addresses: " + opened.error().message};
  std::shared_ptr<netlb::VipAddresses> addresses = std::move(*opened);
  Backend backend;
  backend.datapath = std::move(*datapath);
  backend.hold_addresses = [addresses](const std::set<netlb::Address>& want) -> Result<void> {
    auto changed = addresses->reconcile({want.begin(), want.end()});
    if (!changed) return changed.error();
    return {};
  };
  backend.release_addresses = [addresses] { return addresses->remove_interface(); };
  return backend;
}

}  // namespace

Result<Backend> open_backend(BackendChoice choice) {
  if (choice == BackendChoice::automatic)
    choice = netlb::probe_ipvs(/*load_module=*/true) ? BackendChoice::ipvs : BackendChoice::nftables;
  Backend backend;
  switch (choice) {
    case BackendChoice::none:
      backend.datapath = make_memory_datapath();
      return backend;
    case BackendChoice::ipvs:
      return ipvs_backend();
    case BackendChoice::nftables:
    case BackendChoice::automatic:
      break;
  }
  // nftables rewrites the destination before routing: no local VIP addresses.
  auto datapath = netlb::make_nftables_datapath();
  if (!datapath) return Error{"nftables: " + datapath.error().message};
  backend.datapath = std::move(*datapath);
  return backend;
}

}  // namespace dcos::l4lb
