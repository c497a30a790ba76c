#include "isolation/tool/container_cli.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "isolation/linux_containerizer.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/flags.hpp"
#include "runtime/ids.hpp"

namespace dcos::isolation::tool {
namespace {

constexpr const char* kSummary =
    "The containerizer alone: runs one command in a container (cgroup, namespaces, seccomp) and exits\n"
    "with its status (128+N for signal N; 125 if it could not start).\n"
    "\n"
    "  dcos-container run [FLAGS] -- CMD [ARGS]";

constexpr int kCannotStart = 125;

struct Options {
  std::string id;
  double cpus = 0, cpu_quota = 0;
  int64_t mem_mb = 0, mem_high_mb = 0, pids = 0, io_weight = 0;
  std::string hostname, rootfs, seccomp_profile, network = "host", user, caps = "default";
  std::vector<std::string> env, rlimits;
  std::string sandbox;
  bool keep_sandbox = false;
  bool read_only = false;
  int64_t log_max_bytes = 10 << 20;
  std::string runtime_dir = "/run/dcos-container", image_cache = "/var/lib/dcos/images",
              scratch_dir = "/var/lib/dcos-container/containers", cgroups_root = "/dcos-container";
  bool json = false;
};

Result<ContainerSpec> spec_from(const Options& options, const std::vector<std::string>& command) {
  ContainerSpec spec;
  spec.id = options.id;
  spec.argv = command;
  spec.env = options.env;
  spec.sandbox = options.sandbox;
  spec.hostname = options.hostname;
  spec.rootfs = options.rootfs;
  spec.rootfs_read_only = options.read_only;
  spec.user = options.user;
  spec.rlimits = options.rlimits;
  spec.log_max_bytes = static_cast<uint64_t>(std::max<int64_t>(options.log_max_bytes, 0));
  if (options.network != "host" && options.network != "none")
    return Error{"--network must be 'host' or 'none', not '" + options.network + "'"};
  spec.new_network = options.network == "none";
  if (options.cpus != 0) spec.limits.cpus = options.cpus;
  if (options.cpu_quota != 0) spec.limits.cpu_quota = options.cpu_quota;
  if (options.mem_mb < 0 || options.mem_high_mb < 0 || options.pids < 0 || options.io_weight < 0)
    return Error{"--mem, --mem-high, --pids and --io-weight take positive numbers"};
  if (options.mem_mb > 0) spec.limits.memory_max = static_cast<uint64_t>(options.mem_mb) << 20;
  if (options.mem_high_mb > 0) spec.limits.memory_high = static_cast<uint64_t>(options.mem_high_mb) << 20;
  if (options.pids > 0) spec.limits.pids_max = static_cast<uint64_t>(options.pids);
  if (options.io_weight > 0)
    spec.limits.io_weight = static_cast<uint32_t>(std::min<int64_t>(options.io_weight, 100000));
  if (options.caps != "default") {
    auto caps = capabilities::parse_list(options.caps);
    if (!caps) return Error{"--caps: " + caps.error().message};
    spec.capabilities = *caps;
  }
  if (options.seccomp_profile == "unconfined") {
    spec.seccomp_profile = "unconfined";
  } else if (!options.seccomp_profile.empty()) {
    auto text = read_file(options.seccomp_profile);
    if (!text) return Error{"--seccomp-profile: " + text.error().message};
    spec.seccomp_profile = std::move(*text);
  }
  return spec;
}

// Copies what was appended to a log file since `offset` to `out`. A file
// that shrank was rotated: start it over.
void follow(const std::string& path, off_t& offset, std::ostream& out) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) < 0) return;
  if (st.st_size < offset) offset = 0;
  char buffer[65536];
  ssize_t n;
  while ((n = ::pread(fd.get(), buffer, sizeof buffer, offset)) > 0) {
    out.write(buffer, n);
    offset += n;
  }
  out.flush();
}

