// registration-bench: how fast a real dcos-master admits agents, and what
// each admitted agent costs it in memory.
//
// For each agent count (--agents, default 1000 and 10000) it starts a fresh
// dcos-master process on a free loopback port, waits for GET /health, then
// registers that many simulated agents over real loopback TCP: in-process
// coroutines on one io_context and one thread, each one connect_framed(),
// RegisterAgent with a realistic AgentInfo, and a wait for AgentRegistered.
// At most --concurrency agents are between connect and AgentRegistered at a
// time, so the listen backlog is not what is measured. The connections stay
// open until the run is over, so /master/state must list every agent active.
//
// Measured: wall time from the first connect to the last AgentRegistered
// (registrations/s, per-agent latency), and the master's VmRSS before the
// agents and after the last registration (KiB per agent).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "bench/daemon_process.hpp"
#include "runtime/connection.hpp"
#include "runtime/flags.hpp"
#include "runtime/http_client.hpp"
#include "runtime/resources.hpp"

namespace dcos::bench {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

// Mesos 1.5: 10,000 agents re-registered 4.5 s after a new leader (BRIEF.md).
constexpr double kMesosReregisterSeconds = 4.5;
constexpr std::size_t kMesosAgents = 10000;
constexpr std::size_t kMaxAgents = 50000;
constexpr const char* kResources = "cpus:4;mem:16384;disk:100000;ports:[31000-32000]";

std::atomic<bool> interrupted{false};

struct Settings {
  std::string master_binary;
  std::vector<std::size_t> agent_counts;
  std::size_t concurrency = 256;
  Clock::time_point deadline;
  bool json = false;
};

struct RunResult {
  std::size_t agents = 0;
  double seconds = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  long rss_before_kib = 0, rss_after_kib = 0;
  uint64_t registry_writes = 0;
};

// The simulated agents of one run, all on one io thread.
struct Swarm {
  asio::io_context io{1};
  uint16_t port = 0;
  std::size_t agents = 0;
  mesos::v1::AgentInfo info;  // hostname and attributes filled in per agent
  std::vector<std::shared_ptr<net::Connection>> connections;
  std::vector<double> latencies_ms;
  std::size_t next = 0;
  std::size_t workers = 0;
  std::size_t failures = 0;
  std::string first_error;
  Clock::time_point last_registered;
};

asio::awaitable<Result<std::shared_ptr<net::Connection>>> register_agent(Swarm& swarm, std::size_t index) {
  net::ConnectionOptions options;
  options.idle_timeout = std::chrono::seconds(30);  // bounds the wait for AgentRegistered
  auto connection = co_await net::connect_framed(swarm.io.get_executor(), "127.0.0.1", swarm.port, "agent", options);
  if (!connection) co_return connection.error();

  internal::Envelope message;
  auto* agent = message.mutable_register_agent()->mutable_agent();
  *agent = swarm.info;
  agent->set_hostname("sim-" + std::to_string(index));
  auto attributes = parse_attributes("rack:r" + std::to_string(index % 40) + ";zone:z" + std::to_string(index % 3));
  if (!attributes) co_return attributes.error();
  for (auto& attribute : *attributes) *agent->add_attributes() = std::move(attribute);
  (*connection)->send(message);

  auto reply = co_await (*connection)->receive();
  if (!reply) co_return Error{"waiting for AgentRegistered: " + reply.error().message};
  if (reply->has_registration_refused()) co_return Error{"refused: " + reply->registration_refused().reason()};
  if (!reply->has_agent_registered()) co_return Error{"expected agent_registered, got " + wire::body_name(*reply)};
  co_return std::move(*connection);
}

asio::awaitable<void> agent_worker(Swarm& swarm) {
  while (swarm.next < swarm.agents && swarm.failures == 0 && !interrupted) {
    const std::size_t index = swarm.next++;
    const auto started = Clock::now();
    auto connection = co_await register_agent(swarm, index);
    if (!connection) {
      if (swarm.failures++ == 0)
        swarm.first_error = "agent sim-" + std::to_string(index) + ": " + connection.error().message;
      break;
    }
    swarm.last_registered = Clock::now();
    swarm.latencies_ms.push_back(std::chrono::duration<double, std::milli>(swarm.last_registered - started).count());
    swarm.connections[index] = std::move(*connection);
  }
  --swarm.workers;
}

double percentile(std::vector<double> sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

// The number after `name ` on its own line of a Prometheus text page.
uint64_t metric_value(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(name + " ")) return std::strtoull(line.c_str() + name.size() + 1, nullptr, 10);
  return 0;
}

std::chrono::milliseconds remaining(Clock::time_point deadline, std::chrono::milliseconds cap) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::clamp(left, std::chrono::milliseconds(1), cap);
}

