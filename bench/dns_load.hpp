// dns-load's engine: a UDP DNS load generator that costs less per query
// than dnsperf, so that on a 2-core machine the server's core, not the
// generator's, is what runs out.
//
// What makes it cheap: every query packet is built once (the query file's
// "name type" lines), a send copies one and writes its id; queries go out
// and answers come in up to 64 at a time (sendmmsg/recvmmsg) on a few
// connected sockets, with many in flight; an answer is matched by its id
// in a table per socket (no lookup structure, no allocation after the
// start). It waits in poll() when it has nothing to send and nothing has
// arrived, as a real client does (so a server pays for waking it, as it
// pays for waking dnsperf).
//
// Each answer's latency (send to receive, steady clock) goes into a
// histogram of 1 us buckets, for p50 and p99. A query unanswered after
// `timeout` counts as lost. With `qps` > 0 the queries are paced to that
// rate (for latency at a fixed load); otherwise as fast as `in_flight`
// allows. When `server_pid` is given, the server's CPU time (utime + stime
// of /proc/<pid>/stat, all its threads) is read at the start and the end
// of the same interval, and so is the generator's own (getrusage).
//
// Not thread-safe; one call runs on the calling thread until done.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::bench {

struct LoadOptions {
  std::string server = "127.0.0.1";
  uint16_t port = 53;
  std::vector<std::string> queries;  // "name type" (A, AAAA, SRV, NS, SOA, TXT, MX, PTR, CNAME, ANY)
  int sockets = 4;
  int in_flight = 200;  // queries awaiting an answer, over all sockets (dnsperf's -q default)
  bool spin = false;    // never wait in poll(): the server never wakes us (a core burnt)
  double seconds = 5;
  double qps = 0;        // 0: as fast as answers come back
  double timeout = 1.0;  // seconds until an unanswered query counts as lost
  pid_t server_pid = 0;  // 0: the server's CPU time is not read
};

struct LoadResult {
  double seconds = 0;  // the measured interval
  uint64_t sent = 0, answered = 0, lost = 0;
  uint64_t failed = 0;     // answered with SERVFAIL, REFUSED, FORMERR or NOTIMP
  uint64_t unmatched = 0;  // answers to no query in flight (late, or a wrong id)
  double p50_us = 0, p99_us = 0;
  double client_cpu = 0;  // the generator's CPU seconds over the interval
  double server_cpu = -1;  // the server's CPU seconds over the interval (-1: not read)

  double qps() const { return seconds > 0 ? double(answered) / seconds : 0; }
};

// Builds a query packet (id 0, RD set, no EDNS, as dnsperf sends by
// default) from "name type"; an Error for a bad name or an unknown type.
Result<std::string> build_query(const std::string& line);

// utime + stime of a process, all its threads, in seconds.
Result<double> process_cpu_seconds(pid_t pid);

// Runs the load; an Error if a socket cannot be set up or the server's
// stat cannot be read.
Result<LoadResult> run_load(const LoadOptions& options);

}  // namespace dcos::bench
