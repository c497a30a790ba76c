// container-launch-bench: how fast our containerizer starts a container,
// against the kernel's floor and against crun and runc, all in one run.
//
// Every row launches /bin/true N times, one after the other, and times each
// launch from start to the container's end and cleanup, with the same
// limits everywhere (memory 64 MiB, pids 64, cpu weight of 1 CPU):
//
//   baseline  fork + exec /bin/true, no namespaces (for scale)
//   floor     a plain syscall loop: fresh cgroups with the limits, clone3
//             into pid/mount/uts/ipc namespaces, exec, wait, rmdir
//   library   LinuxContainerizer::launch + wait in this process: cgroup,
//             namespaces, default seccomp, capabilities, host file system
//   rootfs    the same with a root file system (a static /bin/true): the
//             like-for-like comparison with crun and runc
//   cli       a `dcos-container run` process per launch
//   crun      `crun run` of an OCI bundle with the same namespaces, limits,
//             capabilities, seccomp filter and root file system (on a hybrid
//             host inside the unshare wrapper it needs, measured alone too
//             and subtracted)
//   runc      `runc run` of the same bundle
//
// Everything it makes (a temporary directory, the cgroups under
// /dcos-bench-<pid> in every hierarchy, the runtimes' state) is removed at
// the end, also after a failure or Ctrl-C.
#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "bench/container_launch_floor.hpp"
#include "bench/container_launch_peers.hpp"
#include "bench/container_launch_report.hpp"
#include "bench/container_launch_workspace.hpp"
#include "isolation/linux_containerizer.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/flags.hpp"

namespace dcos::bench {
namespace {

namespace fs = std::filesystem;
using isolation::HostCgroups;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMemoryBytes = 64ull << 20;
constexpr uint64_t kPids = 64;
constexpr double kCpus = 1.0;
constexpr std::chrono::seconds kLaunchTimeout{30};
const std::set<std::string> kAllRows = {"baseline", "floor", "library", "rootfs", "cli", "crun", "runc"};

std::atomic<bool> interrupted{false};

struct Settings {
  int64_t count = 200;
  int64_t runc_count = 50;
  int64_t warmup = 3;
  int64_t rounds = 10;
  std::set<std::string> rows = kAllRows;
  std::string container_binary;
  std::string true_binary;
  bool read_only_root = false;
  bool json = false;
};

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// One way of launching: its row, and how to launch once (index: unique
// per launch, for names). No launch function: the row says why it is skipped.
struct Runner {
  Row row;
  int64_t count = 0;
  std::function<Result<double>(int)> launch;
  int next = 0;
};

Runner skipped(std::string key, std::string label, std::string why) {
  Runner runner;
  runner.row.key = std::move(key);
  runner.row.label = std::move(label);
  runner.row.skipped = std::move(why);
  return runner;
}

Runner runner(std::string key, std::string label, int64_t count, std::function<Result<double>(int)> launch,
              std::string note) {
  Runner out;
  out.row.key = std::move(key);
  out.row.label = std::move(label);
  out.row.note = std::move(note);
  out.count = count;
  out.launch = std::move(launch);
  return out;
}

// CPU time so far of this process (all threads) and of the children it
// reaped (each with the children it reaped): the runtimes, our supervisors,
// the containers.
double cpu_ms() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage usage{};
    ::getrusage(who, &usage);
    for (const timeval& t : {usage.ru_utime, usage.ru_stime})
      total += static_cast<double>(t.tv_sec) * 1000.0 + static_cast<double>(t.tv_usec) / 1000.0;
  }
  return total;
}

// Each runner's launches, split into `rounds` slices taken in turn, so that
// every row sees the same share of the machine's (noisy) background; the
// warm-ups before a runner's first slice are not measured. A runner stops
// at its first failure; all stop at an interrupt.
void run_rounds(std::vector<Runner>& runners, int64_t rounds, int64_t warmup) {
  for (int64_t round = 0; round < rounds && !interrupted; ++round) {
    std::cerr << "round " << round + 1 << "/" << rounds << " ...\n";
    for (auto& r : runners) {
      if (!r.launch || !r.row.failed.empty()) continue;
      const int64_t slice = r.count * (round + 1) / rounds - r.count * round / rounds;
      for (int64_t i = round == 0 ? -warmup : 0; i < slice && !interrupted; ++i) {
        const double cpu_before = cpu_ms();
        auto ms = r.launch(r.next++);
        if (!ms) {
          r.row.failed = ms.error().message;
          break;
        }
        if (i < 0) continue;
        r.row.ms.push_back(*ms);
        r.row.cpu_ms_total += cpu_ms() - cpu_before;
      }
    }
  }
  for (auto& r : runners)
    if (r.launch && interrupted && r.row.failed.empty()) r.row.failed = "interrupted";
}