nlohmann::json report_json(const ContainerInfo& info, const Termination& t, std::chrono::milliseconds duration,
                           bool sandbox_kept) {
  nlohmann::json usage = {
      {"cpu_time_us", t.usage.cpu_time.count()},
      {"cpu_throttled_periods", t.usage.cpu_throttled_periods},
      {"memory_current_bytes", t.usage.memory_current},
      {"memory_peak_bytes", t.usage.memory_peak ? nlohmann::json(*t.usage.memory_peak) : nlohmann::json()},
      {"pids_current", t.usage.pids_current},
      {"oom_kills", t.usage.oom_kills},
  };
  return {
      {"id", info.id},
      {"exit_code", t.exit_code ? nlohmann::json(*t.exit_code) : nlohmann::json()},
      {"signal", t.signal ? nlohmann::json(*t.signal) : nlohmann::json()},
      {"oom_killed", t.oom_killed},
      {"message", t.message},
      {"duration_ms", duration.count()},
      {"sandbox", sandbox_kept ? nlohmann::json(info.sandbox) : nlohmann::json()},
      {"cgroup", info.cgroup},
      {"usage", usage},
  };
}

int exit_status_of(const Termination& t) {
  if (t.exit_code) return *t.exit_code;
  if (t.signal) return 128 + *t.signal;
  return kCannotStart;
}

int run_container(Options options, const std::vector<std::string>& command, std::ostream& out, std::ostream& err) {
  auto fail = [&err](const std::string& message) {
    err << "dcos-container: " << message << "\n";
    return kCannotStart;
  };
  if (command.empty()) return fail("no command given: dcos-container run [FLAGS] -- CMD [ARGS]");
  if (options.id.empty()) options.id = "c-" + random_uuid().substr(0, 8);
  bool made_sandbox = false;
  if (options.sandbox.empty()) {
    std::string dir = "/tmp/dcos-container-" + options.id + "-XXXXXX";
    if (!::mkdtemp(dir.data())) return fail("mkdtemp '" + dir + "': " + std::strerror(errno));
    options.sandbox = dir;
    made_sandbox = true;
  }
  const bool keep = options.keep_sandbox || !made_sandbox;
  auto cleanup_sandbox = [&] {
    std::error_code ignored;
    if (!keep) std::filesystem::remove_all(options.sandbox, ignored);
  };
  auto spec = spec_from(options, command);
  if (!spec) {
    cleanup_sandbox();
    return fail(spec.error().message);
  }
  LinuxContainerizerOptions containerizer_options;
  containerizer_options.runtime_dir = options.runtime_dir;
  containerizer_options.image_cache = options.image_cache;
  containerizer_options.scratch_dir = options.scratch_dir;
  containerizer_options.cgroups_root = options.cgroups_root;
  auto containerizer = LinuxContainerizer::create(containerizer_options);
  if (!containerizer) {
    cleanup_sandbox();
    return fail(containerizer.error().message);
  }

  // Ctrl-C or a TERM destroys the container rather than leaving it behind.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  sigset_t previous;
  ::sigprocmask(SIG_BLOCK, &signals, &previous);
  UniqueFd signal_fd(::signalfd(-1, &signals, SFD_CLOEXEC));

  const auto started = std::chrono::steady_clock::now();
  auto info = (*containerizer)->launch(*spec);
  if (!info) {
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    cleanup_sandbox();
    return fail(info.error().message);
  }
  auto ended = (*containerizer)->ended_fd(info->id);
  off_t out_offset = 0, err_offset = 0;
  for (bool done = false; !done;) {
    pollfd fds[2] = {{*ended, POLLIN, 0}, {signal_fd.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, options.json ? -1 : 50);
    if (ready < 0 && errno != EINTR) break;
    done = fds[0].revents != 0;
    if (fds[1].revents) {
      signalfd_siginfo info_signal{};
      // Which signal it was does not matter: any of them destroys the container.
      if (::read(signal_fd.get(), &info_signal, sizeof info_signal) < 0) {
      }
      if (auto destroyed = (*containerizer)->destroy(info->id); !destroyed) fail(destroyed.error().message);
    }
    if (!options.json) {
      follow(options.sandbox + "/stdout", out_offset, out);
      follow(options.sandbox + "/stderr", err_offset, err);
    }
  }
  auto termination = (*containerizer)->wait(info->id);
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  const auto duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  cleanup_sandbox();
  if (!termination) return fail(termination.error().message);
  if (options.json) {
    out << report_json(*info, *termination, duration, keep).dump(2) << "\n";
  } else if (termination->oom_killed || termination->signal) {
    err << "dcos-container: " << info->id << ": " << termination->message << "\n";
  }
  return exit_status_of(*termination);
}

}  // namespace