// /master/state must list exactly `agents` agents, all active.
Result<void> check_state(uint16_t port, std::size_t agents, Clock::time_point deadline) {
  auto reply = http::get("127.0.0.1", port, "/master/state", remaining(deadline, std::chrono::seconds(30)));
  if (!reply) return reply.error();
  if (reply->status != 200) return Error{"GET /master/state answered " + std::to_string(reply->status)};
  const json state = json::parse(reply->body, nullptr, false);
  if (state.is_discarded()) return Error{"GET /master/state: body is not JSON"};
  const auto active = state.value("activated_slaves", json(-1)).get<long>();
  const auto listed = state.contains("slaves") ? state["slaves"].size() : 0;
  if (active != static_cast<long>(agents) || listed != agents)
    return Error{"/master/state reports " + std::to_string(active) + " active agents and lists " +
                 std::to_string(listed) + ", expected " + std::to_string(agents)};
  return {};
}

Result<RunResult> run(const Settings& settings, std::size_t agents, const mesos::v1::AgentInfo& info) {
  auto started = DaemonProcess::start(settings.master_binary, {"--agent_ping_timeout=1mins"});
  if (!started) return started.error();
  DaemonProcess& master = **started;
  auto fail = [&master](const std::string& what) {
    return Error{what + "\nmaster log (last lines):\n" + master.log_tail(8)};
  };
  if (auto healthy = master.wait_healthy(std::min(settings.deadline, Clock::now() + std::chrono::seconds(30)));
      !healthy)
    return fail(healthy.error().message);

  RunResult result;
  result.agents = agents;
  auto before = master.rss_kib();
  if (!before) return fail(before.error().message);
  result.rss_before_kib = *before;

  Swarm swarm;
  swarm.port = master.port();
  swarm.agents = agents;
  swarm.info = info;
  swarm.connections.resize(agents);
  swarm.latencies_ms.reserve(agents);
  swarm.workers = std::min(settings.concurrency, agents);
  const auto first_connect = Clock::now();
  for (std::size_t i = 0; i < swarm.workers; ++i) asio::co_spawn(swarm.io, agent_worker(swarm), asio::detached);
  // Bounded by the deadline; slices so an interrupt is seen within 100 ms.
  while (swarm.workers > 0 && Clock::now() < settings.deadline && !interrupted)
    swarm.io.run_for(remaining(settings.deadline, std::chrono::milliseconds(100)));
  const std::size_t registered = swarm.latencies_ms.size();
  auto after = master.rss_kib();

  if (interrupted) return fail("interrupted after " + std::to_string(registered) + " registrations");
  if (swarm.failures > 0)
    return fail(std::to_string(swarm.failures) + " registrations failed after " + std::to_string(registered) +
                " succeeded; first: " + swarm.first_error);
  if (registered != agents)
    return fail("timed out: " + std::to_string(registered) + " of " + std::to_string(agents) + " agents registered");
  if (!after) return fail(after.error().message);
  result.rss_after_kib = *after;
  result.seconds = std::chrono::duration<double>(swarm.last_registered - first_connect).count();
  std::sort(swarm.latencies_ms.begin(), swarm.latencies_ms.end());
  result.p50_ms = percentile(swarm.latencies_ms, 0.50);
  result.p99_ms = percentile(swarm.latencies_ms, 0.99);
  result.max_ms = swarm.latencies_ms.back();

  if (auto state = check_state(master.port(), agents, settings.deadline); !state) return fail(state.error().message);
  const auto metrics_timeout = remaining(settings.deadline, std::chrono::seconds(10));
  if (auto metrics = http::get("127.0.0.1", master.port(), "/metrics", metrics_timeout))
    result.registry_writes = metric_value(metrics->body, "dcos_master_registry_writes_total");

  for (auto& connection : swarm.connections)
    if (connection) connection->close();
  swarm.io.poll();
  if (auto stopped = master.stop(); !stopped) return fail(stopped.error().message);
  return result;
}

double per_agent_kib(const RunResult& r) {
  return static_cast<double>(r.rss_after_kib - r.rss_before_kib) / static_cast<double>(r.agents);
}

json to_json(const RunResult& r, std::size_t concurrency) {
  json out = {{"benchmark", "registration"},
              {"agents", r.agents},
              {"concurrency", concurrency},
              {"seconds", r.seconds},
              {"registrations_per_second", static_cast<double>(r.agents) / r.seconds},
              {"latency_ms", {{"p50", r.p50_ms}, {"p99", r.p99_ms}, {"max", r.max_ms}}},
              {"master_rss_kib", {{"before", r.rss_before_kib}, {"after", r.rss_after_kib}}},
              {"rss_per_agent_kib", per_agent_kib(r)},
              {"registry_writes", r.registry_writes}};
  if (r.agents == kMesosAgents) {
    out["peer"] = {{"name", "Mesos 1.5, 10,000 agents re-registered after failover (published, not measured here)"},
                   {"seconds", kMesosReregisterSeconds},
                   {"ratio", kMesosReregisterSeconds / r.seconds}};
  }
  return out;
}

