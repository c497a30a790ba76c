// The nftables datapath (issue 7): the load balancer in one nftables table
// of ours, for kernels without IPVS. See ruleset.hpp for the table's shape
// and README.md for why it is shaped so.
//
// Runs in the network namespace of the thread that makes it (libnftables
// opens its netlink socket there). Not thread-safe, like every Datapath.
#pragma once

#include <memory>
#include <string>

#include "netlb/datapath.hpp"

namespace dcos::netlb {

struct NftablesOptions {
  std::string table = "dcos-l4lb";  // table inet <table>: everything we own
};

// Fails when libnftables cannot be set up.
Result<std::unique_ptr<Datapath>> make_nftables_datapath(const NftablesOptions& options = {});

}  // namespace dcos::netlb
