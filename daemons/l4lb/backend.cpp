#include "daemons/l4lb/backend.hpp"

#include "netlb/ipvs/datapath.hpp"
#include "netlb/nftables/datapath.hpp"
#include "netlb/vip_addresses.hpp"
#include "runtime/log.hpp"

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

// --backend=ipvs on a kernel whose IPVS is missing (ip_vs not loaded, and
// modprobe failed, or no such module): every use tries again (modprobe,
// then the generic netlink family) and fails saying why until it works, so
// the daemon's retries with backoff, its log and /metrics cover a module
// that comes later.
class OpeningIpvsDatapath final : public netlb::Datapath {
 public:
  std::string_view name() const override { return "ipvs"; }
  Result<netlb::VipTable> dump() override {
    auto opened = open();
    if (!opened) return opened.error();
    return (*opened)->dump();
  }
  Result<void> apply(std::span<const netlb::Change> changes) override {
    auto opened = open();
    if (!opened) return opened.error();
    return (*opened)->apply(changes);
  }
  Result<void> remove_all() override {
    auto opened = open();
    if (!opened) return opened.error();
    return (*opened)->remove_all();
  }

 private:
  Result<netlb::Datapath*> open() {
    if (datapath_) return datapath_.get();
    if (auto probed = netlb::probe_ipvs(/*load_module=*/true); !probed) return Error{"IPVS: " + probed.error().message};
    auto made = netlb::make_ipvs_datapath();
    if (!made) return Error{"IPVS: " + made.error().message};
    datapath_ = std::move(*made);
    log::info("IPVS is there now; programming it");
    return datapath_.get();
  }

  std::unique_ptr<netlb::Datapath> datapath_;
};

// IPVS balances connections to local addresses only: the VIPs go on the
// `minuteman` interface (netlb/vip_addresses.hpp).
Result<Backend> ipvs_backend() {
  Result<std::unique_ptr<netlb::Datapath>> datapath = netlb::make_ipvs_datapath();
  if (!datapath) {
    log::error("--backend=ipvs: " + datapath.error().message + "; trying again (modprobe ip_vs) at each sync");
    datapath = std::unique_ptr<netlb::Datapath>(std::make_unique<OpeningIpvsDatapath>());
  }
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
  if (choice == BackendChoice::automatic) {
    auto probed = netlb::probe_ipvs(/*load_module=*/true);
    if (!probed) log::info("--backend=auto: IPVS unavailable (" + probed.error().message + "); using nftables");
    choice = probed ? BackendChoice::ipvs : BackendChoice::nftables;
  }
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
