// dns-load: a UDP DNS load generator cheaper per query than dnsperf
// (bench/dns_load.hpp says how). dns-bench runs it pinned to the client
// core (`taskset`); it runs alone as well:
//
//   taskset -c 0 build/bench/dns-load --port=5353 --queries=FILE --seconds=5 [--server_pid=PID] [--qps=N]
//
// Prints one line of figures, or with --json one JSON object.
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "bench/dns_load.hpp"
#include "runtime/daemon_flags.hpp"
#include "runtime/flags.hpp"

int main(int argc, char** argv) {
  using namespace dcos::bench;
  LoadOptions options;
  std::string queries;
  int64_t sockets = options.sockets, in_flight = options.in_flight, server_pid = 0;
  bool json = false;
  dcos::FlagSet flags("dns-load", "Asks a DNS server the queries of a file over and over, over UDP.");
  flags.add("server", "The server's IPv4 address", &options.server);
  flags.add("port", "The server's port", &options.port);
  flags.add("queries", "A file of queries, one 'name type' a line (dnsperf's format)", &queries);
  flags.add("sockets", "Sockets (each its own source port and 65,536 ids)", &sockets);
  flags.add("in_flight", "Queries awaiting an answer at most, over all sockets", &in_flight);
  flags.add("seconds", "How long to send", &options.seconds);
  flags.add("qps", "Queries per second to pace to (0: as fast as answers allow)", &options.qps);
  flags.add("timeout", "Seconds until an unanswered query counts as lost", &options.timeout);
  flags.add("server_pid", "The server's process, whose CPU time over the run is reported", &server_pid);
  flags.add("spin", "Never wait in poll() (the server never has to wake the generator; its core is burnt)",
            &options.spin);
  flags.add("json", "Print one JSON object", &json);
  if (auto exit_code = dcos::parse_or_exit(flags, "dns-load", argc, argv)) return *exit_code;
  if (sockets < 1 || sockets > 64 || in_flight < 1 || in_flight > 1'000'000 || options.seconds <= 0 ||
      options.seconds > 600 || options.qps < 0 || options.timeout <= 0 || server_pid < 0) {
    std::cerr << "dns-load: --sockets must be 1-64, --in_flight 1-1000000, --seconds 0-600, --qps and "
                 "--server_pid not negative, --timeout positive\n";
    return 2;
  }
  options.sockets = static_cast<int>(sockets);
  options.in_flight = static_cast<int>(in_flight);
  options.server_pid = static_cast<pid_t>(server_pid);
  std::ifstream in(queries);
  if (!in) {
    std::cerr << "dns-load: cannot read --queries='" << queries << "'\n";
    return 2;
  }
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') options.queries.push_back(line);
  auto result = run_load(options);
  if (!result) {
    std::cerr << "dns-load: " << result.error().message << "\n";
    return 1;
  }
  const LoadResult& r = *result;
  if (json) {
    std::cout << nlohmann::json{{"seconds", r.seconds},       {"sent", r.sent},         {"answered", r.answered},
                                {"lost", r.lost},             {"failed", r.failed},     {"unmatched", r.unmatched},
                                {"qps", r.qps()},             {"p50_us", r.p50_us},     {"p99_us", r.p99_us},
                                {"client_cpu", r.client_cpu}, {"server_cpu", r.server_cpu}}
                     .dump()
              << std::endl;
  } else {
    std::cout << "dns-load: " << r.answered << " answered of " << r.sent << " sent in " << r.seconds << " s: "
              << r.qps() << " q/s, " << r.lost << " lost, " << r.failed << " failed, " << r.unmatched
              << " unmatched; p50 " << r.p50_us << " us, p99 " << r.p99_us << " us; generator CPU "
              << r.client_cpu << " s";
    if (r.server_cpu >= 0)
      std::cout << ", server CPU " << r.server_cpu << " s (" << 1e6 * r.server_cpu / double(r.answered)
                << " us/query, " << double(r.answered) / r.server_cpu << " queries per core-second)";
    std::cout << "\n";
  }
  return 0;
}
