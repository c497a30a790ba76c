// What dns-bench drives beside dcos-dns: the peer servers (unbound and
// dnsmasq, each pinned to one core with taskset), dig to read answers, and
// dnsperf to measure a server. Every program runs as a child process
// (bench/daemon_process.hpp) or through popen; every wait is bounded.
#pragma once

#include <cstdint>
#include <memory>
#include <sys/types.h>
#include <string>
#include <utility>
#include <vector>

#include "bench/daemon_process.hpp"
#include "runtime/result.hpp"

namespace dcos::bench {

// Runs a shell command, returns its standard output (and error); an Error
// if it fails.
Result<std::string> run_command(const std::string& command);

// Writes `text` to `path`; returns the path.
Result<std::string> write_file(const std::string& path, const std::string& text);

// The answers of the server on 127.0.0.1:`port` to every query ("name
// type"), as zone-file lines (dig's).
Result<std::vector<std::string>> answers(uint16_t port, const std::vector<std::string>& queries);

// Polls `port` with `query` until dig's answer section is not empty.
Result<void> wait_answers(uint16_t port, const std::string& query, Clock::time_point deadline);

// An unbound on one core: `zone` answered from `local_data` (static), or,
// with an `upstream` port, every name forwarded there and cached. Sets
// *port to where it listens.
Result<std::unique_ptr<DaemonProcess>> start_unbound(const std::string& kind, int core, const std::string& zone,
                                                     const std::vector<std::string>& local_data,
                                                     uint16_t upstream, uint16_t* port);

// A dnsmasq on one core: the records (dig's zone lines, A and SRV) as its
// own host and SRV records under `local` (never forwarded), or, with an
// `upstream` port, every name forwarded there and cached.
Result<std::unique_ptr<DaemonProcess>> start_dnsmasq(int core, const std::string& local,
                                                     const std::vector<std::string>& records, uint16_t upstream,
                                                     uint16_t* port);

// One measured run of a load generator against a server.
struct Perf {
  double qps = 0, lost = 0;  // answers/s; the fraction of queries lost
  // How busy each core was meanwhile (/proc/stat, 0..1): a client core near
  // 1 means the rate is the generator's ceiling, not the server's.
  double client_busy = 0, server_busy = 0;
  // The server process's own CPU time (utime + stime, /proc/<pid>/stat)
  // over the run, in seconds: unlike its core's busy time, nothing else
  // that ran on that core is in it.
  double server_cpu = 0;
  double seconds = 0;              // the run's length
  double p50_ms = 0, p99_ms = 0;  // dns-load only: each answer's latency

  // The server's CPU time per answer, in microseconds.
  double server_us_per_query() const { return qps > 0 ? 1e6 * server_cpu / (qps * seconds) : 0; }
};

// dnsperf on `core` against 127.0.0.1:`port` (the server `server_pid` on
// `server_core`), the query file over and over for `seconds` with
// `clients` clients and 200 queries in flight.
Result<Perf> dnsperf_rate(int core, int server_core, pid_t server_pid, uint16_t port, const std::string& queries,
                          int64_t seconds, int64_t clients);

// p50 and p99 (ms) at a fixed `qps`, from dnsperf -v's per-query lines
// ("> RCODE name type seconds"), over max(seconds / 2, 2) s.
Result<std::pair<double, double>> dnsperf_latency(int core, uint16_t port, const std::string& queries,
                                                  int64_t seconds, int64_t qps);

// dns-load (`binary`, bench/dns_load.hpp) the same way: as fast as
// `in_flight` queries in flight allow (`qps` 0), or paced to `qps`.
Result<Perf> dns_load_rate(const std::string& binary, int core, int server_core, pid_t server_pid, uint16_t port,
                           const std::string& queries, int64_t seconds, int64_t in_flight, int64_t qps);

}  // namespace dcos::bench
