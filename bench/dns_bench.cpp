// dns-bench: dcos-dns against unbound (the brief's peer for the goals) and
// dnsmasq, on the same names in the same run, each server on one core of
// its own.
//
// Cluster names: a real dcos-master and dcos-agent (bench/bench_cluster.hpp)
// run --tasks named tasks (`sleep` in containers, each with a host port and
// a DiscoveryInfo port); dcos-dns follows the master. Its answers to every
// name of the query set (each task's A and SRV names, leader, master and
// agent; 1,003 with the default 500 tasks) are read with `dig` and handed
// to unbound as local-data of a static `mesos.` zone and to dnsmasq as its
// host and SRV records, so every server gives the same answers to the same
// questions. A load generator (on the other core) then asks each server the whole
// set over and over for --seconds, --rounds times, servers alternating;
// the best round of each counts. Two load generators take turns
// (--generators): dnsperf (the brief's) and dns-load (bench/dns_load.hpp,
// ours: sendmmsg/recvmmsg and prebuilt packets, so it needs less of its
// core per query than dnsperf, which on 2 cores saturates its own core
// before the server's). Each round also reads the server process's own CPU
// time (/proc/<pid>/stat utime + stime) over the run: queries per
// core-second is the figure that does not depend on which side ran out.
// Latency is measured apart, every server offered the same rate: by
// default --latency_load (0.6) of unbound's best rate with that generator,
// a loaded server, where p99 tells servers apart (at a few thousand
// queries per second it is this machine's scheduling noise: 0.09-0.89 ms,
// which server was lower changing from run to run); --latency_qps fixes
// the rate instead. Each generator measures it (dnsperf's per-query lines,
// dns-load's histogram), also --rounds times alternating, the round with
// the least p99 of each counting (a burst of other work on the machine
// should not decide it). dnsmasq, the slowest, may not carry that rate:
// its p99 then is an overloaded server's. How busy both cores were in the
// best round is printed: a client core near 100% means the rate is the
// generator's ceiling, not the server's.
//
// Forwarded names (cached): an upstream unbound holds --forwarded names in
// a static zone; dcos-dns --upstream, an unbound forwarding to it
// (forward-zone ".") and a dnsmasq (server=) are warmed with one pass over
// the names, then measured the same way. Skipped, and said so, if dcos-dns
// does not forward (it answers REFUSED).
//
// Root only (the agent runs containers). Needs dnsperf, unbound, dnsmasq,
// dig and taskset, and dns-load (built beside it). Everything it starts is
// stopped and removed at the end, also on failure; every wait is bounded by
// --timeout.
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_cluster.hpp"
#include "bench/daemon_process.hpp"
#include "bench/dns_peers.hpp"
#include "bench/http_scheduler.hpp"
#include "runtime/daemon_flags.hpp"
#include "runtime/flags.hpp"

namespace dcos::bench {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

constexpr const char* kFramework = "dns-bench";

struct Settings {
  std::string master_binary, agent_binary, dns_binary, load_binary;
  int64_t tasks = 500;
  int64_t forwarded = 1000;
  int64_t seconds = 8;
  int64_t rounds = 2;
  int64_t clients = 4;
  int64_t latency_qps = 0;     // 0: latency_load of unbound's rate
  double latency_load = 0.6;
  int64_t in_flight = 200;  // dns-load's
  std::vector<std::string> generators = {"dnsperf", "dns-load"};
  Clock::time_point deadline;
  bool json = false;
};

// One server measured with one generator: the best round's rate (with
// the cores' load and the server's CPU time in it), and latency at a fixed
// rate (the round with the least p99).
struct Measured {
  Perf rate;
  double p50_ms = 0, p99_ms = 0;
};

struct Server {
  std::string name;  // "dcos-dns", "unbound", "dnsmasq"
  uint16_t port = 0;
  std::unique_ptr<DaemonProcess> process;
  std::vector<Measured> measured;  // by generator, as Settings::generators
};

struct Comparison {
  std::string what;  // "cluster names", "forwarded names (cached)"
  double goal = 1;   // the brief's: dcos-dns's rate over unbound's
  std::size_t names = 0;
  std::vector<Server> servers;  // dcos-dns first, then unbound, then dnsmasq
  std::string skipped;          // why, when not measured
  std::vector<int64_t> latency_qps{};  // by generator: the rate latency was measured at

