// agent-footprint-bench: the resident memory of an idle dcos-agent, against
// the brief's bar (under 10 MB). Starts a real master and a real agent on
// loopback (bench/bench_cluster.hpp), waits until the agent has registered
// and then `--idle`, samples its memory once a second `--samples` times and
// reports the largest sample, split into anonymous and file-backed pages
// (plus PSS, which divides shared library pages among the processes mapping
// them), and the files that hold most of it (from /proc/<pid>/smaps).
//
// The bar has no peer to run beside it: there is no Mesos agent here.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_cluster.hpp"
#include "runtime/daemon_flags.hpp"
#include "runtime/duration.hpp"

namespace dcos::bench {
namespace {

// The brief's "10 MB", in KiB as /proc reports it (10,000,000 bytes).
constexpr double kBarKib = 10'000'000.0 / 1024.0;

struct Settings {
  std::string master_binary, agent_binary;
  Duration idle = std::chrono::seconds(5);
  int64_t samples = 5;
  int64_t top = 10;
  bool json = false;
  Clock::time_point deadline;
};

// Resident KiB per mapped file ("[anonymous]" for the rest), largest first.
Result<std::vector<std::pair<std::string, long>>> resident_by_file(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/smaps";
  std::ifstream in(path);
  if (!in) return Error{"open '" + path + "' failed"};
  std::map<std::string, long> sums;
  std::string line, current = "[anonymous]";
  while (std::getline(in, line)) {
    if (line.starts_with("Rss:")) {
      sums[current] += std::strtol(line.c_str() + 4, nullptr, 10);
      continue;
    }
    // A mapping's header: "start-end perms offset dev inode [path]".
    const auto dash = line.find('-');
    if (dash == std::string::npos || dash == 0 || line.find(':') < dash) continue;
    const auto slash = line.find('/');
    const auto bracket = line.find('[');
    current = slash != std::string::npos ? line.substr(slash)
              : bracket != std::string::npos ? line.substr(bracket)
                                             : "[anonymous]";
  }
  std::vector<std::pair<std::string, long>> sorted(sums.begin(), sums.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return sorted;
}

int run(const Settings& settings) {
  BenchCluster::Options options{settings.master_binary, settings.agent_binary,
                                "cpus:2;mem:2048;disk:10000;ports:[31000-32000]", settings.deadline};
  auto cluster = BenchCluster::start(options);
  if (!cluster) {
    std::cerr << "agent-footprint-bench: " << cluster.error().message << "\n";
    return 1;
  }
  DaemonProcess& agent = (*cluster)->agent();
  std::this_thread::sleep_for(settings.idle);
  DaemonProcess::Memory largest;
  for (int64_t i = 0; i < settings.samples; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::seconds(1));
    auto memory = agent.memory();
    if (!memory) {
      std::cerr << "agent-footprint-bench: " << (*cluster)->fail(memory.error().message).message << "\n";
      return 1;
    }
    if (memory->rss_kib > largest.rss_kib) largest = *memory;
  }
  auto files = resident_by_file(agent.pid());
  if (!files) {
    std::cerr << "agent-footprint-bench: " << files.error().message << "\n";
    return 1;
  }
  files->resize(std::min<std::size_t>(files->size(), static_cast<std::size_t>(settings.top)));

  const double ratio = static_cast<double>(largest.rss_kib) / kBarKib;
  if (settings.json) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& [file, kib] : *files) top.push_back({{"file", file}, {"rss_kib", kib}});
    std::cout << nlohmann::json{{"rss_kib", largest.rss_kib}, {"anon_kib", largest.anon_kib},
                                {"file_kib", largest.file_kib}, {"pss_kib", largest.pss_kib},
                                {"bar_kib", kBarKib}, {"rss_to_bar", ratio}, {"largest_files", top}}
                     .dump()
              << "\n";
    return 0;
  }
  std::printf("idle dcos-agent (registered, no tasks), largest of %lld samples after %lld ms idle:\n",
              static_cast<long long>(settings.samples),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(settings.idle).count()));
  std::printf("  %-10s %8ld KiB\n  %-10s %8ld KiB\n  %-10s %8ld KiB\n  %-10s %8ld KiB\n", "resident", largest.rss_kib,
              "anonymous", largest.anon_kib, "file", largest.file_kib, "PSS", largest.pss_kib);
  std::printf("against the brief's bar of 10 MB (%.0f KiB): %.2fx, %s\n", kBarKib, ratio,
              ratio < 1.0 ? "under it" : "over it");
  std::printf("resident KiB by mapping:\n");
  for (const auto& [file, kib] : *files) std::printf("  %8ld  %s\n", kib, file.c_str());
  return 0;
}

}  // namespace
}  // namespace dcos::bench

int main(int argc, char** argv) {
  using namespace dcos::bench;
  Settings settings;
  dcos::Duration timeout = std::chrono::seconds(60);
  dcos::FlagSet flags("agent-footprint-bench", "The resident memory of an idle dcos-agent (root only).");
  add_cluster_binary_flags(flags, &settings.master_binary, &settings.agent_binary);
  flags.add("idle", "How long the agent idles after registering before the first sample", &settings.idle);
  dcos::add_count_flag(flags, "samples", "Samples, one a second; the largest is reported", &settings.samples, 1, 600);
  dcos::add_count_flag(flags, "top", "Mappings listed, largest first", &settings.top, 0, 100);
  flags.add("timeout", "Bound on starting the cluster", &timeout);
  flags.add("json", "Print one JSON object instead of the table", &settings.json);
  if (auto exit_code = dcos::parse_or_exit(flags, "agent-footprint-bench", argc, argv)) return *exit_code;
  if (settings.idle < dcos::Duration::zero() || settings.idle > std::chrono::minutes(10) ||
      timeout <= dcos::Duration::zero()) {
    std::cerr << "agent-footprint-bench: --idle must be 0-10mins, --timeout positive\n";
    return 2;
  }
  settings.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  std::signal(SIGPIPE, SIG_IGN);
  return run(settings);
}
