// seccomp profiles: parsing (every error names its field), compiling, and
// real enforcement. Enforcement runs in forked children exactly as the
// launcher does it (fork, no_new_privs, install, then the syscall); each
// child reports through its exit code: 0, or the number of the first check
// that failed. None of this needs root: no_new_privs lets anyone install a
// filter on themselves.
#include "isolation/linux/seccomp.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "tests/isolation/seccomp_child.hpp"

namespace dcos::isolation::seccomp {
namespace {

// ---- parsing ----

struct BadProfile {
  std::string json;
  std::string error;
};

TEST(SeccompParse, ErrorsNameTheFieldAndWhy) {
  const std::string head = R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[)";
  const std::string read = R"({"names":["read"],"action":"SCMP_ACT_ALLOW"})";
  const BadProfile table[] = {
      {"[]", "profile: expected an object, got an array"},
      {"{}", "defaultAction: missing"},
      {R"({"defaultAction":"SCMP_ACT_FOO"})", "defaultAction: unknown action 'SCMP_ACT_FOO'"},
      {R"({"defaultAction":7})", "defaultAction: expected a string, got 7"},
      {R"({"defaultAction":"SCMP_ACT_NOTIFY"})",
       "defaultAction: 'SCMP_ACT_NOTIFY' is not supported (no seccomp agent)"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":1})",
       "defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one, not SCMP_ACT_ALLOW"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":-1})",
       "defaultErrnoRet: expected a non-negative integer, got -1"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":4096})", "defaultErrnoRet: 4096 is more than 4095"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":"SCMP_ARCH_X86_64"})",
       "architectures: expected an array of strings, got 'SCMP_ARCH_X86_64'"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"subArchitectures":[]}]})", "archMap[0].architecture: missing"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":{}})", "syscalls: expected an array, got an object"},
      {head + read + "," + read + "," + read + R"(,{"names":["read"],"action":"SCMP_ACT_FOO"}]})",
       "syscalls[3].action: unknown action 'SCMP_ACT_FOO'"},
      {head + R"({"names":["read"]}]})", "syscalls[0].action: missing"},
      {head + R"({"action":"SCMP_ACT_ALLOW"}]})", "syscalls[0]: has neither 'names' nor 'name'"},
      {head + R"({"name":"read","names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
       "syscalls[0]: has both 'names' and 'name'; use 'names'"},
      {head + R"({"names":["read",3],"action":"SCMP_ACT_ALLOW"}]})", "syscalls[0].names[1]: expected a string, got 3"},
      {head + R"({"names":["read",""],"action":"SCMP_ACT_ALLOW"}]})", "syscalls[0].names[1]: empty"},
      {head + R"({"name":"re ad","action":"SCMP_ACT_ALLOW"}]})", "syscalls[0].name: 're ad' is not a syscall name"},
      {head + R"({"names":["read"],"action":"SCMP_ACT_KILL","errnoRet":1}]})",
       "syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one, not SCMP_ACT_KILL_THREAD"},
      {head + R"({"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":1.5}]})",
       "syscalls[0].errnoRet: expected a non-negative integer, got 1.5"},
      {head + read +
           R"(,{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]})",
       "syscalls[1].args[0].index: 6 is more than 5"},
      {head + R"({"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_XX"}]}]})",
       "syscalls[0].args[0].op: unknown operator 'SCMP_CMP_XX'"},
      {head + R"({"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1}]}]})",
       "syscalls[0].args[0].op: missing"},
      {head + R"({"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":-2,"op":"SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].value: expected a non-negative integer, got -2"},
      {head + R"({"names":["read"],"action":"SCMP_ACT_ALLOW","args":{}}]})",
       "syscalls[0].args: expected an array, got an object"},
      {head + R"({"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_FOO"]}}]})",
       "syscalls[0].includes.caps[0]: unknown capability 'CAP_SYS_FOO'"},
      {head + R"({"names":["read"],"action":"SCMP_ACT_ALLOW","excludes":{"minKernel":"4.x"}}]})",
       "syscalls[0].excludes.minKernel: '4.x' is not 'major.minor'"},
      {head + R"({"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"arches":"amd64"}}]})",
       "syscalls[0].includes.arches: expected an array of strings, got 'amd64'"},
      {head + "7]}", "syscalls[0]: expected an object, got 7"},
  };
  for (const auto& [json, error] : table) {
    auto profile = parse_profile(json);
    ASSERT_FALSE(profile) << json;
    EXPECT_EQ(profile.error().message, error) << json;
  }
}

TEST(SeccompParse, RefusesWhatIsNotJsonSayingWhere) {
  auto profile = parse_profile(R"({"defaultAction": SCMP_ACT_ALLOW})");
  ASSERT_FALSE(profile);
  EXPECT_TRUE(profile.error().message.starts_with("profile is not JSON: parse error at line 1, column 19"))
      << profile.error().message;
}