int run(int argc, const char* const* argv, const char* const* /*environment*/, std::ostream& out, std::ostream& err) {
  Options o;
  FlagSet flags("dcos-container", kSummary);
  flags.add("id", "Container id (default: a random one)", &o.id);
  flags.add("cpus", "CPU share, in CPUs (cpu.weight / cpu.shares)", &o.cpus);
  flags.add("cpu-quota", "Hard CPU cap, in CPUs (cpu.max / cfs_quota_us)", &o.cpu_quota);
  flags.add("mem", "Memory limit in MB; the OOM killer ends the container past it", &o.mem_mb);
  flags.add("mem-high", "Memory high watermark in MB (throttles and reclaims above it)", &o.mem_high_mb);
  flags.add("pids", "Most processes and threads at once", &o.pids);
  flags.add("io-weight", "IO weight 1-10000, where the host has the controller", &o.io_weight);
  flags.add("hostname", "Hostname in the container (default: the id)", &o.hostname);
  flags.add("rootfs", "Root file system: a directory or a tarball (default: the host's)", &o.rootfs);
  flags.add("read-only", "With --rootfs: the image itself as the root, read-only (no copy-on-write layer)",
            &o.read_only);
  flags.add("seccomp-profile", "Docker-format seccomp JSON file, or 'unconfined' (default: built-in)",
            &o.seccomp_profile);
  flags.add("network", "'host' (the host's network) or 'none' (a namespace with loopback only)", &o.network);
  flags.add("user", "User to run as: name, uid, or either with :group", &o.user);
  flags.add("caps", "Capabilities, comma-separated (CHOWN,KILL,...), 'ALL', '' or 'default' (Docker's)", &o.caps);
  flags.add("env", "NAME=value for the command's environment", &o.env);
  flags.add("rlimit", "NAME=SOFT[:HARD], e.g. nofile=1024:4096", &o.rlimits);
  flags.add("sandbox", "Working directory on the host; stdout and stderr land here (default: a temporary one)",
            &o.sandbox);
  flags.add("keep-sandbox", "Keep the temporary sandbox", &o.keep_sandbox);
  flags.add("log-max-bytes", "Bound of stdout and stderr each before rotating to .1 (0: none)", &o.log_max_bytes);
  flags.add("runtime-dir", "Where container state lives", &o.runtime_dir);
  flags.add("image-cache", "Where tarball images are unpacked", &o.image_cache);
  flags.add("scratch-dir", "Where a container with --rootfs keeps what it writes to its root", &o.scratch_dir);
  flags.add("cgroups-root", "Parent cgroup of the containers, in each hierarchy", &o.cgroups_root);
  flags.add("json", "Print a JSON report (exit status, signal, OOM, usage) instead of the output", &o.json);

  flags.allow_spaced_values();  // the brief's interface uses "--cpus 2"
  const char* const no_environment[] = {nullptr};
  if (auto parsed = flags.parse(argc, argv, no_environment); !parsed) {
    err << "dcos-container: " << parsed.error().message << "\n";
    return kCannotStart;
  }
  if (flags.help_requested()) {
    out << flags.usage();
    return 0;
  }
  const auto& words = flags.positional();
  if (words.empty() || words[0] != "run") {
    err << "dcos-container: " << (words.empty() ? "no command given" : "unknown command '" + words[0] + "'")
        << ", e.g. 'dcos-container run -- /bin/true' (see --help)\n";
    return kCannotStart;
  }
  return run_container(o, std::vector<std::string>(words.begin() + 1, words.end()), out, err);
}

}  // namespace dcos::isolation::tool