  const Measured& of(std::string_view name, std::size_t generator) const {
    return std::find_if(servers.begin(), servers.end(), [&](const Server& s) { return s.name == name; })
        ->measured[generator];
  }
};

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The two cores: servers on the last, dnsperf on the first.
struct Cores {
  int client = 0, server = 0;
};
Result<Cores> pick_cores() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return errno_error("sched_getaffinity");
  std::vector<int> cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cores.push_back(cpu);
  if (cores.size() < 2) return Error{"needs two cores (one for the server, one for dnsperf); has " +
                                     std::to_string(cores.size())};
  return Cores{cores.front(), cores.back()};
}

// --- the cluster's tasks ----------------------------------------------------

mesos::v1::Resource scalar(const std::string& name, double value) {
  mesos::v1::Resource resource;
  resource.set_name(name);
  resource.set_type(mesos::v1::Value::SCALAR);
  resource.mutable_scalar()->set_value(value);
  return resource;
}

// Launches `count` tasks web-0..web-<count-1>, one host port each, and waits
// until all run.
asio::awaitable<Result<void>> launch_tasks(HttpScheduler& scheduler, int64_t count) {
  mesos::v1::FrameworkInfo framework;
  framework.set_user("root");
  framework.set_name(kFramework);
  if (auto subscribed = co_await scheduler.subscribe(framework); !subscribed) co_return subscribed.error();
  auto offer = co_await scheduler.next_offer();
  if (!offer) co_return offer.error();
  uint64_t port = 0, last_port = 0;
  for (const auto& resource : offer->resources())
    if (resource.name() == "ports" && resource.ranges().range_size() > 0) {
      port = resource.ranges().range(0).begin();
      last_port = resource.ranges().range(0).end();
    }
  if (port == 0 || last_port - port + 1 < static_cast<uint64_t>(count))
    co_return Error{"the offer has too few ports for " + std::to_string(count) + " tasks"};

  HttpScheduler::Call call;
  call.set_type(HttpScheduler::Call::ACCEPT);
  *call.mutable_accept()->add_offer_ids() = offer->id();
  auto* launch = call.mutable_accept()->add_operations();
  launch->set_type(mesos::v1::Offer::Operation::LAUNCH);
  for (int64_t i = 0; i < count; ++i, ++port) {
    auto* task = launch->mutable_launch()->add_task_infos();
    task->set_name("web-" + std::to_string(i));
    task->mutable_task_id()->set_value(task->name());
    *task->mutable_agent_id() = offer->agent_id();
    task->mutable_command()->set_value("sleep 3600");
    *task->add_resources() = scalar("cpus", 0.01);
    *task->add_resources() = scalar("mem", 8);
    auto* ports = task->add_resources();
    ports->set_name("ports");
    ports->set_type(mesos::v1::Value::RANGES);
    auto* range = ports->mutable_ranges()->add_range();
    range->set_begin(port);
    range->set_end(port);
    auto* discovery = task->mutable_discovery();
    discovery->set_visibility(mesos::v1::DiscoveryInfo::FRAMEWORK);
    discovery->set_name(task->name());
    auto* discovered = discovery->mutable_ports()->add_ports();
    discovered->set_number(static_cast<uint32_t>(port));
    discovered->set_name("http");
    discovered->set_protocol("tcp");
  }
  call.mutable_accept()->mutable_filters()->set_refuse_seconds(3600);
  scheduler.send(std::move(call));
  for (int64_t running = 0; running < count;) {
    auto update = co_await scheduler.next_update();
    if (!update) co_return update.error();
    if (update->state() == mesos::v1::TASK_RUNNING) ++running;
    else if (update->state() != mesos::v1::TASK_STARTING)
      co_return Error{"task " + update->task_id().value() + " is " + TaskState_Name(update->state())};
  }
  co_await scheduler.drain();
  co_return Result<void>{};
}

