// What dns-bench drives beside dcos-dns: the peer servers (unbound and
// dnsmasq, each pinned to one core with taskset), dig to read answers, and
// dnsperf to measure a server. Every program runs as a child process
// (bench/daemon_process.hpp) or through popen; every wait is bounded.
#pragma once

#include <cstdint>
#include <memory>
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

struct Perf {
  double qps = 0, lost = 0;  // queries/s; the fraction of queries lost
  // How busy each core was meanwhile (/proc/stat, 0..1): a client core near
  // 1 means the rate is dnsperf's ceiling, not the server's.
  double client_busy = 0, server_busy = 0;
};

// dnsperf on `core` against 127.0.0.1:`port` (a server on `server_core`),
// the query file over and over for `seconds` with `clients` clients.
Result<Perf> dnsperf_rate(int core, int server_core, uint16_t port, const std::string& queries, int64_t seconds,
                          int64_t clients);

// p50 and p99 (ms) at a fixed `qps`, from dnsperf -v's per-query lines
// ("> RCODE name type seconds"), over max(seconds / 2, 2) s.
Result<std::pair<double, double>> dnsperf_latency(int core, uint16_t port, const std::string& queries,
                                                  int64_t seconds, int64_t qps);

}  // namespace dcos::bench