isolation::CgroupLimits limits() {
  isolation::CgroupLimits out;
  out.memory_max = kMemoryBytes;
  out.pids_max = kPids;
  out.cpus = kCpus;
  return out;
}

// The floor's cgroups: where our containerizer would put them (v2 on a
// unified host or where v1 lacks memory; else v1 memory, pids and cpu).
FloorSetup floor_setup(const HostCgroups& host, const std::string& root) {
  FloorSetup setup;
  const bool v1 = host.layout != isolation::CgroupLayout::unified && host.mounts.v1.count("memory");
  setup.v2 = !v1;
  if (setup.v2) {
    setup.hierarchies.push_back({host.mounts.unified, root,
                                 {{"memory.max", std::to_string(kMemoryBytes)},
                                  {"pids.max", std::to_string(kPids)},
                                  {"cpu.weight", std::to_string(isolation::cpu_weight(kCpus))}}});
    return setup;
  }
  const std::pair<const char*, std::pair<std::string, std::string>> wanted[] = {
      {"memory", {"memory.limit_in_bytes", std::to_string(kMemoryBytes)}},
      {"pids", {"pids.max", std::to_string(kPids)}},
      {"cpu", {"cpu.shares", std::to_string(isolation::cpu_shares(kCpus))}}};
  for (const auto& [controller, limit] : wanted) {
    auto mount = host.mounts.v1.find(controller);
    if (mount != host.mounts.v1.end()) setup.hierarchies.push_back({mount->second, root, {limit}});
  }
  return setup;
}

std::string host_line(const HostCgroups& host, const FloorSetup& floor) {
  utsname names{};
  ::uname(&names);
  std::string line = std::string("kernel ") + names.release + ", cgroup " + (floor.v2 ? "v2" : "v1") + " (" +
                     std::string(isolation::layout_name(host.layout)) + " host; floor in";
  for (const auto& hierarchy : floor.hierarchies) line += " " + hierarchy.mount;
  return line + "), " + std::to_string(std::thread::hardware_concurrency()) + " CPUs";
}

std::string sh_quoted(const std::string& word) { return "'" + word + "'"; }

// What the runners use, alive until the last launch.
struct Bench {
  const Settings& settings;
  const HostCgroups& host;
  Workspace& ws;
  FloorSetup floor;
  std::unique_ptr<FloorLauncher> floor_launcher;
  std::unique_ptr<isolation::LinuxContainerizer> containerizer;
  std::vector<Runner> runners;

  bool wanted(const char* row) const { return settings.rows.count(row) > 0; }
  void add_floor();
  void add_library();
  void add_cli();
  void add_runtimes();
};

void Bench::add_floor() {
  const std::string label = "floor: clone+ns into fresh cgroups";
  floor_launcher = std::make_unique<FloorLauncher>(floor);
  if (auto prepared = floor_launcher->prepare(); !prepared) {
    runners.push_back(skipped("floor", label, prepared.error().message));
    return;
  }
  runners.push_back(runner("floor", label, settings.count,
                           [this](int index) { return floor_launcher->launch(index); },
                           std::string("mkdir + limits, clone3(NEWPID|NEWNS|NEWUTS|NEWIPC") +
                               (floor.v2 ? "|INTO_CGROUP)" : "), child writes 0 to cgroup.procs") +
                               ", exec, waitpid, rmdir"));
}

