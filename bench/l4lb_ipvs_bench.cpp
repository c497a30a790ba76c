// l4lb-ipvs-bench: how long the IPVS datapath (generic netlink, libnl)
// takes to program --vips x --backends from empty and one backend change,
// against `ipvsadm-restore` of the same services and `ipvsadm -e` of the
// same change, in the same run (bench/README.md). For a kernel with IPVS:
// the VM (scripts/test-vm.sh; the host has none).
//
// Root only. Runs in a network namespace of its own (unshare; IPVS state
// is per namespace), which the kernel removes with everything in it when
// the benchmark exits. The VIPs need no local address for programming.
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

// Runs argv with stdin from `input` (a path, or empty); whether it exited 0.
bool run(const std::vector<std::string>& argv, const std::string& input = "") {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!input.empty() && !freopen(input.c_str(), "r", stdin)) _exit(126);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int vips = flag(argc, argv, "vips", 10000), backends = flag(argc, argv, "backends", 10);
  if (vips < 1 || vips > 100000 || backends < 1 || backends > 100) {
    std::fprintf(stderr, "usage: l4lb-ipvs-bench [--vips=10000] [--backends=10]\n");
    return 2;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    std::perror("l4lb-ipvs-bench: unshare(CLONE_NEWNET) (run as root)");
    return 1;
  }
  if (auto probed = probe_ipvs(/*load_module=*/true); !probed)
    return std::fprintf(stderr, "l4lb-ipvs-bench: %s\n", probed.error().message.c_str()), 1;
  auto made = make_ipvs_datapath();
  if (!made) return std::fprintf(stderr, "l4lb-ipvs-bench: %s\n", made.error().message.c_str()), 1;
  Datapath& datapath = **made;

  const VipTable table = make_table(vips, backends);
  dcos::Result<std::vector<Change>> done = dcos::Error{"not run"};
  const Cost ours_full = measure([&] { done = reconcile(datapath, table); });
  if (!done) return std::fprintf(stderr, "ours, from empty: %s\n", done.error().message.c_str()), 1;
  VipTable drained = table;
  Destination& first = drained.begin()->second.destinations.front();
  first.weight = 0;
  const std::vector<Change> one_change = plan(table, drained);
  dcos::Result<void> applied;
  const Cost ours_one = measure([&] { applied = datapath.apply(one_change); });
  if (!applied) return std::fprintf(stderr, "ours, one change: %s\n", applied.error().message.c_str()), 1;
  dcos::Result<VipTable> held = dcos::Error{"not run"};
  const Cost ours_dump = measure([&] { held = datapath.dump(); });
  if (!held || *held != drained) return std::fprintf(stderr, "ours: the dump differs from what was applied\n"), 1;
  const Cost ours_clear = measure([&] { applied = datapath.remove_all(); });
  if (!applied) return std::fprintf(stderr, "ours, remove_all: %s\n", applied.error().message.c_str()), 1;

  char dir[] = "/tmp/l4lb-ipvs-bench-XXXXXX";
  if (!mkdtemp(dir)) return std::perror("mkdtemp"), 1;
  const std::string rules = std::string(dir) + "/rules";
  std::ofstream(rules) << restore_rules(table);
  bool peer_ok = true;
  const Cost peer_full = measure([&] { peer_ok = run({"ipvsadm-restore"}, rules); });
  const std::string service = drained.begin()->first.vip.text() + ":80";
  const std::string real = first.address.text() + ":" + std::to_string(first.port);
  const Cost peer_one =
      peer_ok ? measure([&] { peer_ok = run({"ipvsadm", "-e", "-t", service, "-r", real, "-m", "-w", "0"}); }) : Cost{};
  const Cost peer_clear = peer_ok ? measure([&] { peer_ok = run({"ipvsadm", "-C"}); }) : Cost{};
  std::remove(rules.c_str());
  rmdir(dir);

  std::printf("%d VIPs x %d backends, IPVS over generic netlink (libnl) vs ipvsadm-restore, one netns, same run\n",
              vips, backends);
  std::printf("%-36s %12s %12s\n", "", "wall ms", "cpu ms");
  std::printf("%-36s %12.1f %12.1f\n", "ours: from empty (reconcile)", ours_full.wall_ms, ours_full.cpu_ms);
  std::printf("%-36s %12.2f %12.2f\n", "ours: one backend change (apply)", ours_one.wall_ms, ours_one.cpu_ms);
  std::printf("%-36s %12.1f %12.1f\n", "ours: dump of the whole table", ours_dump.wall_ms, ours_dump.cpu_ms);
  std::printf("%-36s %12.1f %12.1f\n", "ours: remove_all", ours_clear.wall_ms, ours_clear.cpu_ms);
  if (!peer_ok) {
    std::printf("peer: ipvsadm failed (is ipvsadm installed?)\n");
    return 1;
  }
  std::printf("%-36s %12.1f %12.1f\n", "peer: ipvsadm-restore from empty", peer_full.wall_ms, peer_full.cpu_ms);
  std::printf("%-36s %12.2f %12.2f\n", "peer: ipvsadm -e one change", peer_one.wall_ms, peer_one.cpu_ms);
  std::printf("%-36s %12.1f %12.1f\n", "peer: ipvsadm -C", peer_clear.wall_ms, peer_clear.cpu_ms);
  std::printf("ratio from empty (peer / ours): %.2fx wall, %.2fx cpu\n", peer_full.wall_ms / ours_full.wall_ms,
              peer_full.cpu_ms / ours_full.cpu_ms);
  std::printf("ratio one change (peer / ours): %.2fx wall, %.2fx cpu\n", peer_one.wall_ms / ours_one.wall_ms,
              peer_one.cpu_ms / std::max(ours_one.cpu_ms, 0.001));
  return 0;
}
