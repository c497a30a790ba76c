// l4lb-program-bench: how long the nftables datapath takes to program the
// kernel, against loading the same services the way kube-proxy's nftables
// mode shapes them with `nft -f`, in the same run (bench/README.md).
//
// Root only. Runs in a network namespace of its own (unshare), which the
// kernel removes with everything in it when the benchmark exits.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "bench/l4lb_bench_common.hpp"
#include "netlb/nftables/datapath.hpp"

namespace {

using namespace dcos::netlb;
using namespace dcos::netlb::bench;

// kube-proxy's nftables mode: a verdict map from (address . proto . port) to
// a chain per service, which picks an endpoint with numgen. With
// endpoint_chains, as kube-proxy writes it: numgen vmap to a chain per
// endpoint that DNATs; without, the endpoints as an anonymous map in the
// service chain (kube-proxy's shape minus the endpoint chains: faster).
// The rule of service i's chain with its endpoints as an anonymous map.
std::string service_rule(int i, int backends) {
  std::string map;
  for (int j = 0; j < backends; ++j) map += (j ? ", " : "") + std::to_string(j) + " : " + backend(i, j).text() + " . 8080";
  return "add rule ip kp svc-" + std::to_string(i) + " meta l4proto tcp dnat ip to numgen random mod " + std::to_string(backends) +
         " map { " + map + " }\n";
}

std::string service_chain(int i, int backends, bool endpoint_chains) {
  std::string out = "add chain ip kp svc-" + std::to_string(i) + "\n";
  if (!endpoint_chains) return out + service_rule(i, backends);
  std::string vmap;
  for (int j = 0; j < backends; ++j) {
    const std::string ep = "ep-" + std::to_string(i) + "-" + std::to_string(j);
    out += "add chain ip kp " + ep + "\nadd rule ip kp " + ep + " dnat to " + backend(i, j).text() + ":8080\n";
    vmap += (j ? ", " : "") + std::to_string(j) + " : goto " + ep;
  }
  return out + "add rule ip kp svc-" + std::to_string(i) + " numgen random mod " + std::to_string(backends) +
         " vmap { " + vmap + " }\n";
}

std::string peer_ruleset(int vips, int backends, bool endpoint_chains) {
  std::string out = "add table ip kp\n"
                    "add map ip kp service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }\n"
                    "add chain ip kp services\n"
                    "add rule ip kp services ip daddr . meta l4proto . th dport vmap @service-ips\n"
                    "add chain ip kp prerouting { type nat hook prerouting priority -100; policy accept; }\n"
                    "add rule ip kp prerouting jump services\n"
                    "add chain ip kp output { type nat hook output priority -100; policy accept; }\n"
                    "add rule ip kp output jump services\n";
  for (int i = 0; i < vips; ++i) out += service_chain(i, backends, endpoint_chains);
  std::string elements;
  for (int i = 0; i < vips; ++i)
    elements += (i ? ", " : "") + vip(i).text() + " . tcp . 80 : goto svc-" + std::to_string(i);
  return out + "add element ip kp service-ips { " + elements + " }\n";
}

}  // namespace

int main(int argc, char** argv) {
  const int vips = flag(argc, argv, "vips", 10000), backends = flag(argc, argv, "backends", 10);
  const bool endpoint_chains = flag(argc, argv, "endpoint_chains", 0) != 0, peer = flag(argc, argv, "peer", 1) != 0;
  if (vips < 1 || vips > 1000000 || backends < 1 || backends > 100) {
    std::fprintf(stderr,
                 "usage: l4lb-program-bench [--vips=10000] [--backends=10] [--endpoint_chains=0|1] [--peer=1|0]\n");
    return 2;
  }
  if (!own_network_namespace("l4lb-program-bench")) return 1;
  const VipTable table = make_table(vips, backends);
  auto ours = measure_datapath([] { return make_nftables_datapath(); }, table);
  if (!ours) return std::fprintf(stderr, "l4lb-program-bench: ours, %s\n", ours.error().message.c_str()), 1;
  if (!peer) {  // ours alone, e.g. under perf or strace
    print_ours(*ours);
    return 0;
  }

  char dir[] = "/tmp/l4lb-bench-XXXXXX";
  if (!mkdtemp(dir)) return std::perror("mkdtemp"), 1;
  const std::string full = std::string(dir) + "/full.nft", one = std::string(dir) + "/one.nft";
  std::ofstream(full) << peer_ruleset(vips, backends, endpoint_chains);
  // kube-proxy's way of changing one service: rewrite its chain.
  std::ofstream(one) << "flush chain ip kp svc-0\n" << service_rule(0, std::max(backends - 1, 1));
  bool peer_ok = true;
  const Cost peer_full = measure([&] { peer_ok = run_program({"nft", "-f", full}); });
  const Cost peer_one = peer_ok ? measure([&] { peer_ok = run_program({"nft", "-f", one}); }) : Cost{};
  std::remove(full.c_str());
  std::remove(one.c_str());
  rmdir(dir);

  std::printf("%d VIPs x %d backends, table inet dcos-l4lb vs kube-proxy-shaped `nft -f` (%s), one netns, same run\n",
              vips, backends, endpoint_chains ? "endpoint chains" : "endpoints as an anonymous map per service chain");
  print_ours(*ours);
  if (!peer_ok) {
    std::printf("peer: nft -f failed (is nft installed?)\n");
    return 1;
  }
  print_costs({{"peer: nft -f from empty", peer_full}, {"peer: nft -f one service change", peer_one}});
  print_ratios(peer_full, ours->full, peer_one, ours->one, "; goal: about 1 s", "; goal: under 10 ms");
  return 0;
}
