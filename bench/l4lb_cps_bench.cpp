// l4lb-cps-bench: TCP connections per second through a VIP that the
// nftables datapath balances, against direct connections to one backend,
// in the same run and the same network namespaces (bench/README.md).
//
// One backend by default: the VIP's connections then end at the same
// server as the direct ones, and only the datapath differs (with more, the
// VIP spreads the servers' work and wins for that reason alone).
//
// The namespaces are tests/netlb/netns_lab.hpp's, made by the benchmark
// and removed when it ends: a client, the node (lb) forwarding between the
// client and N backends, each backend a TCP server on port 8080. The VIP
// (11.0.0.1:80, the backends as destinations of weight 1) is programmed
// with netlb's nftables datapath in the lb namespace and stays there for
// both kinds of run, so the direct connections cross the same node and
// hooks and miss the map; only the DNAT differs. One connection: connect,
// read the backend's byte, close with a reset (SO_LINGER 0: no TIME_WAIT
// and a conntrack entry that closes at once, so one run does not skew the
// next). Each round measures both, in turns first; the ratio reported is
// the median of the rounds' ratios.
//
// Root only.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/l4lb_bench_common.hpp"
#include "netlb/nftables/datapath.hpp"
#include "tests/netlb/netns_lab.hpp"

namespace {

using namespace dcos::netlb;
using testing::NetnsLab;
using bench::flag;
using Clock = std::chrono::steady_clock;

struct Run {
  double per_second = 0;
  long connections = 0, failed = 0;
};

// `threads` clients in the client namespace connecting to address:port for
// `seconds`: the completed connections per second.
Run connect_for(const NetnsLab& lab, const std::string& address, uint16_t port, int threads, double seconds) {
  std::atomic<long> done{0}, failed{0};
  double elapsed = 0;
  lab.in_client([&] {
    const auto start = Clock::now();
    const auto until = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> clients;
    for (int t = 0; t < threads; ++t)
      clients.emplace_back([&] {
        while (Clock::now() < until) {
          if (NetnsLab::connect_once(address, port) == 0) ++failed;
          else ++done;
        }
      });
    for (auto& client : clients) client.join();
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  });
  return {static_cast<double>(done) / elapsed, done, failed};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int backends = flag(argc, argv, "backends", 1), rounds = flag(argc, argv, "rounds", 5);
  const int threads = flag(argc, argv, "threads", 2), seconds = flag(argc, argv, "seconds", 3);
  bool json = false;
  for (int i = 1; i < argc; ++i) json = json || std::strcmp(argv[i], "--json") == 0;
  if (backends < 1 || backends > 50 || rounds < 1 || rounds > 50 || threads < 1 || threads > 64 || seconds < 1 ||
      seconds > 60) {
    std::fprintf(stderr,
                 "usage: l4lb-cps-bench [--backends=1] [--rounds=5] [--threads=2] [--seconds=3] [--json]\n");
    return 2;
  }
  std::string why;
  auto lab = NetnsLab::make(backends, &why);
  if (!lab) return std::fprintf(stderr, "l4lb-cps-bench: network namespaces: %s\n", why.c_str()), 1;

  const Address vip = Address::ipv4((11u << 24) | 1);
  Service service{{Protocol::tcp, vip, 80}, "wlc", {}};
  for (int i = 1; i <= backends; ++i)
    service.destinations.push_back({*Address::parse(lab->backend_address(i)), 8080, 1});
  normalize(service);
  {
    if (auto entered = lab->enter_lb(); !entered)
      return std::fprintf(stderr, "l4lb-cps-bench: %s\n", entered.error().message.c_str()), 1;
    auto made = make_nftables_datapath();
    if (!made) return std::fprintf(stderr, "l4lb-cps-bench: %s\n", made.error().message.c_str()), 1;
    auto done = reconcile(**made, VipTable{{service.key, service}});
    lab->leave();
    if (!done) return std::fprintf(stderr, "l4lb-cps-bench: programming the VIP: %s\n", done.error().message.c_str()), 1;
  }

  std::vector<double> through, direct, ratios;
  long failed = 0;
  connect_for(*lab, vip.text(), 80, threads, 1);  // warm up: ARP, caches, the servers' first threads
  for (int r = 0; r < rounds; ++r) {
    // Each round measures both ways back to back, in turns first, so that
    // a drift of the machine's load hits both alike; its ratio is one sample.
    Run a, b;
    if (r % 2 == 0) {
      a = connect_for(*lab, vip.text(), 80, threads, seconds);
      b = connect_for(*lab, lab->backend_address(1), 8080, threads, seconds);
    } else {
      b = connect_for(*lab, lab->backend_address(1), 8080, threads, seconds);
      a = connect_for(*lab, vip.text(), 80, threads, seconds);
    }
    through.push_back(a.per_second);
    direct.push_back(b.per_second);
    ratios.push_back(a.per_second / b.per_second);
    failed += a.failed + b.failed;
    if (!json)
      std::printf("round %d: through the VIP %8.0f/s (%ld), direct %8.0f/s (%ld), ratio %.2f\n", r + 1, a.per_second,
                  a.connections, b.per_second, b.connections, ratios.back());
  }
  const double vip_cps = median(through), direct_cps = median(direct), ratio = median(ratios);
  if (json) {
    std::printf("{\"bench\":\"l4lb-cps\",\"backends\":%d,\"threads\":%d,\"rounds\":%d,\"seconds\":%d,"
                "\"vip_per_second\":%.0f,\"direct_per_second\":%.0f,\"ratio\":%.3f,\"failed\":%ld}\n",
                backends, threads, rounds, seconds, vip_cps, direct_cps, ratio, failed);
  } else {
    std::printf("%d backends, %d client threads, %d rounds of %d s each way; connections closed with a reset\n",
                backends, threads, rounds, seconds);
    std::printf("median through the VIP (nftables DNAT): %.0f/s\n", vip_cps);
    std::printf("median direct to backend 1:             %.0f/s\n", direct_cps);
    std::printf("ratio VIP / direct (median of the rounds' ratios): %.2fx (goal: 0.9x or better); failed: %ld\n",
                ratio, failed);
  }
  return failed == 0 ? 0 : 1;
}
