#include "bench/dns_peers.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/dns_load.hpp"

namespace dcos::bench {

Result<std::string> run_command(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return errno_error("popen '" + command + "'");
  std::string out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status != 0) return Error{"'" + command + "' failed (status " + std::to_string(status) + "): " + out};
  return out;
}

Result<std::string> write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out.flush()) return errno_error("write '" + path + "'");
  return path;
}

Result<std::vector<std::string>> answers(uint16_t port, const std::vector<std::string>& queries) {
  std::string command = "dig @127.0.0.1 -p " + std::to_string(port) + " +noall +answer +tries=1 +time=2";
  for (const auto& query : queries) command += " " + query;
  auto out = run_command(command);
  if (!out) return out.error();
  std::vector<std::string> records;
  std::istringstream in(*out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != ';') records.push_back(line);
  return records;
}

Result<void> wait_answers(uint16_t port, const std::string& query, Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    auto records = answers(port, {query});
    if (records && !records->empty()) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Error{"no answer to '" + query + "' on port " + std::to_string(port) + " in time"};
}

Result<std::unique_ptr<DaemonProcess>> start_unbound(const std::string& kind, int core, const std::string& zone,
                                                     const std::vector<std::string>& local_data,
                                                     uint16_t upstream, uint16_t* port) {
  auto free = free_loopback_port();
  if (!free) return free.error();
  *port = *free;
  return DaemonProcess::spawn(kind, 0, [&](const std::string& dir) {
    std::string conf = "server:\n  interface: 127.0.0.1@" + std::to_string(*port) + "\n  port: " +
                       std::to_string(*port) +
                       "\n  num-threads: 1\n  do-daemonize: no\n  chroot: \"\"\n  username: \"\"\n  directory: \"" + dir +
                       "\"\n  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  verbosity: 0\n"
                       "  access-control: 127.0.0.0/8 allow\n  do-ip6: no\n  do-not-query-localhost: no\n"
                       "  msg-cache-size: 64m\n  rrset-cache-size: 64m\n";
    if (!zone.empty()) conf += "  local-zone: \"" + zone + "\" static\n";
    for (const auto& record : local_data) conf += "  local-data: \"" + record + "\"\n";
    if (upstream != 0)
      conf += "forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@" + std::to_string(upstream) + "\n";
    conf += "remote-control:\n  control-enable: no\n";
    (void)write_file(dir + "/unbound.conf", conf);
    return std::vector<std::string>{"taskset", "-c", std::to_string(core), "unbound", "-d", "-c",
                                    dir + "/unbound.conf"};
  });
}

Result<std::unique_ptr<DaemonProcess>> start_dnsmasq(int core, const std::string& local,
                                                     const std::vector<std::string>& records, uint16_t upstream,
                                                     uint16_t* port) {
  auto free = free_loopback_port();
  if (!free) return free.error();
  *port = *free;
  return DaemonProcess::spawn("dnsmasq", 0, [&](const std::string& dir) {
    std::string conf = "port=" + std::to_string(*port) +
                       "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\nuser=root\n"
                       "pid-file=\nlocal-ttl=5\ncache-size=10000\ndns-forward-max=1000\n";
    if (!local.empty()) conf += "local=/" + local + "/\n";
    if (upstream != 0) conf += "server=127.0.0.1#" + std::to_string(upstream) + "\n";
    for (const auto& record : records) {
      std::istringstream fields(record);
      std::string name, ttl, klass, type;
      fields >> name >> ttl >> klass >> type;
      if (name.ends_with('.')) name.pop_back();
      if (type == "A") {
        std::string address;
        fields >> address;
        conf += "host-record=" + name + "," + address + "\n";
      } else if (type == "SRV") {
        std::string priority, weight, srv_port, target;
        fields >> priority >> weight >> srv_port >> target;
        if (target.ends_with('.')) target.pop_back();
        conf += "srv-host=" + name + "," + target + "," + srv_port + "," + priority + "," + weight + "\n";
      }
    }
    (void)write_file(dir + "/dnsmasq.conf", conf);
    return std::vector<std::string>{"taskset", "-c", std::to_string(core), "dnsmasq", "--keep-in-foreground",
                                    "--conf-file=" + dir + "/dnsmasq.conf"};
  });
}

namespace {

// A core's busy and total time so far (/proc/stat, in ticks).
struct CoreTimes {
  uint64_t busy = 0, total = 0;
};
CoreTimes core_times(int core) {
  std::ifstream stat("/proc/stat");
  const std::string label = "cpu" + std::to_string(core);
  CoreTimes times;
  for (std::string line; std::getline(stat, line);) {
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    if (name != label) continue;
    uint64_t value = 0;
    for (int i = 0; fields >> value; ++i) {
      times.total += value;
      if (i != 3 && i != 4) times.busy += value;  // all but idle and iowait
    }
  }
  return times;
}

double busy_since(const CoreTimes& before, int core) {
  const CoreTimes now = core_times(core);
  return now.total > before.total ? double(now.busy - before.busy) / double(now.total - before.total) : 0;
}

}  // namespace