Result<void> run_tasks(asio::io_context& io, HttpScheduler& scheduler, int64_t count, Clock::time_point deadline) {
  std::optional<Result<void>> outcome;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { outcome.emplace(co_await launch_tasks(scheduler, count)); },
                 [&](std::exception_ptr error) {
                   if (error && !outcome) outcome.emplace(Error{"the framework threw"});
                 });
  while (!outcome && Clock::now() < deadline) io.run_for(std::chrono::milliseconds(200));
  if (!outcome) return Error{"the tasks did not all run in time"};
  return *outcome;
}

// --- the servers --------------------------------------------------------------

// The query set, one "name type" per line as dnsperf reads it.
std::vector<std::string> cluster_queries(int64_t tasks) {
  std::vector<std::string> queries = {"leader.mesos A", "master.mesos A", "agent.mesos A"};
  for (int64_t i = 0; i < tasks; ++i) {
    const std::string task = "web-" + std::to_string(i);
    queries.push_back(task + "." + kFramework + ".mesos A");
    queries.push_back("_" + task + "._tcp." + kFramework + ".mesos SRV");
  }
  return queries;
}

std::string lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += item + "\n";
  return out;
}

Result<std::unique_ptr<DaemonProcess>> start_dcos_dns(const Settings& settings, int core, uint16_t master_port,
                                                      const std::string& upstream, uint16_t* port) {
  auto free = free_loopback_port();
  auto http = free_loopback_port();
  if (!free) return free.error();
  if (!http) return http.error();
  *port = *free;
  auto dns = DaemonProcess::spawn("dns", *http, [&](const std::string&) {
    std::vector<std::string> argv = {"taskset", "-c", std::to_string(core), settings.dns_binary,
                                     "--master=127.0.0.1:" + std::to_string(master_port),
                                     "--listen=127.0.0.1:" + std::to_string(*port),
                                     "--http_port=" + std::to_string(*http), "--log_level=warning"};
    if (!upstream.empty()) argv.push_back("--upstream=" + upstream);
    return argv;
  });
  if (!dns) return dns.error();
  if (auto healthy = (*dns)->wait_healthy(settings.deadline); !healthy) return healthy.error();
  return dns;
}

// One round of one generator against one server: as fast as it goes, or
// paced to `qps`.
Result<Perf> load(const std::string& generator, const Server& server, const Cores& cores, const std::string& queries,
                  const Settings& settings, int64_t qps) {
  const pid_t pid = server.process->pid();
  if (generator == "dns-load")
    return dns_load_rate(settings.load_binary, cores.client, cores.server, pid, server.port, queries,
                         qps > 0 ? std::max<int64_t>(settings.seconds / 2, 2) : settings.seconds, settings.in_flight,
                         qps);
  if (qps == 0) return dnsperf_rate(cores.client, cores.server, pid, server.port, queries, settings.seconds,
                                    settings.clients);
  auto latency = dnsperf_latency(cores.client, server.port, queries, settings.seconds, qps);
  if (!latency) return latency.error();
  Perf perf;
  std::tie(perf.p50_ms, perf.p99_ms) = *latency;
  return perf;
}

// Every server with every generator, rounds alternating, the best round
// of each.
Result<void> measure(Comparison& comparison, const Cores& cores, const std::string& queries,
                     const Settings& settings) {
  for (auto& server : comparison.servers) server.measured.resize(settings.generators.size());
  for (int64_t round = 0; round < settings.rounds; ++round) {
    for (std::size_t g = 0; g < settings.generators.size(); ++g) {
      for (auto& server : comparison.servers) {
        auto perf = load(settings.generators[g], server, cores, queries, settings, 0);
        if (!perf) return Error{server.name + ", " + settings.generators[g] + ": " + perf.error().message};
        if (perf->qps > server.measured[g].rate.qps) server.measured[g].rate = *perf;
      }
    }
  }
  comparison.latency_qps.clear();
  for (std::size_t g = 0; g < settings.generators.size(); ++g) {
    const double unbound = comparison.of("unbound", g).rate.qps;
    comparison.latency_qps.push_back(settings.latency_qps > 0
                                         ? settings.latency_qps
                                         : std::max<int64_t>(100, std::llround(settings.latency_load * unbound)));
  }
  for (int64_t round = 0; round < settings.rounds; ++round) {
    for (std::size_t g = 0; g < settings.generators.size(); ++g) {
      for (auto& server : comparison.servers) {
        auto perf = load(settings.generators[g], server, cores, queries, settings, comparison.latency_qps[g]);
        if (!perf) return Error{server.name + ", " + settings.generators[g] + ": " + perf.error().message};
        Measured& m = server.measured[g];
        if (round == 0 || perf->p99_ms < m.p99_ms) std::tie(m.p50_ms, m.p99_ms) = std::pair{perf->p50_ms, perf->p99_ms};
      }
    }
  }
  return {};
}

