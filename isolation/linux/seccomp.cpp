// seccomp::compile (a Profile to a BPF program: libseccomp checks the rules
// and compiles the 32-bit arches, seccomp_bpf.cpp the native one) and
// install; seccomp_profile.cpp reads profiles.
#include "isolation/linux/seccomp.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "isolation/linux/seccomp_bpf.hpp"
#include "runtime/unique_fd.hpp"

namespace dcos::isolation::seccomp {

namespace {

// Arch names as profiles spell them: libseccomp's in architectures/archMap,
// Docker's (Go's GOARCH and a few more) in includes/excludes arches.
struct ArchName {
  std::string_view name;
  uint32_t token;
};
constexpr ArchName kArches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};
constexpr ArchName kDockerArches[] = {
    {"amd64", SCMP_ARCH_X86_64},
    {"x86_64", SCMP_ARCH_X86_64},
    {"x86", SCMP_ARCH_X86},
    {"386", SCMP_ARCH_X86},
    {"x32", SCMP_ARCH_X32},
    {"arm64", SCMP_ARCH_AARCH64},
    {"aarch64", SCMP_ARCH_AARCH64},
    {"arm", SCMP_ARCH_ARM},
    {"mips", SCMP_ARCH_MIPS},
    {"mipsle", SCMP_ARCH_MIPSEL},
    {"mips64", SCMP_ARCH_MIPS64},
    {"mips64le", SCMP_ARCH_MIPSEL64},
    {"mips64n32", SCMP_ARCH_MIPS64N32},
    {"mips64len32", SCMP_ARCH_MIPSEL64N32},
    {"ppc", SCMP_ARCH_PPC},
    {"ppc64", SCMP_ARCH_PPC64},
    {"ppc64le", SCMP_ARCH_PPC64LE},
    {"s390", SCMP_ARCH_S390},
    {"s390x", SCMP_ARCH_S390X},
    {"riscv64", SCMP_ARCH_RISCV64},
};

// The ABIs a kernel of the native arch also runs: a filter without them
// lets a process escape the list through the other syscall table.
struct CompatArches {
  uint32_t native;
  uint32_t compat[2];
};
constexpr CompatArches kCompat[] = {
    {SCMP_ARCH_X86_64, {SCMP_ARCH_X86, SCMP_ARCH_X32}},
    {SCMP_ARCH_AARCH64, {SCMP_ARCH_ARM, 0}},
    {SCMP_ARCH_S390X, {SCMP_ARCH_S390, 0}},
    {SCMP_ARCH_PPC64, {SCMP_ARCH_PPC, 0}},
    {SCMP_ARCH_MIPS64, {SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64N32}},
    {SCMP_ARCH_MIPSEL64, {SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64N32}},
};
template <class Table>
std::optional<uint32_t> arch_token(const Table& table, std::string_view name) {
  for (const auto& arch : table)
    if (arch.name == name) return arch.token;
  return std::nullopt;
}

bool runs_on(uint32_t native, uint32_t arch) {
  if (arch == native) return true;
  for (const auto& entry : kCompat)
    if (entry.native == native && (entry.compat[0] == arch || entry.compat[1] == arch)) return true;
  return false;
}

constexpr uint32_t kBadArchAction = SCMP_ACT_KILL_PROCESS;

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

Error libseccomp_error(const std::string& what, int rc) { return Error{what + ": " + std::strerror(-rc)}; }

uint32_t action_token(Action action, std::optional<uint32_t> errno_ret) {
  const uint32_t number = errno_ret.value_or(EPERM);
  switch (action) {
    case Action::kAllow:
      return SCMP_ACT_ALLOW;
    case Action::kErrno:
      return SCMP_ACT_ERRNO(number);
    case Action::kKillThread:
      return SCMP_ACT_KILL_THREAD;
    case Action::kKillProcess:
      return SCMP_ACT_KILL_PROCESS;
    case Action::kTrap:
      return SCMP_ACT_TRAP;
    case Action::kTrace:
      return SCMP_ACT_TRACE(number);
    case Action::kLog:
      return SCMP_ACT_LOG;
  }
  return SCMP_ACT_KILL_PROCESS;
}

struct Host {
  uint32_t arch;
  KernelVersion kernel;
  const std::set<int>& caps;
};

bool matches_arch(const std::vector<std::string>& arches, uint32_t native) {
  return std::any_of(arches.begin(), arches.end(),
                     [&](const std::string& name) { return arch_token(kDockerArches, name) == native; });
}

bool applies(const Rule& rule, const Host& host) {
  const auto& in = rule.includes;
  if (!std::all_of(in.caps.begin(), in.caps.end(), [&](int cap) { return host.caps.contains(cap); })) return false;
  if (!in.arches.empty() && !matches_arch(in.arches, host.arch)) return false;
  if (in.min_kernel && host.kernel < *in.min_kernel) return false;
  const auto& ex = rule.excludes;
  if (std::any_of(ex.caps.begin(), ex.caps.end(), [&](int cap) { return host.caps.contains(cap); })) return false;
  if (matches_arch(ex.arches, host.arch)) return false;
  if (ex.min_kernel && host.kernel >= *ex.min_kernel) return false;
  return true;
}

// Adds the profile's arches that run on this kernel besides the native one
// and returns them.
Result<std::set<uint32_t>> add_arches(scmp_filter_ctx ctx, const Profile& profile, uint32_t native) {
  std::set<uint32_t> wanted;
  auto want = [&](const std::string& name) {
    const auto token = arch_token(kArches, name);
    if (token && *token != native && runs_on(native, *token)) wanted.insert(*token);
  };
  for (const auto& name : profile.architectures) want(name);
  for (const auto& entry : profile.arch_map)
    if (arch_token(kArches, entry.architecture) == native)
      for (const auto& name : entry.sub_architectures) want(name);
  for (const uint32_t arch : wanted) {
    const int rc = seccomp_arch_add(ctx, arch);
    if (rc < 0 && rc != -EEXIST) return libseccomp_error("seccomp_arch_add " + std::to_string(arch), rc);
  }
  return wanted;
}

// The profile's comparisons as libseccomp's.
constexpr std::pair<Op, scmp_compare> kCompares[] = {
    {Op::kNotEqual, SCMP_CMP_NE},           {Op::kLessThan, SCMP_CMP_LT},
    {Op::kLessOrEqual, SCMP_CMP_LE},        {Op::kEqual, SCMP_CMP_EQ},
    {Op::kGreaterOrEqual, SCMP_CMP_GE},     {Op::kGreaterThan, SCMP_CMP_GT},
    {Op::kMaskedEqual, SCMP_CMP_MASKED_EQ},
};

scmp_compare compare_of(Op op) {
  for (const auto& [each, compare] : kCompares)
    if (each == op) return compare;
  return SCMP_CMP_EQ;
}

// A rule's conditions as alternatives (any may hold) of conditions that
// must all hold. libseccomp takes one comparison per argument in a rule;
// several on one argument become rules of their own (as runc does).
std::vector<std::vector<ArgCondition>> alternatives_of(const std::vector<ArgCondition>& args) {
  for (std::size_t i = 0; i < args.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (args[i].index == args[j].index) {
        std::vector<std::vector<ArgCondition>> each;
        for (const auto& arg : args) each.push_back({arg});
        return each;
      }
  return {args};
}

Result<void> add_rule(scmp_filter_ctx ctx, uint32_t action, int syscall,
                      const std::vector<std::vector<ArgCondition>>& alternatives) {
  for (const auto& conditions : alternatives) {
    std::vector<scmp_arg_cmp> compares;
    for (const auto& arg : conditions)
      compares.push_back(scmp_arg_cmp{arg.index, compare_of(arg.op), arg.value, arg.value_two});
    const int rc =
        seccomp_rule_add_array(ctx, action, syscall, static_cast<unsigned>(compares.size()), compares.data());
    if (rc < 0) return libseccomp_error("seccomp_rule_add", rc);
  }
  return {};
}

// The native arch's rules for seccomp_bpf.cpp, per syscall number. A
// syscall given rules of different actions makes it decline: which wins
// where their conditions overlap is libseccomp's to say.
class NativeRules {
 public:
  void add(int nr, uint32_t action, const std::vector<std::vector<ArgCondition>>& alternatives) {
    if (nr < 0) return;  // libseccomp's pseudo-number: not a syscall of this arch
    auto [it, added] = calls_.try_emplace(static_cast<uint32_t>(nr));
    SyscallVerdict& call = it->second;
    if (!added && call.action != action) mixed_ = true;
    call.nr = static_cast<uint32_t>(nr);
    call.action = action;
    if (unconditional_.contains(call.nr)) return;
    if (alternatives.front().empty()) {
      unconditional_.insert(call.nr);
      call.alternatives.clear();
      return;
    }
    call.alternatives.insert(call.alternatives.end(), alternatives.begin(), alternatives.end());
  }
  bool mixed() const { return mixed_; }
  std::vector<SyscallVerdict> take() {
    std::vector<SyscallVerdict> out;
    for (auto& [nr, call] : calls_) out.push_back(std::move(call));
    return out;
  }

 private:
  std::map<uint32_t, SyscallVerdict> calls_;
  std::set<uint32_t> unconditional_;
  bool mixed_ = false;
};

// Arches whose layout seccomp_bpf.cpp knows: 64-bit arguments, little-endian.
bool own_program_fits(uint32_t native) { return native == SCMP_ARCH_X86_64 || native == SCMP_ARCH_AARCH64; }

Result<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx) {
  // libseccomp 2.5 exports only to a file descriptor.
  UniqueFd fd(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!fd) return errno_error("memfd_create 'seccomp-bpf'");
  if (const int rc = seccomp_export_bpf(ctx, fd.get()); rc < 0) return libseccomp_error("seccomp_export_bpf", rc);
  const off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0) return errno_error("lseek on the exported filter");
  if (size == 0 || size % sizeof(sock_filter) != 0)
    return Error{"seccomp_export_bpf wrote " + std::to_string(size) + " bytes, not whole BPF instructions"};
  const std::size_t count = static_cast<std::size_t>(size) / sizeof(sock_filter);
  if (count > BPF_MAXINSNS)
    return Error{"the filter has " + std::to_string(count) + " instructions, more than the kernel's " +
                 std::to_string(BPF_MAXINSNS)};
  std::vector<sock_filter> program(count);
  auto* bytes = reinterpret_cast<char*>(program.data());
  std::size_t done = 0;
  while (done < static_cast<std::size_t>(size)) {
    const ssize_t got =
        ::pread(fd.get(), bytes + done, static_cast<std::size_t>(size) - done, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno_error("read the exported filter");
    if (got == 0) return Error{"read the exported filter: ended early"};
    done += static_cast<std::size_t>(got);
  }
  return program;
}

Result<KernelVersion> host_kernel(const std::string& release) {
  std::string text = release;
  if (text.empty()) {
    struct utsname name {};
    if (::uname(&name) != 0) return errno_error("uname");
    text = name.release;
  }
  auto version = parse_kernel_version(text, false);
  if (!version) return Error{"kernel release: " + version.error().message};
  return version;
}

}  // namespace