TEST(SeccompParse, RefusesOversizedInputBeforeParsing) {
  std::string big = R"({"defaultAction":"SCMP_ACT_ALLOW","comment":")" + std::string(kMaxProfileBytes, 'x') + R"("})";
  auto profile = parse_profile(big);
  ASSERT_FALSE(profile);
  EXPECT_EQ(profile.error().message, "profile: " + std::to_string(big.size()) + " bytes, more than 1048576");

  auto deep = parse_profile(std::string(100, '[') + std::string(100, ']'));
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().message, "profile: nested deeper than 16 levels at byte 16");

  std::string many = R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[)";
  for (std::size_t i = 0; i <= kMaxRules; ++i) many += std::string(i ? "," : "") + "{}";
  auto rules = parse_profile(many + "]}");
  ASSERT_FALSE(rules);
  EXPECT_EQ(rules.error().message, "syscalls: 1025 entries, more than 1024");

  std::string names = R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[)";
  for (int entry = 0; entry < 3; ++entry) {
    names += std::string(entry ? "," : "") + R"({"action":"SCMP_ACT_ERRNO","names":[)";
    for (std::size_t i = 0; i < kMaxNames / 2; ++i) names += std::string(i ? "," : "") + "\"n\"";
    names += "]}";
  }
  auto too_many_names = parse_profile(names + "]}");
  ASSERT_FALSE(too_many_names);
  EXPECT_EQ(too_many_names.error().message, "syscalls[2].names: more than 8192 names in the profile");
}

// A profile in Docker's shape, written for this test: arch map, legacy
// `name`, args, includes/excludes, fields we read past.
constexpr std::string_view kDockerStyle = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "comment": "read past",
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
  ],
  "syscalls": [
    {"names": ["read", "write", "exit_group", "no_such_syscall_here"], "action": "SCMP_ACT_ALLOW",
     "args": [], "comment": "", "includes": {}, "excludes": {}},
    {"name": "getpid", "action": "SCMP_ACT_ALLOW", "args": null},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 4294967295, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
     "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8", "caps": ["CAP_SYS_PTRACE"]}},
    {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS"},
    {"names": ["tkill"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
    {"names": ["tgkill"], "action": "SCMP_ACT_LOG"},
    {"names": ["pause"], "action": "SCMP_ACT_TRAP"}
  ]
})";