// Starts the peers (unbound, then dnsmasq) with `start`, and waits until
// each answers `probe`.
template <class Start>
Result<void> add_peers(Comparison& comparison, const std::string& probe, Clock::time_point deadline, Start start) {
  for (const char* name : {"unbound", "dnsmasq"}) {
    Server server{name, 0, nullptr, {}};
    auto process = start(name, &server.port);
    if (!process) return Error{std::string(name) + ": " + process.error().message};
    server.process = std::move(*process);
    if (auto ready = wait_answers(server.port, probe, deadline); !ready)
      return Error{std::string(name) + ": " + ready.error().message + "\n" + server.process->log_tail(8)};
    comparison.servers.push_back(std::move(server));
  }
  return {};
}

// --- the two comparisons --------------------------------------------------------

Result<Comparison> cluster_names(const Settings& settings, const Cores& cores, BenchCluster& cluster,
                                 const std::string& dir) {
  Comparison comparison{"cluster names", 1.5, 0, {}, {}};
  Server ours{"dcos-dns", 0, nullptr, {}};
  auto dns = start_dcos_dns(settings, cores.server, cluster.master().port(), "", &ours.port);
  if (!dns) return cluster.fail("dcos-dns: " + dns.error().message);
  ours.process = std::move(*dns);
  const auto queries = cluster_queries(settings.tasks);
  if (auto ready = wait_answers(ours.port, queries.back(), settings.deadline); !ready)
    return cluster.fail(ready.error().message + "\ndcos-dns log:\n" + ours.process->log_tail(8));
  auto records = answers(ours.port, queries);
  if (!records) return records.error();
  comparison.names = queries.size();
  comparison.servers.push_back(std::move(ours));
  auto peers = add_peers(comparison, queries.back(), settings.deadline, [&](std::string_view name, uint16_t* port) {
    return name == "unbound" ? start_unbound("unbound", cores.server, "mesos.", *records, 0, port)
                             : start_dnsmasq(cores.server, "mesos", *records, 0, port);
  });
  if (!peers) return peers.error();
  auto file = write_file(dir + "/cluster-queries", lines(queries));
  if (!file) return file.error();
  if (auto done = measure(comparison, cores, *file, settings); !done) return done.error();
  for (auto& server : comparison.servers) server.process.reset();  // the core is the next run's
  return comparison;
}

Result<Comparison> forwarded_names(const Settings& settings, const Cores& cores, BenchCluster& cluster,
                                   const std::string& dir) {
  Comparison comparison{"forwarded names (cached)", 1.0, static_cast<std::size_t>(settings.forwarded), {}, {}};
  std::vector<std::string> queries, zone;
  for (int64_t i = 0; i < settings.forwarded; ++i) {
    const std::string name = "host-" + std::to_string(i) + ".bench.example.";
    queries.push_back(name + " A");
    zone.push_back(name + " 3600 IN A 192.0.2." + std::to_string(1 + i % 250));
  }
  // The upstream is not measured: after the warm-up pass no server asks it.
  uint16_t upstream_port = 0;
  auto upstream = start_unbound("upstream", cores.client, "bench.example.", zone, 0, &upstream_port);
  if (!upstream) return upstream.error();
  if (auto ready = wait_answers(upstream_port, queries.back(), settings.deadline); !ready) return ready.error();
  Server ours{"dcos-dns", 0, nullptr, {}};
  auto dns = start_dcos_dns(settings, cores.server, cluster.master().port(),
                            "127.0.0.1:" + std::to_string(upstream_port), &ours.port);
  if (!dns) return dns.error();
  ours.process = std::move(*dns);
  auto probe = run_command("dig @127.0.0.1 -p " + std::to_string(ours.port) + " +tries=1 +time=2 " + queries.front());
  if (!probe) return probe.error();
  if (probe->find("status: NOERROR") == std::string::npos) {
    comparison.skipped = "dcos-dns does not forward here (it did not answer " + queries.front() + " with NOERROR)";
    return comparison;
  }
  comparison.servers.push_back(std::move(ours));
  auto peers = add_peers(comparison, queries.back(), settings.deadline, [&](std::string_view name, uint16_t* port) {
    return name == "unbound" ? start_unbound("unbound", cores.server, "", {}, upstream_port, port)
                             : start_dnsmasq(cores.server, "", {}, upstream_port, port);
  });
  if (!peers) return peers.error();
  auto file = write_file(dir + "/forwarded-queries", lines(queries));
  if (!file) return file.error();
  for (const auto& server : comparison.servers)  // the warm-up pass
    if (auto warm = run_command("dnsperf -s 127.0.0.1 -p " + std::to_string(server.port) + " -d " + *file + " -n 1");
        !warm)
      return warm.error();
  if (auto done = measure(comparison, cores, *file, settings); !done) return done.error();
  for (auto& server : comparison.servers) server.process.reset();  // the core is the next run's
  return comparison;
}

