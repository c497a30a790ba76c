// seccomp-install-bench: what loading a container's seccomp filter costs
// at each launch, for the default profile's program as seccomp_bpf.cpp
// writes it and as libseccomp does, and for a one-instruction program (the
// kernel's fixed cost). Each sample is a forked child that sets
// no_new_privs and times seccomp(SECCOMP_SET_MODE_FILTER) alone; the
// programs take turns. Prints the median and p90 in microseconds.
//   seccomp-install-bench [--count=400]
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "isolation/linux/seccomp.hpp"

namespace {

using dcos::isolation::seccomp::Filter;

double now_us() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// The install's time in a fresh child, or a negative value if it failed.
double one_install(const Filter& filter) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    double took = -1;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) {
      const double start = now_us();
      if (dcos::isolation::seccomp::install(filter) == 0) took = now_us() - start;
    }
    (void)!::write(pipe_fds[1], &took, sizeof(took));
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  double took = -1;
  if (pid < 0 || ::read(pipe_fds[0], &took, sizeof(took)) != sizeof(took)) took = -1;
  ::close(pipe_fds[0]);
  if (pid > 0) ::waitpid(pid, nullptr, 0);
  return took;
}

struct Program {
  std::string name;
  Filter filter;
  std::vector<double> samples;
};

}  // namespace

int main(int argc, char** argv) {
  int count = 400;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--count=", 8) == 0 && std::atoi(argv[i] + 8) > 0) {
      count = std::atoi(argv[i] + 8);
    } else {
      std::fprintf(stderr, "usage: %s [--count=N]\n", argv[0]);
      return 2;
    }
  }
  namespace seccomp = dcos::isolation::seccomp;
  auto ours = seccomp::compile(seccomp::default_profile());
  auto theirs = seccomp::compile(seccomp::default_profile(), {.generator = seccomp::Generator::kLibseccomp});
  if (!ours || !theirs) {
    std::fprintf(stderr, "compile: %s\n", (!ours ? ours : theirs).error().message.c_str());
    return 1;
  }
  Filter tiny;
  tiny.program = {sock_filter{BPF_RET | BPF_K, 0, 0, 0x7fff0000 /* SECCOMP_RET_ALLOW */}};
  std::vector<Program> programs = {{"default profile, range tree", std::move(*ours), {}},
                                   {"default profile, libseccomp", std::move(*theirs), {}},
                                   {"one instruction (fixed cost)", std::move(tiny), {}}};
  for (int i = 0; i < count; ++i)
    for (auto& program : programs) {
      const double took = one_install(program.filter);
      if (took < 0) {
        std::fprintf(stderr, "install '%s' failed\n", program.name.c_str());
        return 1;
      }
      program.samples.push_back(took);
    }
  std::printf("%-32s %12s %10s %10s\n", "program", "instructions", "median us", "p90 us");
  for (auto& program : programs) {
    std::sort(program.samples.begin(), program.samples.end());
    std::printf("%-32s %12zu %10.1f %10.1f\n", program.name.c_str(), program.filter.program.size(),
                program.samples[program.samples.size() / 2], program.samples[program.samples.size() * 9 / 10]);
  }
  return 0;
}