// Rows 2 and 3: our library in this process.
void Bench::add_library() {
  const std::string host_label = "ours, library (host fs)";
  const std::string rootfs_label = settings.read_only_root ? "ours, library (rootfs, read-only)" : "ours, library (rootfs)";
  isolation::LinuxContainerizerOptions options;
  options.runtime_dir = ws.run() + "/containers";
  options.image_cache = ws.dir() + "/images";
  options.scratch_dir = ws.dir() + "/scratch";
  options.cgroups_root = ws.cgroup_root() + "/lib";
  options.host = host;
  auto created = isolation::LinuxContainerizer::create(options);
  if (!created) {
    const std::string why = "LinuxContainerizer::create: " + created.error().message;
    if (wanted("library")) runners.push_back(skipped("library", host_label, why));
    if (wanted("rootfs")) runners.push_back(skipped("rootfs", rootfs_label, why));
    return;
  }
  containerizer = std::move(*created);
  auto launch = [this](const std::string& prefix, const std::string& rootfs) {
    return [this, prefix, rootfs](int index) -> Result<double> {
      isolation::ContainerSpec spec;
      spec.id = prefix + std::to_string(index);
      spec.argv = {"/bin/true"};
      spec.sandbox = ws.dir() + "/sandboxes/" + spec.id;
      spec.rootfs = rootfs;
      spec.rootfs_read_only = !rootfs.empty() && settings.read_only_root;
      spec.limits = limits();
      const auto started = Clock::now();
      auto info = containerizer->launch(spec);
      if (!info) return info.error();
      auto ended = containerizer->wait(spec.id);
      const double ms = elapsed_ms(started);
      std::error_code ignored;
      fs::remove_all(spec.sandbox, ignored);
      if (!ended) return ended.error();
      if (ended->exit_code != 0) return Error{"container '" + spec.id + "': " + ended->message};
      return ms;
    };
  };
  if (wanted("library"))
    runners.push_back(runner("library", host_label, settings.count, launch("lib-", ""),
                             "LinuxContainerizer launch()+wait() in this process (cgroup, pid/mount/uts/ipc "
                             "namespaces, default seccomp, capabilities, /proc and /tmp mounted, state "
                             "checkpointed, cgroup removed)"));
  if (!wanted("rootfs")) return;
  if (settings.true_binary.empty()) {
    runners.push_back(skipped("rootfs", rootfs_label, "no static true program (--true_binary)"));
    return;
  }
  runners.push_back(runner("rootfs", rootfs_label, settings.count, launch("rootfs-", ws.rootfs()),
                           std::string("the same with a root file system (") +
                               (settings.read_only_root ? "the image bound read-only" : "an overlay over the image") +
                               ", /dev, /proc, /sys, pivot_root; a static /bin/true): what crun and runc do"));
}

void Bench::add_cli() {
  const std::string label = "ours, CLI (dcos-container run)";
  if (::access(settings.container_binary.c_str(), X_OK) != 0) {
    runners.push_back(skipped("cli", label, "no dcos-container at '" + settings.container_binary + "'"));
    return;
  }
  runners.push_back(runner(
      "cli", label, settings.count,
      [this](int index) -> Result<double> {
        const std::string id = "cli-" + std::to_string(index);
        const std::string sandbox = ws.dir() + "/sandboxes/" + id;
        auto ms = run_timed({settings.container_binary, "run", "--id", id, "--mem", "64", "--pids", "64", "--cpus",
                             "1", "--runtime-dir", ws.run() + "/cli", "--image-cache", ws.dir() + "/images",
                             "--cgroups-root", ws.cgroup_root() + "/cli", "--sandbox", sandbox, "--", "/bin/true"},
                            ws.dir() + "/cli.log", kLaunchTimeout);
        std::error_code ignored;
        fs::remove_all(sandbox, ignored);
        return ms;
      },
      "`dcos-container run --mem 64 --pids 64 --cpus 1 -- /bin/true`, one process per launch"));
}