// --- report -------------------------------------------------------------------------

// Queries answered per second of the server's own CPU time.
double per_core_second(const Perf& p) { return p.server_cpu > 0 ? p.qps * p.seconds / p.server_cpu : 0; }

json to_json(const std::vector<Comparison>& comparisons, const Settings& settings) {
  json out = {{"benchmark", "dns"}, {"peers", {"unbound", "dnsmasq"}}, {"results", json::array()}};
  for (const auto& c : comparisons) {
    json row = {{"what", c.what}, {"names", c.names}};
    if (!c.skipped.empty()) {
      row["skipped"] = c.skipped;
      out["results"].push_back(row);
      continue;
    }
    for (std::size_t g = 0; g < settings.generators.size(); ++g) {
      json by_generator;
      for (const auto& server : c.servers) {
        const Measured& m = server.measured[g];
        by_generator[server.name] = {{"qps", m.rate.qps},
                                     {"lost", m.rate.lost},
                                     {"p50_ms", m.p50_ms},
                                     {"p99_ms", m.p99_ms},
                                     {"client_busy", m.rate.client_busy},
                                     {"server_busy", m.rate.server_busy},
                                     {"server_us_per_query", m.rate.server_us_per_query()},
                                     {"queries_per_core_second", per_core_second(m.rate)}};
      }
      const Measured &ours = c.of("dcos-dns", g), &unbound = c.of("unbound", g), &dnsmasq = c.of("dnsmasq", g);
      by_generator["qps_ratio_to_unbound"] = ours.rate.qps / unbound.rate.qps;
      by_generator["qps_ratio_to_dnsmasq"] = ours.rate.qps / dnsmasq.rate.qps;
      by_generator["p99_ratio_to_unbound"] = ours.p99_ms / unbound.p99_ms;
      by_generator["latency_qps"] = c.latency_qps[g];
      by_generator["core_second_ratio_to_unbound"] = per_core_second(ours.rate) / per_core_second(unbound.rate);
      row[settings.generators[g]] = by_generator;
    }
    row["goal"] = {{"qps_ratio_to_unbound", c.goal}, {"p99_no_worse_than_unbound", true}};
    out["results"].push_back(row);
  }
  return out;
}

// Whether a round's rate was the generator's: its core full (95%) while
// the server's process used less than 90% of its own.
bool generator_bound(const Perf& perf) {
  return perf.client_busy >= 0.95 && perf.seconds > 0 && perf.server_cpu / perf.seconds < 0.9;
}

