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
#include <charconv>
#include <cstring>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "isolation/linux/capabilities.hpp"
#include "runtime/unique_fd.hpp"

namespace dcos::isolation::seccomp {

namespace {

using nlohmann::json;

struct ActionName {
  std::string_view name;
  Action action;
};
// The first name of an action is the one action_name gives.
constexpr ActionName kActions[] = {
    {"SCMP_ACT_ALLOW", Action::kAllow},
    {"SCMP_ACT_ERRNO", Action::kErrno},
    {"SCMP_ACT_KILL_THREAD", Action::kKillThread},
    {"SCMP_ACT_KILL", Action::kKillThread},
    {"SCMP_ACT_KILL_PROCESS", Action::kKillProcess},
    {"SCMP_ACT_TRAP", Action::kTrap},
    {"SCMP_ACT_TRACE", Action::kTrace},
    {"SCMP_ACT_LOG", Action::kLog},
};

struct OpName {
  std::string_view name;
  Op op;
  scmp_compare compare;
};
constexpr OpName kOps[] = {
    {"SCMP_CMP_NE", Op::kNotEqual, SCMP_CMP_NE},
    {"SCMP_CMP_LT", Op::kLessThan, SCMP_CMP_LT},
    {"SCMP_CMP_LE", Op::kLessOrEqual, SCMP_CMP_LE},
    {"SCMP_CMP_EQ", Op::kEqual, SCMP_CMP_EQ},
    {"SCMP_CMP_GE", Op::kGreaterOrEqual, SCMP_CMP_GE},
    {"SCMP_CMP_GT", Op::kGreaterThan, SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", Op::kMaskedEqual, SCMP_CMP_MASKED_EQ},
};

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

constexpr std::size_t kMaxArgConditions = 32;
constexpr std::size_t kMaxShown = 64;  // characters of a value quoted in an error

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

// A value as an error shows it: numbers and literals as JSON, strings quoted
// and cut short, containers by their type.
std::string describe(const json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return "'" + (text.size() > kMaxShown ? text.substr(0, kMaxShown) + "..." : text) + "'";
  }
  if (value.is_structured()) return std::string("an ") + value.type_name();
  return value.dump();
}

Error wrong_type(const std::string& path, std::string_view expected, const json& value) {
  return Error{path + ": expected " + std::string(expected) + ", got " + describe(value)};
}

// A member of an object; null counts as absent (Go writes nil slices so).
const json* member(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::string> get_string(const json& value, const std::string& path) {
  if (!value.is_string()) return wrong_type(path, "a string", value);
  return value.get<std::string>();
}

Result<std::vector<std::string>> get_strings(const json& value, const std::string& path) {
  if (!value.is_array()) return wrong_type(path, "an array of strings", value);
  std::vector<std::string> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto text = get_string(value[i], path + "[" + std::to_string(i) + "]");
    if (!text) return text.error();
    out.push_back(std::move(*text));
  }
  return out;
}

Result<uint64_t> get_unsigned(const json& value, const std::string& path) {
  if (!value.is_number_unsigned()) return wrong_type(path, "a non-negative integer", value);
  return value.get<uint64_t>();
}

Result<Action> get_action(const json& value, const std::string& path) {
  auto name = get_string(value, path);
  if (!name) return name.error();
  for (const auto& entry : kActions)
    if (entry.name == *name) return entry.action;
  if (*name == "SCMP_ACT_NOTIFY") return Error{path + ": 'SCMP_ACT_NOTIFY' is not supported (no seccomp agent)"};
  return Error{path + ": unknown action " + describe(value)};
}

// errnoRet / defaultErrnoRet: a number only actions that return one take.
Result<std::optional<uint32_t>> get_errno(const json* value, Action action, const std::string& path) {
  if (!value) return std::optional<uint32_t>{};
  auto number = get_unsigned(*value, path);
  if (!number) return number.error();
  if (*number > kMaxErrno) return Error{path + ": " + std::to_string(*number) + " is more than 4095"};
  if (action != Action::kErrno && action != Action::kTrace)
    return Error{path + ": only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one, not " + std::string(action_name(action))};
  return std::optional<uint32_t>(static_cast<uint32_t>(*number));
}

Result<ArgCondition> get_arg(const json& value, const std::string& path) {
  if (!value.is_object()) return wrong_type(path, "an object", value);
  ArgCondition arg;
  const json* index = member(value, "index");
  if (!index) return Error{path + ".index: missing"};
  auto number = get_unsigned(*index, path + ".index");
  if (!number) return number.error();
  if (*number > 5) return Error{path + ".index: " + std::to_string(*number) + " is more than 5"};
  arg.index = static_cast<unsigned>(*number);
  for (auto [key, field] : {std::pair{"value", &arg.value}, std::pair{"valueTwo", &arg.value_two}}) {
    if (const json* given = member(value, key)) {
      auto v = get_unsigned(*given, path + "." + key);
      if (!v) return v.error();
      *field = *v;
    }
  }
  const json* op = member(value, "op");
  if (!op) return Error{path + ".op: missing"};
  auto name = get_string(*op, path + ".op");
  if (!name) return name.error();
  const auto found = std::find_if(std::begin(kOps), std::end(kOps), [&](const OpName& o) { return o.name == *name; });
  if (found == std::end(kOps)) return Error{path + ".op: unknown operator " + describe(*op)};
  arg.op = found->op;
  return arg;
}

Result<KernelVersion> parse_kernel_version(std::string_view text, bool whole) {
  KernelVersion version;
  const char* end = text.data() + text.size();
  auto [dot, ec] = std::from_chars(text.data(), end, version.major);
  if (ec == std::errc{} && dot != end && *dot == '.') {
    auto [after, ec2] = std::from_chars(dot + 1, end, version.minor);
    if (ec2 == std::errc{} && (!whole || after == end)) return version;
  }
  // Appended piece by piece: g++ 12 -O3 misreads "'" + std::string (-Wrestrict).
  std::string message(1, '\'');
  message.append(text.substr(0, kMaxShown));
  message.append(whole ? "' is not 'major.minor'" : "' is not a kernel release (major.minor...)");
  return Error{std::move(message)};
}

Result<Selector> get_selector(const json& value, const std::string& path) {
  if (!value.is_object()) return wrong_type(path, "an object", value);
  Selector selector;
  if (const json* caps = member(value, "caps")) {
    auto names = get_strings(*caps, path + ".caps");
    if (!names) return names.error();
    for (std::size_t i = 0; i < names->size(); ++i) {
      auto number = capability_number((*names)[i]);
      if (!number) return Error{path + ".caps[" + std::to_string(i) + "]: unknown capability " + describe((*caps)[i])};
      selector.caps.push_back(*number);
    }
  }
  if (const json* arches = member(value, "arches")) {
    auto names = get_strings(*arches, path + ".arches");
    if (!names) return names.error();
    selector.arches = std::move(*names);
  }
  if (const json* min_kernel = member(value, "minKernel")) {
    auto text = get_string(*min_kernel, path + ".minKernel");
    if (!text) return text.error();
    auto version = parse_kernel_version(*text, true);
    if (!version) return Error{path + ".minKernel: " + version.error().message};
    selector.min_kernel = *version;
  }
  return selector;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

Result<Rule> get_rule(const json& value, const std::string& path, std::size_t& names_left) {
  if (!value.is_object()) return wrong_type(path, "an object", value);
  Rule rule;
  const json* names = member(value, "names");
  const json* name = member(value, "name");
  if (names && name) return Error{path + ": has both 'names' and 'name'; use 'names'"};
  if (!names && !name) return Error{path + ": has neither 'names' nor 'name'"};
  if (names) {
    if (names->is_array() && names->size() > names_left)
      return Error{path + ".names: more than " + std::to_string(kMaxNames) + " names in the profile"};
    auto list = get_strings(*names, path + ".names");
    if (!list) return list.error();
    rule.names = std::move(*list);
  } else {
    if (names_left == 0) return Error{path + ".name: more than " + std::to_string(kMaxNames) + " names in the profile"};
    auto single = get_string(*name, path + ".name");
    if (!single) return single.error();
    rule.names.push_back(std::move(*single));
  }
  for (std::size_t i = 0; i < rule.names.size(); ++i) {
    const std::string& syscall = rule.names[i];
    const std::string where = path + (names ? ".names[" + std::to_string(i) + "]" : ".name");
    if (syscall.empty()) return Error{where + ": empty"};
    // Syscall names are [a-z0-9_]; anything else (a NUL above all) is a broken profile.
    if (!std::all_of(syscall.begin(), syscall.end(), is_name_char))
      return Error{where + ": " + describe(names ? (*names)[i] : *name) + " is not a syscall name"};
  }
  names_left -= rule.names.size();

  const json* action = member(value, "action");
  if (!action) return Error{path + ".action: missing"};
  auto parsed = get_action(*action, path + ".action");
  if (!parsed) return parsed.error();
  rule.action = *parsed;
  auto errno_ret = get_errno(member(value, "errnoRet"), rule.action, path + ".errnoRet");
  if (!errno_ret) return errno_ret.error();
  rule.errno_ret = *errno_ret;

  if (const json* args = member(value, "args")) {
    if (!args->is_array()) return wrong_type(path + ".args", "an array", *args);
    if (args->size() > kMaxArgConditions)
      return Error{path + ".args: " + std::to_string(args->size()) + " conditions, more than " +
                   std::to_string(kMaxArgConditions)};
    for (std::size_t i = 0; i < args->size(); ++i) {
      auto arg = get_arg((*args)[i], path + ".args[" + std::to_string(i) + "]");
      if (!arg) return arg.error();
      rule.args.push_back(*arg);
    }
  }
  for (auto [key, selector] : {std::pair{"includes", &rule.includes}, std::pair{"excludes", &rule.excludes}}) {
    if (const json* given = member(value, key)) {
      auto parsed_selector = get_selector(*given, path + "." + key);
      if (!parsed_selector) return parsed_selector.error();
      *selector = std::move(*parsed_selector);
    }
  }
  return rule;
}

// nlohmann's parser recurses per nesting level; refuse deep input before it.
Result<void> check_depth(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth)
        return Error{"profile: nested deeper than " + std::to_string(kMaxDepth) + " levels at byte " +
                     std::to_string(i)};
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return {};
}

Result<Profile> get_profile(const json& doc) {
  if (!doc.is_object()) return wrong_type("profile", "an object", doc);
  Profile profile;
  const json* default_action = member(doc, "defaultAction");
  if (!default_action) return Error{"defaultAction: missing"};
  auto action = get_action(*default_action, "defaultAction");
  if (!action) return action.error();
  profile.default_action = *action;
  auto errno_ret = get_errno(member(doc, "defaultErrnoRet"), profile.default_action, "defaultErrnoRet");
  if (!errno_ret) return errno_ret.error();
  profile.default_errno_ret = *errno_ret;

  if (const json* arches = member(doc, "architectures")) {
    auto names = get_strings(*arches, "architectures");
    if (!names) return names.error();
    profile.architectures = std::move(*names);
  }
  if (const json* arch_map = member(doc, "archMap")) {
    if (!arch_map->is_array()) return wrong_type("archMap", "an array", *arch_map);
    for (std::size_t i = 0; i < arch_map->size(); ++i) {
      const std::string path = "archMap[" + std::to_string(i) + "]";
      const json& entry = (*arch_map)[i];
      if (!entry.is_object()) return wrong_type(path, "an object", entry);
      ArchMapEntry parsed;
      const json* arch = member(entry, "architecture");
      if (!arch) return Error{path + ".architecture: missing"};
      auto name = get_string(*arch, path + ".architecture");
      if (!name) return name.error();
      parsed.architecture = std::move(*name);
      if (const json* subs = member(entry, "subArchitectures")) {
        auto names = get_strings(*subs, path + ".subArchitectures");
        if (!names) return names.error();
        parsed.sub_architectures = std::move(*names);
      }
      profile.arch_map.push_back(std::move(parsed));
    }
  }
  if (const json* syscalls = member(doc, "syscalls")) {
    if (!syscalls->is_array()) return wrong_type("syscalls", "an array", *syscalls);
    if (syscalls->size() > kMaxRules)
      return Error{"syscalls: " + std::to_string(syscalls->size()) + " entries, more than " +
                   std::to_string(kMaxRules)};
    std::size_t names_left = kMaxNames;
    for (std::size_t i = 0; i < syscalls->size(); ++i) {
      auto rule = get_rule((*syscalls)[i], "syscalls[" + std::to_string(i) + "]", names_left);
      if (!rule) return rule.error();
      profile.syscalls.push_back(std::move(*rule));
    }
  }
  return profile;
}

// ---- compile ----

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

Result<void> add_arches(scmp_filter_ctx ctx, const Profile& profile, uint32_t native) {
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
  return {};
}

Result<void> add_rule(scmp_filter_ctx ctx, uint32_t action, int syscall, const std::vector<ArgCondition>& args) {
  std::vector<scmp_arg_cmp> compares;
  bool repeated = false;
  for (const auto& arg : args) {
    const auto op = std::find_if(std::begin(kOps), std::end(kOps), [&](const OpName& o) { return o.op == arg.op; });
    for (const auto& seen : compares) repeated |= seen.arg == arg.index;
    compares.push_back(scmp_arg_cmp{arg.index, op->compare, arg.value, arg.value_two});
  }
  // libseccomp takes one comparison per argument in a rule; several on one
  // argument become rules of their own (as runc does).
  if (!repeated) {
    const int rc =
        seccomp_rule_add_array(ctx, action, syscall, static_cast<unsigned>(compares.size()), compares.data());
    if (rc < 0) return libseccomp_error("seccomp_rule_add", rc);
    return {};
  }
  for (const auto& compare : compares) {
    const int rc = seccomp_rule_add_array(ctx, action, syscall, 1, &compare);
    if (rc < 0) return libseccomp_error("seccomp_rule_add", rc);
  }
  return {};
}

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

std::string_view action_name(Action action) {
  for (const auto& entry : kActions)
    if (entry.action == action) return entry.name;
  return "?";
}

std::string_view op_name(Op op) {
  for (const auto& entry : kOps)
    if (entry.op == op) return entry.name;
  return "?";
}

std::optional<int> capability_number(std::string_view name) {
  // Profiles spell the kernel's names exactly ("CAP_SYS_ADMIN").
  for (int capability = 0; capability <= capabilities::kLast; ++capability)
    if (capabilities::name(capability) == name) return capability;
  return std::nullopt;
}

Result<Profile> parse_profile(std::string_view text) {
  if (text.size() > kMaxProfileBytes)
    return Error{"profile: " + std::to_string(text.size()) + " bytes, more than " + std::to_string(kMaxProfileBytes)};
  if (auto depth = check_depth(text); !depth) return depth.error();
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    std::string_view what = e.what();
    if (const auto bracket = what.find("] "); what.starts_with("[json.") && bracket != std::string_view::npos)
      what.remove_prefix(bracket + 2);
    return Error{"profile is not JSON: " + std::string(what)};
  }
  return get_profile(doc);
}

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
      {SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS},
      {SCMP_FLTATR_CTL_OPTIMIZE, 2},  // a binary tree: an allow-list of ~350 calls stays fast
  };
  for (const auto& [attribute, value] : attributes)
    if (const int rc = seccomp_attr_set(ctx.get(), attribute, value); rc < 0)
      return libseccomp_error("seccomp_attr_set " + std::to_string(attribute), rc);
  if (auto added = add_arches(ctx.get(), profile, host.arch); !added) return added.error();

  std::set<std::string> unknown;
  for (std::size_t i = 0; i < profile.syscalls.size(); ++i) {
    const Rule& rule = profile.syscalls[i];
    if (!applies(rule, host)) continue;
    const uint32_t action = action_token(rule.action, rule.errno_ret);
    if (action == default_action) continue;  // libseccomp refuses these; they change nothing
    for (const auto& name : rule.names) {
      const int syscall = seccomp_syscall_resolve_name(name.c_str());
      if (syscall == __NR_SCMP_ERROR) {
        unknown.insert(name);
        continue;
      }
      if (auto added = add_rule(ctx.get(), action, syscall, rule.args); !added)
        return Error{"syscalls[" + std::to_string(i) + "] '" + name + "': " + added.error().message};
    }
  }
  auto program = export_program(ctx.get());
  if (!program) return program.error();
  return Filter{std::move(*program), std::vector<std::string>(unknown.begin(), unknown.end())};
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
