// The range-tree program (seccomp_bpf.cpp) against libseccomp's: for the
// same profile, both programs are run on every syscall number of interest,
// with argument values around each profile's constants, under the native
// arch, its 32-bit ABIs and a foreign one; their verdicts must be the same.
// The programs run in a classic-BPF interpreter here (the kernel would
// only show the verdict of one call at a time, and kill the caller on
// some); seccomp_test.cpp checks the kernel's enforcement.
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cerrno>

#include <array>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "isolation/linux/seccomp.hpp"
#include "tests/isolation/seccomp_child.hpp"

namespace dcos::isolation::seccomp {
namespace {

// The classic BPF a seccomp program may use; nullopt for anything else, a
// jump out of the program or a load outside seccomp_data.
std::optional<uint32_t> run(const std::vector<sock_filter>& program, const seccomp_data& data) {
  uint32_t a = 0, x = 0;
  std::array<uint32_t, BPF_MEMWORDS> memory{};
  for (std::size_t pc = 0, steps = 0; pc < program.size() && steps <= program.size(); ++pc, ++steps) {
    const sock_filter& insn = program[pc];
    const uint32_t operand = BPF_SRC(insn.code) == BPF_X ? x : insn.k;
    switch (BPF_CLASS(insn.code)) {
      case BPF_LD:
      case BPF_LDX: {
        uint32_t value = 0;
        if (insn.code == (BPF_LD | BPF_W | BPF_ABS)) {
          if (insn.k % 4 != 0 || insn.k + 4 > sizeof(data)) return std::nullopt;
          std::memcpy(&value, reinterpret_cast<const char*>(&data) + insn.k, 4);
        } else if (BPF_MODE(insn.code) == BPF_IMM) {
          value = insn.k;
        } else if (BPF_MODE(insn.code) == BPF_MEM && insn.k < BPF_MEMWORDS) {
          value = memory[insn.k];
        } else {
          return std::nullopt;
        }
        (BPF_CLASS(insn.code) == BPF_LD ? a : x) = value;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (insn.k >= BPF_MEMWORDS) return std::nullopt;
        memory[insn.k] = BPF_CLASS(insn.code) == BPF_ST ? a : x;
        break;
      case BPF_ALU:
        switch (BPF_OP(insn.code)) {
          case BPF_AND: a &= operand; break;
          case BPF_OR: a |= operand; break;
          case BPF_ADD: a += operand; break;
          case BPF_SUB: a -= operand; break;
          case BPF_NEG: a = 0 - a; break;
          default: return std::nullopt;
        }
        break;
      case BPF_JMP: {
        if (BPF_OP(insn.code) == BPF_JA) {
          pc += insn.k;
          break;
        }
        bool taken = false;
        switch (BPF_OP(insn.code)) {
          case BPF_JEQ: taken = a == operand; break;
          case BPF_JGT: taken = a > operand; break;
          case BPF_JGE: taken = a >= operand; break;
          case BPF_JSET: taken = (a & operand) != 0; break;
          default: return std::nullopt;
        }
        pc += taken ? insn.jt : insn.jf;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(insn.code) == BPF_A ? a : insn.k;
      case BPF_MISC:
        if (BPF_MISCOP(insn.code) == BPF_TAX) x = a;
        else a = x;
        break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

#if defined(__x86_64__)
constexpr uint32_t kNative = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kNative = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kNative = 0;
#endif
constexpr uint32_t kArches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM,
                                AUDIT_ARCH_S390X};

std::vector<uint32_t> syscall_numbers() {
  std::vector<uint32_t> numbers;
  for (uint32_t nr = 0; nr < 600; ++nr) {
    numbers.push_back(nr);
    numbers.push_back(0x40000000 | nr);  // x32
  }
  for (uint32_t nr : {0x3fffffffu, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu}) numbers.push_back(nr);
  return numbers;
}

// Argument vectors: all zero, and each value in each position, and in all.
std::vector<std::array<uint64_t, 6>> argument_sets(const std::set<uint64_t>& values) {
  std::vector<std::array<uint64_t, 6>> sets{{}};
  for (const uint64_t value : values) {
    sets.push_back({value, value, value, value, value, value});
    for (std::size_t i = 0; i < 6; ++i) {
      std::array<uint64_t, 6> one{};
      one[i] = value;
      sets.push_back(one);
    }
  }
  return sets;
}

// Each of the profile's constants, its neighbours and the halves' edges.
std::set<uint64_t> values_around(const Profile& profile) {
  std::set<uint64_t> values{0, 1, 0xffffffff, 0x100000000, ~0ull, 0x7e020000, 0x20008};
  for (const Rule& rule : profile.syscalls)
    for (const ArgCondition& c : rule.args)
      for (const uint64_t v : {c.value, c.value_two, c.value & c.value_two}) {
        for (const uint64_t near : {v - 1, v, v + 1, v | 0x100000000, v & 0xffffffff}) values.insert(near);
      }
  return values;
}

// A program's verdict on one call; nullopt if it did not end properly.
using Reference = std::function<std::optional<uint32_t>(const seccomp_data&)>;

// Fails the test at the first input where `ours` and `reference` differ.
void expect_verdicts(const Filter& ours, const Reference& reference, const Profile& profile, const std::string& what) {
  const auto args = argument_sets(values_around(profile));
  for (const uint32_t arch : kArches)
    for (const uint32_t nr : syscall_numbers())
      for (const auto& each : args) {
        seccomp_data data{};
        data.nr = static_cast<int>(nr);
        data.arch = arch;
        data.instruction_pointer = 0x401000;
        std::memcpy(data.args, each.data(), sizeof(data.args));
        const auto expected = reference(data);
        const auto got = run(ours.program, data);
        ASSERT_TRUE(expected) << what << ": the reference did not end";
        ASSERT_TRUE(got) << what << ": the range tree did not end";
        ASSERT_EQ(*got, *expected) << what << ": arch 0x" << std::hex << arch << " nr 0x" << nr << " arg0 0x"
                                   << each[0] << " arg1 0x" << each[1];
      }
}

// Ours against libseccomp's program for the same profile.
void expect_same_verdicts(const Profile& profile, const CompileOptions& options, const std::string& what) {
  CompileOptions reference = options;
  reference.generator = Generator::kLibseccomp;
  auto ours = compile(profile, options);
  auto theirs = compile(profile, reference);
  ASSERT_TRUE(ours) << what << ": " << ours.error().message;
  ASSERT_TRUE(theirs) << what << ": " << theirs.error().message;
  expect_verdicts(*ours, [&](const seccomp_data& data) { return run(theirs->program, data); }, profile, what);
}

Profile parsed(const std::string& json) {
  auto profile = parse_profile(json);
  EXPECT_TRUE(profile) << profile.error().message;
  return profile ? *profile : Profile{};
}

TEST(SeccompRangeTree, DefaultProfileIsShortAndDecidesAsLibseccomp) {
  if (kNative == 0) GTEST_SKIP() << "the range tree is for x86_64 and aarch64";
  const std::set<int> none, sys_admin{CAP_SYS_ADMIN}, some{CAP_SYS_PTRACE, CAP_SYS_CHROOT, CAP_BPF};
  std::set<int> all;
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) all.insert(cap);
  for (const auto& caps : {none, sys_admin, some, all}) {
    auto ours = compile(default_profile(), {.capabilities = caps});
    auto theirs = compile(default_profile(), {.capabilities = caps, .generator = Generator::kLibseccomp});
    ASSERT_TRUE(ours && theirs);
    EXPECT_EQ(ours->generator, Generator::kRangeTree);
    EXPECT_EQ(theirs->generator, Generator::kLibseccomp);
    EXPECT_LT(ours->program.size() * 3, theirs->program.size()) << ours->program.size();
    std::cout << caps.size() << " capabilities: " << ours->program.size() << " instructions, libseccomp's "
              << theirs->program.size() << "\n";
    expect_same_verdicts(default_profile(), {.capabilities = caps}, "default, " + std::to_string(caps.size()) + " caps");
  }
}

// Docker's shape: the 32-bit ABIs admitted (libseccomp's part of the
// program), conditions on clone, personality and socket. The second entry
// is what a sanitizer's runtime calls in the child that enforces it.
constexpr const char* kDockerLike = R"({
  "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
              {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
  "syscalls": [
    {"names": ["read", "write", "close", "getpid", "exit_group", "socketcall", "ipc", "openat"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["exit", "mmap", "munmap", "mprotect", "madvise", "sigaltstack", "rt_sigaction", "rt_sigprocmask",
               "gettid", "futex", "sched_yield"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
    {"names": ["kill"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_GE"}, {"index": 1, "value": 4294967296, "op": "SCMP_CMP_LT"}]},
    {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 1, "value": 21505, "op": "SCMP_CMP_LE"}, {"index": 1, "value": 30000, "op": "SCMP_CMP_GT"}]},
    {"names": ["mkdir"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
    {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS"},
    {"names": ["getppid"], "action": "SCMP_ACT_LOG"},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
  ]
})";

TEST(SeccompRangeTree, DockerLikeProfileWithCompatArchesDecidesAsLibseccomp) {
  if (kNative == 0) GTEST_SKIP() << "the range tree is for x86_64 and aarch64";
  const Profile profile = parsed(kDockerLike);
  auto ours = compile(profile);
  ASSERT_TRUE(ours) << ours.error().message;
  EXPECT_EQ(ours->generator, Generator::kRangeTree);
  expect_same_verdicts(profile, {}, "docker-like");
  Profile native_only = profile;
  native_only.arch_map.clear();
  expect_same_verdicts(native_only, {}, "docker-like, native only");
  Profile x32_only = profile;
  x32_only.arch_map = {{"SCMP_ARCH_X86_64", {"SCMP_ARCH_X32"}}};
  expect_same_verdicts(x32_only, {}, "docker-like, x32");
  Profile allow_default = profile;
  allow_default.default_action = Action::kAllow;
  allow_default.default_errno_ret.reset();
  expect_same_verdicts(allow_default, {}, "docker-like, default allow");
}

// The kernel takes the program with libseccomp's part appended, and
// enforces it as the interpreter says.
TEST(SeccompRangeTree, TheKernelEnforcesAProgramWithCompatArches) {
  if (kNative == 0) GTEST_SKIP() << "the range tree is for x86_64 and aarch64";
  auto filter = compile(parsed(kDockerLike));
  ASSERT_TRUE(filter) << filter.error().message;
  const auto checks = []() -> int {
    if (::syscall(SYS_getpid) <= 0) return 1;
    if (!fails_with(::syscall(SYS_clone3, nullptr, 0), ENOSYS)) return 2;
    if (::syscall(SYS_personality, 0) == -1) return 3;
    if (!fails_with(::syscall(SYS_personality, 0xffffffff), EPERM)) return 4;  // only 0 and 8
    if (::syscall(SYS_getppid) <= 0) return 5;                                 // SCMP_ACT_LOG runs it
    if (!fails_with(::syscall(SYS_getuid), EPERM)) return 6;                   // the default
    return 0;
  };
  EXPECT_EQ(run_filtered(*filter, checks), 0);
}

TEST(SeccompRangeTree, OneSyscallWithRulesOfTwoActionsIsLeftToLibseccomp) {
  const Profile profile = parsed(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["personality"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 4, "op": "SCMP_CMP_GT"}]}
  ]})");
  auto filter = compile(profile);
  ASSERT_TRUE(filter) << filter.error().message;
  EXPECT_EQ(filter->generator, Generator::kLibseccomp);
}

#if defined(__x86_64__)
// Deterministic pseudo-random profiles (a fixed-seed LCG): any names of a
// pool, ops, values in both halves, each syscall one action.
struct Lcg {
  uint64_t state;
  uint64_t next(uint64_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % bound;
  }
};

Profile random_profile(Lcg& rng) {
  static const char* const kNames[] = {"read", "write", "open", "close", "mkdir", "rmdir", "personality", "clone",
                                       "socket", "kill", "ioctl", "mmap", "getpid", "fcntl", "prctl", "futex",
                                       "setns", "unshare", "bpf", "getrandom", "rseq", "execve", "madvise", "tee"};
  static const Action kActions[] = {Action::kAllow, Action::kErrno, Action::kKillProcess, Action::kTrap,
                                    Action::kLog};
  static const uint64_t kValues[] = {0, 1, 5, 8, 0x7e020000, 0xffffffff, 0x100000000, 0x1ffffffff, ~0ull, 0x20008};
  Profile profile;
  profile.default_action = kActions[rng.next(std::size(kActions))];
  std::map<std::string, Action> action_of;
  const std::size_t rules = 1 + rng.next(12);
  for (std::size_t r = 0; r < rules; ++r) {
    Rule rule;
    rule.names = {kNames[rng.next(std::size(kNames))]};
    auto [it, added] = action_of.try_emplace(rule.names[0], kActions[rng.next(std::size(kActions))]);
    rule.action = it->second;
    if (rule.action == profile.default_action) continue;
    const std::size_t conditions = rng.next(4);
    for (std::size_t c = 0; c < conditions; ++c)
      rule.args.push_back(ArgCondition{.index = static_cast<unsigned>(rng.next(3)),
                                       .value = kValues[rng.next(std::size(kValues))],
                                       .value_two = kValues[rng.next(std::size(kValues))],
                                       .op = static_cast<Op>(rng.next(7))});
    profile.syscalls.push_back(std::move(rule));
  }
  return profile;
}

// What a profile without includes/excludes says of a native call, read
// directly: the rules of the call's action (several conditions on one
// argument: each a rule of its own), unsigned 64-bit comparisons.
bool holds(const ArgCondition& c, uint64_t arg) {
  switch (c.op) {
    case Op::kNotEqual: return arg != c.value;
    case Op::kLessThan: return arg < c.value;
    case Op::kLessOrEqual: return arg <= c.value;
    case Op::kEqual: return arg == c.value;
    case Op::kGreaterOrEqual: return arg >= c.value;
    case Op::kGreaterThan: return arg > c.value;
    case Op::kMaskedEqual: return (arg & c.value) == (c.value_two & c.value);
  }
  return false;
}

bool matches(const Rule& rule, const seccomp_data& data) {
  std::set<unsigned> indexes;
  for (const ArgCondition& c : rule.args) indexes.insert(c.index);
  const auto one = [&](const ArgCondition& c) { return holds(c, data.args[c.index]); };
  if (indexes.size() < rule.args.size()) return std::any_of(rule.args.begin(), rule.args.end(), one);
  return std::all_of(rule.args.begin(), rule.args.end(), one);
}

constexpr std::pair<const char*, int> kNumbers[] = {
    {"read", SYS_read},       {"write", SYS_write},     {"open", SYS_open},     {"close", SYS_close},
    {"mkdir", SYS_mkdir},     {"rmdir", SYS_rmdir},     {"personality", SYS_personality},
    {"clone", SYS_clone},     {"socket", SYS_socket},   {"kill", SYS_kill},     {"ioctl", SYS_ioctl},
    {"mmap", SYS_mmap},       {"getpid", SYS_getpid},   {"fcntl", SYS_fcntl},   {"prctl", SYS_prctl},
    {"futex", SYS_futex},     {"setns", SYS_setns},     {"unshare", SYS_unshare}, {"bpf", SYS_bpf},
    {"getrandom", SYS_getrandom}, {"rseq", SYS_rseq},   {"execve", SYS_execve}, {"madvise", SYS_madvise},
    {"tee", SYS_tee}};

uint32_t token(Action action, std::optional<uint32_t> errno_ret) {
  switch (action) {
    case Action::kAllow: return SECCOMP_RET_ALLOW;
    case Action::kErrno: return SECCOMP_RET_ERRNO | errno_ret.value_or(EPERM);
    case Action::kKillThread: return SECCOMP_RET_KILL_THREAD;
    case Action::kKillProcess: return SECCOMP_RET_KILL_PROCESS;
    case Action::kTrap: return SECCOMP_RET_TRAP;
    case Action::kTrace: return SECCOMP_RET_TRACE | errno_ret.value_or(EPERM);
    case Action::kLog: return SECCOMP_RET_LOG;
  }
  return SECCOMP_RET_KILL_PROCESS;
}

uint32_t model(const Profile& profile, const seccomp_data& data) {
  const uint32_t nr = static_cast<uint32_t>(data.nr);
  const uint32_t default_action = token(profile.default_action, profile.default_errno_ret);
  if (nr >= 0x40000000 && nr != 0xffffffff) return SECCOMP_RET_KILL_PROCESS;  // x32, not admitted
  for (const Rule& rule : profile.syscalls)
    for (const auto& [name, number] : kNumbers)
      if (rule.names[0] == name && static_cast<uint32_t>(number) == nr && matches(rule, data))
        return token(rule.action, rule.errno_ret);
  return default_action;
}

// Against the profile's meaning, read by `model`, natively (libseccomp
// 2.5.4's program is wrong for some of these: after one argument's chain
// fails it can compare the next chain's constant with the value still
// loaded, e.g. a2 where a0 was meant); other arches against libseccomp's.
TEST(SeccompRangeTree, RandomProfilesDecideAsTheyRead) {
  Lcg rng{20261128};
  int libseccomp_differs = 0;
  constexpr int kProfiles = 16;
  for (int i = 0; i < kProfiles; ++i) {
    const Profile profile = random_profile(rng);
    auto ours = compile(profile);
    auto theirs = compile(profile, {.generator = Generator::kLibseccomp});
    ASSERT_TRUE(ours && theirs);
    EXPECT_EQ(ours->generator, Generator::kRangeTree) << "profile " << i;
    bool differs = false;
    expect_verdicts(
        *ours,
        [&](const seccomp_data& data) -> std::optional<uint32_t> {
          const auto libseccomp = run(theirs->program, data);
          if (data.arch != kNative) return libseccomp;
          const uint32_t meant = model(profile, data);
          differs |= libseccomp != meant;
          return meant;
        },
        profile, "random profile " + std::to_string(i));
    libseccomp_differs += differs;
    if (HasFatalFailure()) return;
  }
  std::cout << "libseccomp's program differs from the profile's meaning in " << libseccomp_differs
            << " of " << kProfiles << " random profiles\n";
}
#endif

// Blocks for 300 syscalls put the shared RETs past a conditional jump's
// 255 instructions: far jumps go through a JA.
TEST(SeccompRangeTree, FarTargetsAreReachedThroughJumps) {
  if (kNative == 0) GTEST_SKIP() << "the range tree is for x86_64 and aarch64";
  Profile profile;
  profile.default_action = Action::kErrno;
  for (uint64_t nr = 0; nr < 300; ++nr) {
    Rule rule;
    const char* const names[] = {"read", "write", "getpid", "close", "openat", "mmap", "brk", "ioctl"};
    rule.names = {names[nr % std::size(names)]};
    rule.args = {ArgCondition{.index = static_cast<unsigned>(nr % 6), .value = nr, .op = Op::kEqual}};
    profile.syscalls.push_back(rule);
  }
  Rule more;
  for (const char* name : {"fstat", "lseek", "mprotect", "munmap", "rt_sigaction", "pread64", "readv", "access",
                           "pipe", "select", "sched_yield", "mremap", "msync", "mincore", "dup", "nanosleep"})
    more.names.push_back(name);
  more.args = {ArgCondition{.index = 2, .value = 0x100000000, .op = Op::kLessThan}};
  profile.syscalls.push_back(more);
  auto ours = compile(profile);
  ASSERT_TRUE(ours) << ours.error().message;
  EXPECT_EQ(ours->generator, Generator::kRangeTree);
  bool far = false;
  for (const sock_filter& insn : ours->program) far |= insn.code == (BPF_JMP | BPF_JA) && insn.k > 0;
  EXPECT_TRUE(far) << ours->program.size() << " instructions without a far jump";
  expect_same_verdicts(profile, {}, "300 conditions");
}

}  // namespace
}  // namespace dcos::isolation::seccomp
