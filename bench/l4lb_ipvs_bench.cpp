// l4lb-ipvs-bench: how long the IPVS datapath (generic netlink, libnl)
// takes to program --vips x --backends from empty and one backend change,
// against `ipvsadm-restore` of the same services and `ipvsadm -e` of the
// same change, in the same run (bench/README.md). For a kernel with IPVS:
// the VM (scripts/test-vm.sh; the host has none).
//
// Root only. Runs in a network namespace of its own (unshare; IPVS state
// is per namespace), which the kernel removes with everything in it when
// the benchmark exits. The VIPs need no local address for programming.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench/l4lb_bench_common.hpp"
#include "netlb/ipvs/datapath.hpp"

namespace {

using namespace dcos::netlb;
using namespace dcos::netlb::bench;

// ipvsadm -S -n's format: one -A per service, one -a per masquerading destination.
std::string restore_rules(const VipTable& table) {
  std::string out;
  for (const auto& [key, service] : table) {
    const std::string vip = "-t " + key.vip.text() + ":" + std::to_string(key.port);
    out += "-A " + vip + " -s " + service.scheduler + "\n";
    for (const Destination& d : service.destinations)
      out += "-a " + vip + " -r " + d.address.text() + ":" + std::to_string(d.port) + " -m -w " +
             std::to_string(d.weight) + "\n";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int vips = flag(argc, argv, "vips", 10000), backends = flag(argc, argv, "backends", 10);
  if (vips < 1 || vips > 100000 || backends < 1 || backends > 100) {
    std::fprintf(stderr, "usage: l4lb-ipvs-bench [--vips=10000] [--backends=10]\n");
    return 2;
  }
  if (!own_network_namespace("l4lb-ipvs-bench")) return 1;
  // A namespace with no address has no local routing table, and IPVS then
  // takes every destination for a broadcast address (EINVAL): lo up makes it.
  if (!run_program({"ip", "link", "set", "lo", "up"}))
    return std::fprintf(stderr, "l4lb-ipvs-bench: ip link set lo up failed\n"), 1;
  if (auto probed = probe_ipvs(/*load_module=*/true); !probed)
    return std::fprintf(stderr, "l4lb-ipvs-bench: %s\n", probed.error().message.c_str()), 1;
  const VipTable table = make_table(vips, backends);
  auto ours = measure_datapath([] { return make_ipvs_datapath(); }, table);
  if (!ours) return std::fprintf(stderr, "l4lb-ipvs-bench: ours, %s\n", ours.error().message.c_str()), 1;

  char dir[] = "/tmp/l4lb-ipvs-bench-XXXXXX";
  if (!mkdtemp(dir)) return std::perror("mkdtemp"), 1;
  const std::string rules = std::string(dir) + "/rules";
  std::ofstream(rules) << restore_rules(table);
  bool peer_ok = true;
  const Cost peer_full = measure([&] { peer_ok = run_program({"ipvsadm-restore"}, rules); });
  const std::string service = table.begin()->first.vip.text() + ":80";
  const std::string real = ours->changed->address.text() + ":" + std::to_string(ours->changed->port);
  const Cost peer_one =
      peer_ok ? measure([&] { peer_ok = run_program({"ipvsadm", "-e", "-t", service, "-r", real, "-m", "-w", "0"}); }) : Cost{};
  const Cost peer_clear = peer_ok ? measure([&] { peer_ok = run_program({"ipvsadm", "-C"}); }) : Cost{};
  std::remove(rules.c_str());
  rmdir(dir);

  std::printf("%d VIPs x %d backends, IPVS over generic netlink (libnl) vs ipvsadm-restore, one netns, same run\n",
              vips, backends);
  print_ours(*ours);
  if (!peer_ok) {
    std::printf("peer: ipvsadm failed (is ipvsadm installed?)\n");
    return 1;
  }
  print_costs({{"peer: ipvsadm-restore from empty", peer_full},
               {"peer: ipvsadm -e one change", peer_one},
               {"peer: ipvsadm -C", peer_clear}});
  print_ratios(peer_full, ours->full, peer_one, ours->one, "", "");
  return 0;
}