// Rows 5 and 6, and the unshare wrapper crun needs on a hybrid host.
void Bench::add_runtimes() {
  const bool hybrid = host.layout == isolation::CgroupLayout::hybrid && !host.mounts.unified.empty();
  const std::string unshare = find_program("unshare"), sh = find_program("sh");
  auto bundle_for = [this](const std::string& runtime, int index) -> Result<std::string> {
    BundleSpec spec;
    spec.rootfs = ws.rootfs();
    spec.cgroups_path = ws.cgroup_root() + "/" + runtime + "/c-" + std::to_string(index);
    spec.hostname = runtime + "-" + std::to_string(index);
    spec.memory_bytes = kMemoryBytes;
    spec.pids = kPids;
    spec.cpu_shares = isolation::cpu_shares(kCpus);
    spec.read_only = settings.read_only_root;
    spec.cgroup_namespace = host.layout == isolation::CgroupLayout::unified;
    const std::string bundle = ws.dir() + "/" + runtime + "-bundle";
    if (auto written = write_file_atomically(bundle + "/config.json", oci_config(spec).dump(), 0644, false); !written)
      return written.error();
    return bundle;
  };
  auto wrapped = [unshare, sh, prefix = "umount " + sh_quoted(host.mounts.unified) + " && "](const std::string& command) {
    return std::vector<std::string>{unshare, "-m", "--propagation", "private", sh, "-c", prefix + command};
  };

  if (wanted("crun")) {
    const std::string crun = find_program("crun");
    const std::string label = hybrid ? "crun run (in the unshare wrapper)" : "crun run";
    if (crun.empty()) {
      runners.push_back(skipped("crun", label, "crun not found on PATH"));
    } else if (settings.true_binary.empty()) {
      runners.push_back(skipped("crun", label, "no static true program for the root file system"));
    } else if (hybrid && (unshare.empty() || sh.empty())) {
      runners.push_back(skipped("crun", label, "hybrid host and no unshare or sh on PATH for the wrapper"));
    } else {
      runners.push_back(runner(
          "crun", label, settings.count,
          [this, crun, hybrid, bundle_for, wrapped](int index) -> Result<double> {
            auto bundle = bundle_for("crun", index);
            if (!bundle) return bundle.error();
            const std::string id = "bench-crun-" + std::to_string(index);
            const std::string state = ws.run() + "/crun";
            const auto argv = hybrid ? wrapped("exec " + sh_quoted(crun) + " --root " + sh_quoted(state) +
                                               " run --bundle " + sh_quoted(*bundle) + " " + id)
                                     : std::vector<std::string>{crun, "--root", state, "run", "--bundle", *bundle, id};
            return run_timed(argv, ws.dir() + "/crun.log", kLaunchTimeout);
          },
          hybrid ? "crun refuses hybrid cgroups, so each launch is `unshare -m --propagation private sh -c 'umount " +
                       host.mounts.unified + " && exec crun run ...'`"
                 : ""));
      if (hybrid)
        runners.push_back(runner(
            "wrapper", "unshare wrapper alone (sh -c 'umount; true')", settings.count,
            [this, wrapped](int) { return run_timed(wrapped("true"), ws.dir() + "/wrapper.log", kLaunchTimeout); },
            ""));
    }
  }
  if (!wanted("runc")) return;
  const std::string runc = find_program("runc");
  if (runc.empty()) {
    runners.push_back(skipped("runc", "runc run", "runc not found on PATH"));
  } else if (settings.true_binary.empty()) {
    runners.push_back(skipped("runc", "runc run", "no static true program for the root file system"));
  } else {
    runners.push_back(runner(
        "runc", "runc run", settings.runc_count,
        [this, runc, bundle_for](int index) -> Result<double> {
          auto bundle = bundle_for("runc", index);
          if (!bundle) return bundle.error();
          const std::vector<std::string> argv = {runc,     "--root", ws.run() + "/runc", "run", "--bundle",
                                                 *bundle, "bench-runc-" + std::to_string(index)};
          return run_timed(argv, ws.dir() + "/runc.log", kLaunchTimeout);
        },
        ""));
  }
}

// crun's own cost on a hybrid host: its row less the wrapper's median.
void add_crun_net(Report& report) {
  const Row* crun = report.find("crun");
  const Row* wrapper = report.find("wrapper");
  if (!crun || !wrapper || !crun->measured() || !wrapper->measured()) return;
  Row net;
  net.key = "crun-net";
  net.label = "crun run, wrapper subtracted";
  net.derived = true;
  net.derived_count = crun->count();
  net.derived_median = crun->median() - wrapper->median();
  net.derived_p90 = crun->p90() - wrapper->median();
  net.note = "derived: the crun row's median (and p90) minus the wrapper's median";
  const auto at = std::find_if(report.rows.begin(), report.rows.end(), [](const Row& r) { return r.key == "wrapper"; });
  report.rows.insert(at + 1, std::move(net));
}

Result<void> run_all(const Settings& settings, const HostCgroups& host, Workspace& ws, Report& report) {
  if (auto made = ws.make_dir(); !made) return made;
  if (!settings.true_binary.empty())
    if (auto made = ws.make_rootfs(settings.true_binary); !made) return made;
  Bench bench{settings, host, ws, floor_setup(host, ws.cgroup_root() + "/floor"), nullptr, nullptr, {}};
  report.host = host_line(host, bench.floor);
  report.limits = "limits: memory " + std::to_string(kMemoryBytes >> 20) + " MiB, pids " + std::to_string(kPids) +
                  ", cpu weight of " + std::to_string(static_cast<int>(kCpus)) + " CPU; root file systems " +
                  (settings.read_only_root
                       ? "read-only (ours: the image bound read-only; crun and runc: root.readonly)"
                       : "writable (ours: an overlay over the image; crun and runc: the bundle's own directory)");
  report.warmup = static_cast<int>(settings.warmup);
  report.rounds = static_cast<int>(settings.rounds);

  if (bench.wanted("baseline"))
    bench.runners.push_back(runner("baseline", "baseline: fork+exec (no namespaces)", settings.count,
                                   [](int) { return fork_exec_true("/bin/true"); }, ""));
  if (bench.wanted("floor")) bench.add_floor();
  if (bench.wanted("library") || bench.wanted("rootfs")) bench.add_library();
  if (bench.wanted("cli")) bench.add_cli();
  bench.add_runtimes();

  run_rounds(bench.runners, settings.rounds, settings.warmup);
  for (auto& r : bench.runners) report.rows.push_back(std::move(r.row));
  add_crun_net(report);
  return {};
}

