// Docker-format seccomp profiles read into seccomp::Profile (the policy as
// data); seccomp.cpp compiles one into a BPF program.
#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "isolation/linux/capabilities.hpp"
#include "isolation/linux/seccomp.hpp"

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
};
constexpr OpName kOps[] = {
    {"SCMP_CMP_NE", Op::kNotEqual},           {"SCMP_CMP_LT", Op::kLessThan},
    {"SCMP_CMP_LE", Op::kLessOrEqual},        {"SCMP_CMP_EQ", Op::kEqual},
    {"SCMP_CMP_GE", Op::kGreaterOrEqual},     {"SCMP_CMP_GT", Op::kGreaterThan},
    {"SCMP_CMP_MASKED_EQ", Op::kMaskedEqual},
};

constexpr std::size_t kMaxArgConditions = 32;
constexpr std::size_t kMaxShown = 64;  // characters of a value quoted in an error
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

}  // namespace dcos::isolation::seccomp