TEST(SeccompParse, ReadsADockerStyleProfile) {
  auto profile = parse_profile(kDockerStyle);
  ASSERT_TRUE(profile) << profile.error().message;
  EXPECT_EQ(profile->default_action, Action::kErrno);
  EXPECT_EQ(profile->default_errno_ret, 1u);
  ASSERT_EQ(profile->arch_map.size(), 2u);
  EXPECT_EQ(profile->arch_map[0], (ArchMapEntry{"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}}));
  ASSERT_EQ(profile->syscalls.size(), 11u);
  EXPECT_EQ(profile->syscalls[1].names, std::vector<std::string>{"getpid"});
  EXPECT_TRUE(profile->syscalls[1].args.empty());
  EXPECT_EQ(profile->syscalls[2].args, (std::vector<ArgCondition>{{0, 0xffffffff, 0, Op::kEqual}}));
  EXPECT_EQ(profile->syscalls[3].args, (std::vector<ArgCondition>{{0, 0x7E020000, 0, Op::kMaskedEqual}}));
  EXPECT_EQ(profile->syscalls[3].excludes.caps, std::vector<int>{CAP_SYS_ADMIN});
  EXPECT_EQ(profile->syscalls[3].excludes.arches, (std::vector<std::string>{"s390", "s390x"}));
  EXPECT_EQ(profile->syscalls[4].errno_ret, 38u);
  EXPECT_EQ(profile->syscalls[5].includes.min_kernel, (KernelVersion{4, 8}));
  EXPECT_EQ(profile->syscalls[5].includes.caps, std::vector<int>{CAP_SYS_PTRACE});
  EXPECT_EQ(profile->syscalls[7].action, Action::kKillProcess);
  EXPECT_EQ(profile->syscalls[8].action, Action::kTrace);
  EXPECT_EQ(profile->syscalls[9].action, Action::kLog);
  EXPECT_EQ(profile->syscalls[10].action, Action::kTrap);
  EXPECT_EQ(action_name(Action::kKillThread), "SCMP_ACT_KILL_THREAD");
  EXPECT_EQ(op_name(Op::kMaskedEqual), "SCMP_CMP_MASKED_EQ");

  auto filter = compile(*profile, {.capabilities = {CAP_SYS_PTRACE}});
  ASSERT_TRUE(filter) << filter.error().message;
  EXPECT_FALSE(filter->program.empty());
  EXPECT_EQ(filter->unknown_syscalls, std::vector<std::string>{"no_such_syscall_here"});
}

TEST(SeccompParse, CapabilityNames) {
  EXPECT_EQ(capability_number("CAP_CHOWN"), 0);
  EXPECT_EQ(capability_number("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(capability_number("CAP_CHECKPOINT_RESTORE"), CAP_CHECKPOINT_RESTORE);
  EXPECT_EQ(capability_number("SYS_ADMIN"), std::nullopt);
}

TEST(SeccompCompile, DefaultProfileCompilesWithEveryNameKnown) {
  for (const std::set<int>& caps : {std::set<int>{}, std::set<int>{CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_NICE}}) {
    auto filter = compile(default_profile(), {.capabilities = caps});
    ASSERT_TRUE(filter) << filter.error().message;
    EXPECT_TRUE(filter->unknown_syscalls.empty()) << filter->unknown_syscalls.front();
    EXPECT_LE(filter->program.size(), 4096u);
  }
}

TEST(SeccompCompile, RefusesAnUnreadableKernelRelease) {
  auto filter = compile(default_profile(), {.kernel_release = "linux"});
  ASSERT_FALSE(filter);
  EXPECT_EQ(filter.error().message, "kernel release: 'linux' is not a kernel release (major.minor...)");
}

TEST(SeccompInstall, RefusesAnEmptyProgram) { EXPECT_EQ(install(Filter{}), EINVAL); }

// ---- enforcement ----

Filter compiled(const Profile& profile, const CompileOptions& options = {}) {
  auto filter = compile(profile, options);
  EXPECT_TRUE(filter) << filter.error().message;
  return filter ? std::move(*filter) : Filter{};
}

int default_profile_checks() {
  if (!fails_with(::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0), EPERM)) return 1;
  if (!fails_with(::unshare(CLONE_NEWUSER), EPERM)) return 2;
  if (!fails_with(::mount("none", "/tmp", "tmpfs", 0, nullptr), EPERM)) return 3;
  if (!fails_with(::syscall(SYS_kexec_load, 0, 0, nullptr, 0), EPERM)) return 4;
  if (!fails_with(::syscall(SYS_clone3, nullptr, 0), ENOSYS)) return 5;
  if (!fails_with(::syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, nullptr, nullptr, nullptr, 0), EPERM)) return 6;
  if (!fails_with(::syscall(SYS_ptrace, PTRACE_TRACEME, 0, nullptr, nullptr), EPERM)) return 7;
  if (!fails_with(::syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */), EPERM)) return 8;
  if (::syscall(SYS_personality, 0xffffffff) < 0) return 9;
  if (!fails_with(::syscall(SYS_setns, 0, 0), EPERM)) return 10;
  if (!fails_with(::syscall(SYS_bpf, 0, nullptr, 0), EPERM)) return 11;
  if (!fails_with(::syscall(SYS_init_module, nullptr, 0, ""), EPERM)) return 12;
  if (!fails_with(::syscall(SYS_settimeofday, nullptr, nullptr), EPERM)) return 13;
  if (!fails_with(::syscall(SYS_chroot, "/"), EPERM)) return 14;
  if (::syscall(SYS_getpid) != ::getpid()) return 20;
  if (::write(STDOUT_FILENO, "", 0) != 0) return 21;
  // fork is clone without namespace flags.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(42);
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 42) return 22;
  // pthread_create tries clone3 first; on ENOSYS glibc falls back to clone.
  pthread_t thread;
  if (::pthread_create(
          &thread, nullptr, [](void*) -> void* { return nullptr; }, nullptr) != 0)
    return 23;
  if (::pthread_join(thread, nullptr) != 0) return 24;
  return 0;
}

TEST(SeccompEnforce, DefaultProfileDeniesWhatDockerDeniesAndRunsTheRest) {
  EXPECT_EQ(run_filtered(compiled(default_profile()), default_profile_checks), 0);
}

int capability_checks() {
  // CAP_SYS_PTRACE: kcmp on itself (ENOSYS where the kernel lacks kcmp).
  const long same = ::syscall(SYS_kcmp, ::getpid(), ::getpid(), 0 /* KCMP_FILE */, 1, 1);
  if (same != 0 && !(same == -1 && errno == ENOSYS)) return 1;
  // CAP_SYS_CHROOT is not granted: still denied.
  if (!fails_with(::syscall(SYS_chroot, "/"), EPERM)) return 2;
  return 0;
}

int no_capability_checks() {
  if (!fails_with(::syscall(SYS_kcmp, ::getpid(), ::getpid(), 0, 1, 1), EPERM)) return 1;
  return 0;
}

TEST(SeccompEnforce, DefaultProfileGrantsCallsForTheContainersCapabilities) {
  EXPECT_EQ(run_filtered(compiled(default_profile(), {.capabilities = {CAP_SYS_PTRACE}}), capability_checks), 0);
  EXPECT_EQ(run_filtered(compiled(default_profile(), {.capabilities = {CAP_SYS_CHROOT}}), no_capability_checks), 0);
}

// Actually entering a namespace needs root as well as the filter's leave.
TEST(SeccompEnforce, ROOT_DefaultProfileWithSysAdminAllowsNamespaces) {
  if (::geteuid() != 0) GTEST_SKIP() << "ROOT: unshare(CLONE_NEWUTS) needs root";
  const auto checks = []() -> int {
    if (::unshare(CLONE_NEWUTS) != 0) return 1;
    if (::sethostname("seccomp-test", 12) != 0) return 2;
    if (::syscall(SYS_clone3, nullptr, 0) != -1 || errno == ENOSYS) return 3;  // reaches the kernel: EINVAL
    return 0;
  };
  EXPECT_EQ(run_filtered(compiled(default_profile(), {.capabilities = {CAP_SYS_ADMIN}}), checks), 0);
}

constexpr std::string_view kMkdirProfile = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
     "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_NE"}]},
    {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "5.0"}},
    {"names": ["not_a_syscall"], "action": "SCMP_ACT_ERRNO"}
  ]
})";