Result<Perf> dnsperf_rate(int core, int server_core, pid_t server_pid, uint16_t port, const std::string& queries,
                          int64_t seconds, int64_t clients) {
  const CoreTimes client_before = core_times(core), server_before = core_times(server_core);
  auto cpu_before = process_cpu_seconds(server_pid);
  if (!cpu_before) return cpu_before.error();
  auto out = run_command("taskset -c " + std::to_string(core) + " dnsperf -s 127.0.0.1 -p " + std::to_string(port) +
                         " -d " + queries + " -l " + std::to_string(seconds) + " -c " +
                         std::to_string(clients) + " -q 200 -t 2");
  if (!out) return out.error();
  auto cpu_after = process_cpu_seconds(server_pid);
  if (!cpu_after) return cpu_after.error();
  Perf perf;
  double sent = 0, lost = 0;
  std::istringstream in(*out);
  for (std::string line; std::getline(in, line);) {
    std::sscanf(line.c_str(), "  Queries per second: %lf", &perf.qps);
    std::sscanf(line.c_str(), "  Queries sent: %lf", &sent);
    std::sscanf(line.c_str(), "  Queries lost: %lf", &lost);
    std::sscanf(line.c_str(), "  Run time (s): %lf", &perf.seconds);
  }
  perf.client_busy = busy_since(client_before, core);
  perf.server_busy = busy_since(server_before, server_core);
  perf.server_cpu = *cpu_after - *cpu_before;
  if (perf.qps <= 0 || perf.seconds <= 0) return Error{"dnsperf printed no rate:\n" + *out};
  perf.lost = sent > 0 ? lost / sent : 0;
  return perf;
}

Result<Perf> dns_load_rate(const std::string& binary, int core, int server_core, pid_t server_pid, uint16_t port,
                           const std::string& queries, int64_t seconds, int64_t in_flight, int64_t qps) {
  const CoreTimes client_before = core_times(core), server_before = core_times(server_core);
  auto out = run_command("taskset -c " + std::to_string(core) + " " + binary + " --json --port=" +
                         std::to_string(port) + " --queries=" + queries + " --seconds=" + std::to_string(seconds) +
                         " --in_flight=" + std::to_string(in_flight) + " --qps=" + std::to_string(qps) +
                         " --server_pid=" + std::to_string(server_pid));
  if (!out) return out.error();
  Perf perf;
  perf.client_busy = busy_since(client_before, core);
  perf.server_busy = busy_since(server_before, server_core);
  const auto brace = out->find('{');
  const auto json = nlohmann::json::parse(out->substr(std::min(brace, out->size())), nullptr, false);
  if (json.is_discarded() || !json.contains("answered")) return Error{"dns-load printed no figures:\n" + *out};
  const double sent = json["sent"], lost = json["lost"];
  perf.seconds = json["seconds"];
  perf.qps = json["qps"];
  perf.lost = sent > 0 ? lost / sent : 0;
  perf.server_cpu = json["server_cpu"];
  perf.p50_ms = double(json["p50_us"]) / 1000;
  perf.p99_ms = double(json["p99_us"]) / 1000;
  if (double(json["failed"]) > 0.01 * sent)
    return Error{"dns-load: over 1% of the answers were errors (SERVFAIL, REFUSED...):\n" + *out};
  return perf;
}

Result<std::pair<double, double>> dnsperf_latency(int core, uint16_t port, const std::string& queries,
                                                  int64_t seconds, int64_t qps) {
  auto out = run_command("taskset -c " + std::to_string(core) + " dnsperf -s 127.0.0.1 -p " + std::to_string(port) +
                         " -d " + queries + " -l " + std::to_string(std::max<int64_t>(seconds / 2, 2)) +
                         " -Q " + std::to_string(qps) + " -t 2 -v");
  if (!out) return out.error();
  std::vector<double> latencies;
  std::istringstream in(*out);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("> ")) continue;
    const auto space = line.rfind(' ');
    latencies.push_back(std::strtod(line.c_str() + space + 1, nullptr));
  }
  if (latencies.size() < 100) return Error{"dnsperf -v gave " + std::to_string(latencies.size()) + " latencies"};
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) { return 1000 * latencies[static_cast<std::size_t>(q * (latencies.size() - 1))]; };
  return std::pair{at(0.50), at(0.99)};
}

}  // namespace dcos::bench