Result<Filter> compile(const Profile& profile, const CompileOptions& options) {
  auto kernel = host_kernel(options.kernel_release);
  if (!kernel) return kernel.error();
  const Host host{seccomp_arch_native(), *kernel, options.capabilities};

  const uint32_t default_action = action_token(profile.default_action, profile.default_errno_ret);
  Context ctx(seccomp_init(default_action));
  if (!ctx) return Error{"seccomp_init " + std::string(action_name(profile.default_action)) + ": failed"};
  // The caller sets no_new_privs itself (and install() does not go through
  // seccomp_load, which is what CTL_NNP affects). A syscall of an arch not in
  // the filter ends the process: it is an escape attempt or a broken binary.
  const std::pair<scmp_filter_attr, uint32_t> attributes[] = {
      {SCMP_FLTATR_CTL_NNP, 0},
      {SCMP_FLTATR_ACT_BADARCH, kBadArchAction},
      {SCMP_FLTATR_CTL_OPTIMIZE, 2},  // a binary tree: an allow-list of ~350 calls stays fast
  };
  for (const auto& [attribute, value] : attributes)
    if (const int rc = seccomp_attr_set(ctx.get(), attribute, value); rc < 0)
      return libseccomp_error("seccomp_attr_set " + std::to_string(attribute), rc);
  auto compat = add_arches(ctx.get(), profile, host.arch);
  if (!compat) return compat.error();

  // Every rule goes to libseccomp too: it checks them (its errors are the
  // profile's), and compiles them for the other arches.
  std::set<std::string> unknown;
  NativeRules native;
  for (std::size_t i = 0; i < profile.syscalls.size(); ++i) {
    const Rule& rule = profile.syscalls[i];
    if (!applies(rule, host)) continue;
    const uint32_t action = action_token(rule.action, rule.errno_ret);
    if (action == default_action) continue;  // libseccomp refuses these; they change nothing
    const auto alternatives = alternatives_of(rule.args);
    for (const auto& name : rule.names) {
      const int syscall = seccomp_syscall_resolve_name(name.c_str());
      if (syscall == __NR_SCMP_ERROR) {
        unknown.insert(name);
        continue;
      }
      if (auto added = add_rule(ctx.get(), action, syscall, alternatives); !added)
        return Error{"syscalls[" + std::to_string(i) + "] '" + name + "': " + added.error().message};
      native.add(syscall, action, alternatives);
    }
  }
  Filter filter{{}, std::vector<std::string>(unknown.begin(), unknown.end()), Generator::kLibseccomp};
  if (options.generator == Generator::kLibseccomp || native.mixed() || !own_program_fits(host.arch)) {
    auto program = export_program(ctx.get());
    if (!program) return program.error();
    filter.program = std::move(*program);
    return filter;
  }
  // libseccomp's program for the other arches only, behind our native part.
  std::vector<sock_filter> compat_program;
  if (!compat->empty()) {
    if (const int rc = seccomp_arch_remove(ctx.get(), host.arch); rc < 0)
      return libseccomp_error("seccomp_arch_remove " + std::to_string(host.arch), rc);
    auto program = export_program(ctx.get());
    if (!program) return program.error();
    compat_program = std::move(*program);
  }
  const NativeFilter own{.arch = host.arch,
                         .x32_bit = host.arch == SCMP_ARCH_X86_64,
                         .x32_admitted = compat->contains(SCMP_ARCH_X32),
                         .default_action = default_action,
                         .bad_arch_action = kBadArchAction,
                         .syscalls = native.take()};
  auto program = native_program(own, compat_program);
  if (!program) return program.error();
  filter.program = std::move(*program);
  filter.generator = Generator::kRangeTree;
  return filter;
}

int install(const Filter& filter) noexcept {
  if (filter.program.empty() || filter.program.size() > BPF_MAXINSNS) return EINVAL;
  sock_fprog program{};
  program.len = static_cast<unsigned short>(filter.program.size());
  program.filter = const_cast<sock_filter*>(filter.program.data());
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0) return 0;
  if (errno != ENOSYS) return errno;
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) == 0) return 0;
  return errno;
}

}  // namespace dcos::isolation::seccomp