int mkdir_profile_checks() {
  if (!fails_with(::mkdir("/tmp/seccomp-test-never", 0700), EPERM)) return 1;
  if (!fails_with(::syscall(SYS_mkdirat, AT_FDCWD, "/tmp/seccomp-test-never", 0700), EPERM)) return 2;
  if (!fails_with(::rmdir("/tmp/seccomp-test-never"), EACCES)) return 3;
  if (!fails_with(::syscall(SYS_personality, 0), EINVAL)) return 4;
  if (::syscall(SYS_personality, 0xffffffff) < 0) return 5;
  if (::syscall(SYS_getpid) != ::getpid()) return 6;
  if (::access("/", F_OK) != 0) return 7;
  return 0;
}

TEST(SeccompEnforce, JsonProfileDeniesMkdirAndFiltersArguments) {
  auto profile = parse_profile(kMkdirProfile);
  ASSERT_TRUE(profile) << profile.error().message;
  auto filter = compile(*profile);
  ASSERT_TRUE(filter) << filter.error().message;
  EXPECT_EQ(filter->unknown_syscalls, std::vector<std::string>{"not_a_syscall"});
  EXPECT_EQ(run_filtered(*filter, mkdir_profile_checks), 0);
}

TEST(SeccompEnforce, MinKernelDecidesWhetherAnEntryApplies) {
  auto profile = parse_profile(kMkdirProfile);
  ASSERT_TRUE(profile) << profile.error().message;
  const auto denied = []() -> int { return fails_with(::syscall(SYS_getppid), EPERM) ? 0 : 1; };
  const auto allowed = []() -> int { return ::syscall(SYS_getppid) > 0 ? 0 : 1; };
  EXPECT_EQ(run_filtered(compiled(*profile, {.kernel_release = "6.1.0-13-amd64"}), denied), 0);
  EXPECT_EQ(run_filtered(compiled(*profile, {.kernel_release = "4.19.0"}), allowed), 0);
}

TEST(SeccompEnforce, KillAndTrapActionsEndTheProcessWithSigsys) {
  for (const char* action : {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_TRAP"}) {
    auto profile = parse_profile(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":")" +
                                 std::string(action) + R"("}]})");
    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(run_filtered(compiled(*profile), []() -> int { return ::syscall(SYS_getppid) > 0 ? 0 : 1; }),
              200 + SIGSYS)
        << action;
  }
}

#if defined(__x86_64__)
// A syscall through the x32 table from an x86_64 process: a profile that
// does not name x32 kills the process, as it would any foreign arch.
TEST(SeccompEnforce, ForeignArchesAreKilled) {
  auto profile = parse_profile(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]})");
  ASSERT_TRUE(profile) << profile.error().message;
  const auto x32_getpid = []() -> int { return ::syscall(0x40000000 | SYS_getpid) >= 0 || errno == ENOSYS ? 0 : 1; };
  EXPECT_EQ(run_filtered(compiled(*profile), x32_getpid), 200 + SIGSYS);
  // The default profile admits the native arch only.
  EXPECT_EQ(run_filtered(compiled(default_profile()), x32_getpid), 200 + SIGSYS);
}
#endif

}  // namespace
}  // namespace dcos::isolation::seccomp