void print(std::ostream& out, const std::vector<Comparison>& comparisons, const Settings& s) {
  char line[320];
  out << "dcos-dns against unbound and dnsmasq, each pinned to one core, the load generator to the other"
         " (dnsperf: " << s.clients << " clients, 200 in flight; dns-load: " << s.in_flight
      << " in flight); best of " << s.rounds << " rounds of " << s.seconds << " s; p50/p99 at ";
  if (s.latency_qps > 0)
    out << s.latency_qps << " queries/s";
  else
    out << s.latency_load << " of unbound's rate with that generator";
  out << " (best p99 of " << s.rounds
      << " rounds).\n  cores s/c: the server's and the generator's core busy (/proc/stat) in the best round;"
         " cpu us/q: the server process's own CPU time (utime+stime) per answer; q/core-s: answers per second"
         " of it\n";
  std::snprintf(line, sizeof line, "  %-25s %-9s %-9s %10s %7s %8s %8s %9s %9s %10s\n", "names", "server",
                "generator", "queries/s", "lost", "p50 ms", "p99 ms", "cores s/c", "cpu us/q", "q/core-s");
  out << line;
  for (const auto& c : comparisons) {
    if (!c.skipped.empty()) {
      out << "  " << c.what << ": skipped: " << c.skipped << "\n";
      continue;
    }
    for (std::size_t g = 0; g < s.generators.size(); ++g)
      for (const auto& server : c.servers) {
        const Measured& m = server.measured[g];
        std::snprintf(line, sizeof line, "  %-25s %-9s %-9s %10.0f %6.2f%% %8.3f %8.3f %4.0f/%3.0f%% %9.2f %10.0f\n",
                      c.what.c_str(), server.name.c_str(), s.generators[g].c_str(), m.rate.qps, 100 * m.rate.lost,
                      m.p50_ms, m.p99_ms, 100 * m.rate.server_busy, 100 * m.rate.client_busy,
                      m.rate.server_us_per_query(), per_core_second(m.rate));
        out << line;
      }
  }
  for (const auto& c : comparisons) {
    if (!c.skipped.empty()) continue;
    for (std::size_t g = 0; g < s.generators.size(); ++g) {
      const Measured &ours = c.of("dcos-dns", g), &unbound = c.of("unbound", g), &dnsmasq = c.of("dnsmasq", g);
      std::snprintf(line, sizeof line,
                    "%s, %s: %.2fx unbound's queries/s (goal %.1fx: %s), %.2fx dnsmasq's; p99 %.2fx unbound's "
                    "at %lld queries/s (%s); queries per core-second %.2fx unbound's%s\n",
                    c.what.c_str(), s.generators[g].c_str(), ours.rate.qps / unbound.rate.qps, c.goal,
                    ours.rate.qps >= c.goal * unbound.rate.qps ? "met" : "missed", ours.rate.qps / dnsmasq.rate.qps,
                    ours.p99_ms / unbound.p99_ms, static_cast<long long>(c.latency_qps[g]),
                    ours.p99_ms <= unbound.p99_ms ? "no worse" : "worse",
                    per_core_second(ours.rate) / per_core_second(unbound.rate),
                    generator_bound(ours.rate) ? "; the generator's core was full and ours was not: the rate is "
                                                 "the generator's ceiling"
                                               : "");
      out << line;
    }
  }
}

Result<std::vector<Comparison>> run(const Settings& settings) {
  auto cores = pick_cores();
  if (!cores) return cores.error();
  for (const char* tool : {"dnsperf", "unbound", "dnsmasq", "dig", "taskset"})
    if (!run_command(std::string("command -v ") + tool))
      return Error{std::string(tool) + " not found (scripts/install-deps.sh installs it)"};
  if (::access(settings.load_binary.c_str(), X_OK) != 0)
    return errno_error("dns-load '" + settings.load_binary + "' (ninja dns-load builds it)");
  auto cluster = BenchCluster::start({settings.master_binary, settings.agent_binary,
                                      "cpus:100;mem:64000;ports:[31000-32000]", settings.deadline});
  if (!cluster) return cluster.error();
  asio::io_context io(1);
  HttpScheduler scheduler(io, (*cluster)->master().port(), 2);
  const auto launching = Clock::now();
  if (auto ran = run_tasks(io, scheduler, settings.tasks, settings.deadline); !ran)
    return (*cluster)->fail(ran.error().message);
  std::cerr << "dns-bench: " << settings.tasks << " tasks running after " << since(launching) << " s\n";

  std::string dir = "/tmp/dcos-dns-bench-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return errno_error("mkdtemp '" + dir + "'");
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } remove_dir{dir};

  std::vector<Comparison> comparisons;
  auto cluster_result = cluster_names(settings, *cores, **cluster, dir);
  if (!cluster_result) return cluster_result.error();
  comparisons.push_back(std::move(*cluster_result));
  auto forwarded_result = forwarded_names(settings, *cores, **cluster, dir);
  if (!forwarded_result) return forwarded_result.error();
  comparisons.push_back(std::move(*forwarded_result));
  scheduler.close();
  io.run_for(std::chrono::milliseconds(100));
  return comparisons;
}

}  // namespace
}  // namespace dcos::bench