std::string next_to_self(const std::string& relative) {
  std::error_code error;
  const auto self = fs::read_symlink("/proc/self/exe", error);
  if (error) return relative;
  return (self.parent_path() / relative).lexically_normal().string();
}

Result<std::set<std::string>> parse_rows(const std::string& text) {
  std::set<std::string> rows;
  std::istringstream in(text);
  for (std::string row; std::getline(in, row, ',');) {
    if (!kAllRows.count(row)) return Error{"unknown row '" + row + "' (baseline,floor,library,rootfs,cli,crun,runc)"};
    rows.insert(row);
  }
  if (rows.empty()) return Error{"no rows"};
  return rows;
}

}  // namespace
}  // namespace dcos::bench

int main(int argc, char** argv) {
  using namespace dcos::bench;
  Settings settings;
  settings.container_binary = next_to_self("../isolation/dcos-container");
  settings.true_binary = next_to_self("container-launch-true");
  std::string rows = "baseline,floor,library,rootfs,cli,crun,runc";
  dcos::FlagSet flags("container-launch-bench",
                      "Launches /bin/true in containers, sequentially: ours (library and CLI) against the kernel's "
                      "floor, crun and runc, in one run. Needs root.");
  flags.add("count", "Launches per row (baseline, floor, ours, crun)", &settings.count);
  flags.add("runc_count", "Launches of runc (slow)", &settings.runc_count);
  flags.add("warmup", "Unmeasured launches before each row", &settings.warmup);
  flags.add("rounds", "Each row's launches in this many slices, the rows taking turns (1: row after row)",
            &settings.rounds);
  flags.add("rows", "Rows to measure, comma-separated", &rows);
  flags.add("container_binary", "The dcos-container to run for the CLI row", &settings.container_binary);
  flags.add("true_binary", "A static program exiting 0, /bin/true of the root file system", &settings.true_binary);
  flags.add("read_only_root",
            "Read-only root file systems: ours without a copy-on-write layer, crun's and runc's with root.readonly",
            &settings.read_only_root);
  flags.add("json", "Print one JSON object on stdout (the table goes to stderr)", &settings.json);
  if (auto parsed = flags.parse(argc, argv, environ); !parsed) {
    std::cerr << "container-launch-bench: " << parsed.error().message << "\n";
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.usage();
    return 0;
  }
  auto selected = parse_rows(rows);
  if (!selected) {
    std::cerr << "container-launch-bench: bad value for --rows: " << selected.error().message << "\n";
    return 2;
  }
  settings.rows = *selected;
  if (settings.count < 1 || settings.count > 100000 || settings.runc_count < 1 || settings.runc_count > 100000 ||
      settings.warmup < 0 || settings.warmup > 1000 || settings.rounds < 1 || settings.rounds > 1000) {
    std::cerr << "container-launch-bench: --count and --runc_count must be 1-100000, --warmup 0-1000, --rounds 1-1000\n";
    return 2;
  }
  if (::geteuid() != 0) {
    std::cerr << "container-launch-bench: needs root (it makes cgroups and namespaces); run it as root\n";
    return 1;
  }
  if (::access(settings.true_binary.c_str(), X_OK) != 0) {
    std::cerr << "container-launch-bench: no static true program at '" << settings.true_binary
              << "': the rootfs, crun and runc rows are skipped\n";
    settings.true_binary.clear();
  }
  auto host = dcos::isolation::detect_host_cgroups();
  if (!host) {
    std::cerr << "container-launch-bench: " << host.error().message << "\n";
    return 1;
  }
  std::signal(SIGINT, [](int) { interrupted = true; });
  std::signal(SIGTERM, [](int) { interrupted = true; });
  std::signal(SIGHUP, [](int) { interrupted = true; });

  Report report;
  {
    Workspace workspace(*host);
    if (auto done = run_all(settings, *host, workspace, report); !done) {
      std::cerr << "container-launch-bench: " << done.error().message << "\n";
      return 1;
    }
  }  // everything made is removed here, before the report
  if (settings.json) std::cout << to_json(report).dump() << std::endl;
  print_table(settings.json ? std::cerr : std::cout, report);
  if (interrupted) {
    std::cerr << "container-launch-bench: interrupted; the table holds what was measured\n";
    return 130;
  }
  for (const auto& row : report.rows)
    if (!row.failed.empty()) return 1;
  return 0;
}
