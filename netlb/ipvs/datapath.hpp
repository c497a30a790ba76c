// The IPVS datapath: the VIP table as IPVS services with masquerading
// destinations, programmed over generic netlink (libnl) one change at a
// time, and read back by dump (GET_SERVICE, then GET_DEST per service).
//
// dump() returns every IPVS service a VipTable can say (TCP and UDP
// services by address; firewall-mark services and other protocols are left
// alone, neither dumped nor removed). IPVS state belongs to the network
// namespace of the calling thread when the datapath is made. Removing what
// is already gone (ESRCH, ENOENT) counts as done; every other kernel error
// stops apply() with the change and the kernel's errno:
//   "IPVS add destination 10.0.0.2:80 weight 1 to tcp 11.0.0.1:80: File exists (errno 17)".
// Not thread-safe: one socket, used from one thread.
#pragma once

#include <memory>

#include "netlb/datapath.hpp"

namespace dcos::netlb {

// Whether this kernel has IPVS: resolves the generic netlink family "IPVS".
// With load_module, a failed first look runs `modprobe ip_vs` once and looks
// again. The error says why ("the kernel has no IPVS (generic netlink family
// IPVS not found; modprobe ip_vs: exit 1)").
Result<void> probe_ipvs(bool load_module = false);

// A datapath on a new generic netlink socket; fails like probe_ipvs(false)
// when the family is missing.
Result<std::unique_ptr<Datapath>> make_ipvs_datapath();

}  // namespace dcos::netlb