int main(int argc, char** argv) {
  using namespace dcos::bench;
  Settings settings;
  settings.dns_binary = sibling_binary("daemons/dns/dcos-dns");
  settings.load_binary = sibling_binary("bench/dns-load");
  dcos::Duration timeout = std::chrono::seconds(300);
  dcos::FlagSet flags("dns-bench", "dcos-dns against unbound on the same names, one core each.");
  add_cluster_binary_flags(flags, &settings.master_binary, &settings.agent_binary);
  flags.add("dns_binary", "The dcos-dns to measure", &settings.dns_binary);
  flags.add("tasks", "Named tasks in the cluster (2 names each: A and SRV)", &settings.tasks);
  flags.add("forwarded", "Names served by the upstream, for the forwarded (cached) run", &settings.forwarded);
  flags.add("seconds", "Length of each dnsperf round", &settings.seconds);
  flags.add("rounds", "Rounds per server (the best counts)", &settings.rounds);
  flags.add("clients", "dnsperf's clients (-c)", &settings.clients);
  flags.add("latency_qps", "A fixed rate at which latency is measured (0: --latency_load)", &settings.latency_qps);
  flags.add("latency_load", "Latency is measured at this fraction of unbound's rate with the same generator",
            &settings.latency_load);
  flags.add("in_flight", "dns-load's queries in flight (over its 4 sockets)", &settings.in_flight);
  flags.add("generators", "Load generators, in turn: dnsperf, dns-load (bench/dns_load.hpp)", &settings.generators);
  flags.add("load_binary", "The dns-load to run", &settings.load_binary);
  flags.add("timeout", "Bound on setting up (the cluster, the servers)", &timeout);
  flags.add("json", "Print the figures as one JSON object on stdout (the table goes to stderr)", &settings.json);
  if (auto exit_code = dcos::parse_or_exit(flags, "dns-bench", argc, argv)) return *exit_code;
  if (settings.tasks < 1 || settings.tasks > 1000 || settings.forwarded < 1 || settings.forwarded > 100000 ||
      settings.seconds < 1 || settings.seconds > 600 || settings.rounds < 1 || settings.rounds > 20 ||
      settings.clients < 1 || settings.clients > 256 || (settings.latency_qps != 0 && settings.latency_qps < 100) ||
      !(settings.latency_load > 0 && settings.latency_load <= 2) || timeout <= dcos::Duration::zero() ||
      settings.in_flight < 1 || settings.in_flight > 100000 || settings.generators.empty() ||
      std::any_of(settings.generators.begin(), settings.generators.end(),
                  [](const std::string& g) { return g != "dnsperf" && g != "dns-load"; })) {
    std::cerr << "dns-bench: --tasks must be 1-1000, --forwarded 1-100000, --seconds 1-600, --rounds 1-20, "
                 "--clients 1-256, --latency_qps 0 or at least 100, --latency_load above 0 and at most 2, "
                 "--in_flight 1-100000, --generators dnsperf and/or dns-load, --timeout positive\n";
    return 2;
  }
  if (::geteuid() != 0) {
    std::cerr << "dns-bench: needs root (the agent runs tasks in containers)\n";
    return 2;
  }
  settings.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  ::signal(SIGPIPE, SIG_IGN);
  auto comparisons = run(settings);
  if (!comparisons) {
    std::cerr << "dns-bench: " << comparisons.error().message << "\n";
    return 1;
  }
  if (settings.json) std::cout << to_json(*comparisons, settings).dump() << std::endl;
  print(settings.json ? std::cerr : std::cout, *comparisons, settings);
  return 0;
}
