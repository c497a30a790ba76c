// What the l4lb benchmarks share: CPU and wall time of a piece of work
// (the process's and its children's CPU, user + system), the synthetic
// table of N VIPs x M backends (11.0.0.0/8 VIPs on port 80, backends in
// 10.0.0.0/8 on port 8080, weight 1), and --name=N flags.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

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

// --name=N among argv, else fallback.
inline int flag(int argc, char** argv, const char* name, int fallback) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) return std::atoi(argv[i] + prefix.size());
  return fallback;
}

}  // namespace dcos::netlb::bench
