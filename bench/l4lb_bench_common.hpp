// What the l4lb benchmarks share: CPU and wall time of a piece of work
// (the process's and its children's CPU, user + system), the synthetic
// table of N VIPs x M backends (11.0.0.0/8 VIPs on port 80, backends in
// 10.0.0.0/8 on port 8080, weight 1), running a program, a network
// namespace of the benchmark's own, the report's rows, and --name=N flags.
#pragma once

#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "netlb/datapath.hpp"
#include "netlb/plan.hpp"
#include "netlb/vip.hpp"

namespace dcos::netlb::bench {

struct Cost {
  double wall_ms = 0, cpu_ms = 0;
};

inline double cpu_ms(int who) {
  rusage usage{};
  getrusage(who, &usage);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

template <class F>
Cost measure(F&& work) {
  using Clock = std::chrono::steady_clock;
  const double cpu0 = cpu_ms(RUSAGE_SELF) + cpu_ms(RUSAGE_CHILDREN);
  const auto t0 = Clock::now();
  work();
  const auto t1 = Clock::now();
  return {std::chrono::duration<double, std::milli>(t1 - t0).count(),
          cpu_ms(RUSAGE_SELF) + cpu_ms(RUSAGE_CHILDREN) - cpu0};
}

inline Address vip(int i) { return Address::ipv4((11u << 24) | static_cast<uint32_t>(i + 1)); }
inline Address backend(int i, int j) {
  return Address::ipv4((10u << 24) | (static_cast<uint32_t>(j) << 16) | static_cast<uint32_t>(i + 1));
}

inline VipTable make_table(int vips, int backends) {
  VipTable table;
  for (int i = 0; i < vips; ++i) {
    Service s{{Protocol::tcp, vip(i), 80}, "wlc", {}};
    for (int j = 0; j < backends; ++j) s.destinations.push_back({backend(i, j), 8080, 1});
    normalize(s);
    table[s.key] = s;
  }
  return table;
}

// A datapath's costs on one table: programmed from empty (reconcile: dump,
// plan, one apply), the dump that reads the whole table back (checked
// equal), one backend change as the daemon makes it (a weight to 0: the
// plan against the whole tables, then apply), the dump a periodic
// reconcile makes after it (nftables answers it from the ruleset's
// generation when nothing else changed: checked equal, and checked again
// by a new datapath's dump, untimed), and remove_all.
struct DatapathCosts {
  Cost full, read, plan, one, dump, clear;
  const Destination* changed = nullptr;  // the destination drained, in the table given
};

inline Result<DatapathCosts> measure_datapath(const std::function<Result<std::unique_ptr<Datapath>>()>& make,
                                              const VipTable& table) {
  auto made = make();
  if (!made) return made.error();
  Datapath& datapath = **made;
  DatapathCosts costs;
  Result<std::vector<Change>> done = Error{"not run"};
  costs.full = measure([&] { done = reconcile(datapath, table); });
  if (!done) return Error{"from empty: " + done.error().message};
  Result<VipTable> held = Error{"not run"};
  costs.read = measure([&] { held = datapath.dump(); });
  if (!held) return Error{"dump: " + held.error().message};
  if (*held != table) return Error{"the dump differs from what was programmed"};
  VipTable drained = table;
  drained.begin()->second.destinations.front().weight = 0;
  costs.changed = &table.begin()->second.destinations.front();
  std::vector<Change> one_change;
  costs.plan = measure([&] { one_change = netlb::plan(table, drained); });
  Result<void> applied;
  costs.one = measure([&] { applied = datapath.apply(one_change); });
  if (!applied) return Error{"one change: " + applied.error().message};
  costs.dump = measure([&] { held = datapath.dump(); });
  if (!held) return Error{"dump after the change: " + held.error().message};
  if (*held != drained) return Error{"the dump differs from what was applied"};
  auto fresh = make();
  if (!fresh) return fresh.error();
  held = (*fresh)->dump();
  if (!held) return Error{"dump by a new datapath: " + held.error().message};
  if (*held != drained) return Error{"the kernel's table (a new datapath's dump) differs from what was applied"};
  fresh->reset();
  costs.clear = measure([&] { applied = datapath.remove_all(); });
  if (!applied) return Error{"remove_all: " + applied.error().message};
  return costs;
}

// Runs argv (found on PATH) with stdin from the file `input` when given;
// whether it exited 0.
inline bool run_program(const std::vector<std::string>& argv, const std::string& input = "") {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!input.empty() && !std::freopen(input.c_str(), "r", stdin)) _exit(126);
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

// Moves the process into a network namespace of its own, which the kernel
// removes with everything in it when the process exits. False (said on
// stderr, under `program`'s name) when it cannot.
inline bool own_network_namespace(const char* program) {
  if (unshare(CLONE_NEWNET) == 0) return true;
  std::fprintf(stderr, "%s: unshare(CLONE_NEWNET) (run as root): %s\n", program, std::strerror(errno));
  return false;
}

// The rows of a table of costs (label, wall ms, cpu ms).
inline void print_costs(const std::vector<std::pair<std::string, Cost>>& rows) {
  std::printf("%-42s %12s %12s\n", "", "wall ms", "cpu ms");
  for (const auto& [label, cost] : rows)
    std::printf(cost.wall_ms < 100 ? "%-42s %12.2f %12.2f\n" : "%-42s %12.1f %12.1f\n", label.c_str(), cost.wall_ms,
                cost.cpu_ms);
}

inline void print_ours(const DatapathCosts& ours) {
  print_costs({{"ours: from empty (reconcile)", ours.full},
               {"ours: one backend change (apply)", ours.one},
               {"ours: its plan (whole tables)", ours.plan},
               {"ours: dump reading the whole table", ours.read},
               {"ours: reconcile's dump after the change", ours.dump},
               {"ours: remove_all", ours.clear}});
}

// The ratios peer / ours from empty and for one change, with the goals.
inline void print_ratios(const Cost& peer_full, const Cost& ours_full, const Cost& peer_one, const Cost& ours_one,
                         const char* full_goal, const char* one_goal) {
  std::printf("ratio from empty (peer / ours): %.2fx wall, %.2fx cpu%s\n", peer_full.wall_ms / ours_full.wall_ms,
              peer_full.cpu_ms / std::max(ours_full.cpu_ms, 0.001), full_goal);
  std::printf("ratio one change (peer / ours): %.2fx wall, %.2fx cpu%s\n", peer_one.wall_ms / ours_one.wall_ms,
              peer_one.cpu_ms / std::max(ours_one.cpu_ms, 0.001), one_goal);
}

// --name=N among argv, else fallback.
inline int flag(int argc, char** argv, const char* name, int fallback) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) return std::atoi(argv[i] + prefix.size());
  return fallback;
}

}  // namespace dcos::netlb::bench