void print_table(std::ostream& out, const std::vector<RunResult>& results, std::size_t concurrency) {
  char line[256];
  out << "dcos-master registration, simulated agents over loopback TCP (" << concurrency << " in flight)\n";
  std::snprintf(line, sizeof line, "%8s %9s %11s %8s %8s %8s %12s %12s %10s %8s\n", "agents", "wall s", "regs/s",
                "p50 ms", "p99 ms", "max ms", "RSS before", "RSS after", "per agent", "writes");
  out << line;
  for (const auto& r : results) {
    std::snprintf(line, sizeof line, "%8zu %9.3f %11.0f %8.2f %8.2f %8.2f %8ld KiB %8ld KiB %6.2f KiB %8llu\n",
                  r.agents, r.seconds, static_cast<double>(r.agents) / r.seconds, r.p50_ms, r.p99_ms, r.max_ms,
                  r.rss_before_kib, r.rss_after_kib, per_agent_kib(r),
                  static_cast<unsigned long long>(r.registry_writes));
    out << line;
  }
  for (const auto& r : results) {
    if (r.agents != kMesosAgents) continue;
    const double ratio = kMesosReregisterSeconds / r.seconds;
    std::snprintf(line, sizeof line,
                  "10,000 agents registered in %.3f s: %.1f s / %.3f s = %.2f, %.2fx %s than the Mesos 1.5 figure "
                  "(10,000 agents re-registered after a failover in %.1f s; published, not measured here)\n",
                  r.seconds, kMesosReregisterSeconds, r.seconds, ratio, ratio >= 1 ? ratio : 1 / ratio,
                  ratio >= 1 ? "faster" : "slower", kMesosReregisterSeconds);
    out << line;
  }
}

Result<std::vector<std::size_t>> parse_counts(const std::string& text) {
  std::vector<std::size_t> counts;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || n == 0 || n > kMaxAgents)
      return Error{"'" + item + "' is not an agent count (1-" + std::to_string(kMaxAgents) + ")"};
    counts.push_back(n);
  }
  if (counts.empty()) return Error{"no agent count"};
  return counts;
}

// Each agent holds one socket here and one in the master, which inherits this limit.
Result<void> raise_open_files(std::size_t agents) {
  const rlim_t needed = agents + 1024;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return errno_error("getrlimit(RLIMIT_NOFILE)");
  if (limit.rlim_cur >= needed) return {};
  limit.rlim_cur = needed;
  limit.rlim_max = std::max(limit.rlim_max, needed);
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
    return errno_error("setrlimit(RLIMIT_NOFILE, " + std::to_string(needed) + ")");
  return {};
}

std::string default_master_binary() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "daemons/master/dcos-master";
  return (self.parent_path().parent_path() / "daemons/master/dcos-master").string();
}

}  // namespace
}  // namespace dcos::bench

int main(int argc, char** argv) {
  using namespace dcos::bench;
  Settings settings;
  settings.master_binary = default_master_binary();
  std::string agents_text = "1000,10000";
  int64_t concurrency = 256;
  dcos::Duration timeout = std::chrono::seconds(120);

  dcos::FlagSet flags("registration-bench", "Registers simulated agents with a real dcos-master and measures it.");
  flags.add("master_binary", "The dcos-master to start", &settings.master_binary);
  flags.add("agents", "Agent counts, one run each, comma-separated", &agents_text);
  flags.add("concurrency", "Agents between connect and AgentRegistered at a time", &concurrency);
  flags.add("timeout", "Bound on the whole benchmark", &timeout);
  flags.add("json", "Print one JSON object per run on stdout (the table goes to stderr)", &settings.json);
  if (auto parsed = flags.parse(argc, argv, environ); !parsed) {
    std::cerr << "registration-bench: " << parsed.error().message << "\n";
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.usage();
    return 0;
  }
  auto counts = parse_counts(agents_text);
  if (!counts) {
    std::cerr << "registration-bench: bad value for --agents: " << counts.error().message << "\n";
    return 2;
  }
  if (concurrency < 1 || concurrency > 4096 || timeout <= dcos::Duration::zero()) {
    std::cerr << "registration-bench: --concurrency must be 1-4096 and --timeout positive\n";
    return 2;
  }
  settings.agent_counts = *counts;
  settings.concurrency = static_cast<std::size_t>(concurrency);
  settings.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);

  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, [](int) { interrupted = true; });
  std::signal(SIGTERM, [](int) { interrupted = true; });
  if (auto raised = raise_open_files(*std::max_element(counts->begin(), counts->end())); !raised) {
    std::cerr << "registration-bench: " << raised.error().message << "\n";
    return 1;
  }
  auto resources = dcos::parse_resources(kResources);
  if (!resources) {
    std::cerr << "registration-bench: resources: " << resources.error().message << "\n";
    return 1;
  }
  mesos::v1::AgentInfo info;
  info.set_port(5051);
  for (const auto& resource : *resources) *info.add_resources() = resource;

  std::vector<RunResult> results;
  for (const std::size_t agents : settings.agent_counts) {
    std::cerr << "registering " << agents << " agents with " << settings.master_binary << " ...\n";
    auto result = run(settings, agents, info);
    if (!result) {
      std::cerr << "registration-bench: run with " << agents << " agents failed: " << result.error().message << "\n";
      return 1;
    }
    if (settings.json) std::cout << to_json(*result, settings.concurrency).dump() << std::endl;
    results.push_back(*result);
  }
  print_table(settings.json ? std::cerr : std::cout, results, settings.concurrency);
  return 0;
}
