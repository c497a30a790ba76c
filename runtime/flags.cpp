#include "runtime/flags.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

namespace dcos {
namespace {

constexpr std::string_view kEnvironmentPrefix = "DCOS_";

std::string quote(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string environment_name(std::string_view flag) {
  std::string name(kEnvironmentPrefix);
  for (char c : flag) name += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return name;
}

bool consumed_all(std::string_view text, const char* end) { return !text.empty() && end == text.data() + text.size(); }

Result<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return Error{quote(text) + " is not a boolean (true, false, 1, 0)"};
}

Result<int64_t> parse_int64(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return Error{quote(text) + " is out of range for a 64-bit integer"};
  }
  if (ec != std::errc() || !consumed_all(text, end)) return Error{quote(text) + " is not an integer"};
  return value;
}

Result<uint16_t> parse_port(std::string_view text) {
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || !consumed_all(text, end) || value > 65535) {
    return Error{quote(text) + " is not a port number (0-65535)"};
  }
  return static_cast<uint16_t>(value);
}

Result<double> parse_double(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::invalid_argument || !consumed_all(text, end)) {
    return Error{quote(text) + " is not a number"};
  }
  if (ec == std::errc::result_out_of_range) return Error{quote(text) + " is out of range"};
  if (!std::isfinite(value)) return Error{quote(text) + " is not a finite number"};
  return value;
}

std::string format_double(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

// Wraps a Result<T>(std::string_view) parser into a flag setter for `target`.
template <class T, class Parser>
std::function<Result<void>(std::string_view)> storing(T* target, Parser parse) {
  return [target, parse](std::string_view text) -> Result<void> {
    auto value = parse(text);
    if (!value) return value.error();
    *target = std::move(value).value();
    return {};
  };
}

// "--name=value" -> {name, value}; "--name" -> {name, nullopt}.
std::pair<std::string_view, std::optional<std::string_view>> split_argument(std::string_view arg) {
  arg.remove_prefix(2);
  const size_t equals = arg.find('=');
  if (equals == std::string_view::npos) return {arg, std::nullopt};
  return {arg.substr(0, equals), arg.substr(equals + 1)};
}

Error unknown_flag(std::string_view name) { return Error{"unknown flag '--" + std::string(name) + "' (see --help)"}; }

// Resolves one "--..." argument to the flag it sets and the value text, so
// that "--verbose" means "--verbose=true" and "--no-verbose" means
// "--verbose=false". FlagMap is FlagSet's private map.
template <class FlagMap>
Result<std::pair<std::string, std::string>> resolve_argument(const FlagMap& flags, std::string_view arg) {
  const auto [name, value] = split_argument(arg);
  const auto flag = flags.find(name);
  if (value) {
    if (flag == flags.end()) {
      if (name.starts_with("no-") && flags.contains(name.substr(3))) {
        return Error{"flag '--" + std::string(name) + "' takes no value"};
      }
      return unknown_flag(name);
    }
    return std::pair{std::string(name), std::string(*value)};
  }
  if (flag != flags.end()) {
    if (flag->second.is_bool) return std::pair{std::string(name), std::string("true")};
    return Error{"flag '--" + std::string(name) + "' needs a value (--" + std::string(name) + "=VALUE)"};
  }
  if (name.starts_with("no-")) {
    const auto negated = flags.find(name.substr(3));
    if (negated != flags.end() && negated->second.is_bool) {
      return std::pair{negated->first, std::string("false")};
    }
  }
  return unknown_flag(name);
}

}  // namespace

FlagSet::FlagSet(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void FlagSet::add(std::string name, std::string help, std::string* target) {
  add_flag(
      std::move(name),
      Flag{.help = std::move(help), .default_text = *target, .parse = [target](std::string_view text) -> Result<void> {
             *target = std::string(text);
             return {};
           }});
}

void FlagSet::add(std::string name, std::string help, bool* target) {
  add_flag(std::move(name), Flag{.help = std::move(help),
                                 .default_text = *target ? "true" : "false",
                                 .is_bool = true,
                                 .parse = storing(target, parse_bool)});
}

void FlagSet::add(std::string name, std::string help, int64_t* target) {
  add_flag(
      std::move(name),
      Flag{.help = std::move(help), .default_text = std::to_string(*target), .parse = storing(target, parse_int64)});
}

void FlagSet::add(std::string name, std::string help, uint16_t* target) {
  add_flag(
      std::move(name),
      Flag{.help = std::move(help), .default_text = std::to_string(*target), .parse = storing(target, parse_port)});
}

void FlagSet::add(std::string name, std::string help, double* target) {
  add_flag(
      std::move(name),
      Flag{.help = std::move(help), .default_text = format_double(*target), .parse = storing(target, parse_double)});
}

void FlagSet::add(std::string name, std::string help, Duration* target) {
  add_flag(std::move(name), Flag{.help = std::move(help),
                                 .default_text = format_duration(*target),
                                 .parse = storing(target, parse_duration)});
}

void FlagSet::add(std::string name, std::string help, std::vector<std::string>* target) {
  std::string default_text;
  for (const auto& value : *target) default_text += (default_text.empty() ? "" : ",") + value;
  add_flag(std::move(name), Flag{.help = std::move(help) + " (repeatable)",
                                 .default_text = std::move(default_text),
                                 .repeatable = true,
                                 .parse = [target, given = false](std::string_view text) mutable -> Result<void> {
                                   if (!given) target->clear();
                                   given = true;
                                   target->emplace_back(text);
                                   return {};
                                 }});
}

void FlagSet::add(std::string name, std::string help, std::string default_text,
                  std::function<Result<void>(std::string_view)> parse) {
  add_flag(std::move(name),
           Flag{.help = std::move(help), .default_text = std::move(default_text), .parse = std::move(parse)});
}

void FlagSet::add_flag(std::string name, Flag flag) {
  // Registering a flag twice, or one called "help", is a bug in the daemon.
  assert(!name.empty() && !name.starts_with("-") && name != "help");
  [[maybe_unused]] const bool added = flags_.emplace(std::move(name), std::move(flag)).second;
  assert(added);
}

Result<void> FlagSet::apply(const std::string& name, std::string_view value, std::string_view source_name) {
  Flag& flag = flags_.find(name)->second;
  if (auto parsed = flag.parse(value); !parsed) {
    return Error{"bad value for " + std::string(source_name) + ": " + parsed.error().message};
  }
  flag.set = true;
  flag.value_text = value;
  return {};
}

std::map<std::string, std::string> FlagSet::values() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, flag] : flags_) out[name] = flag.set ? flag.value_text : flag.default_text;
  return out;
}

Result<void> FlagSet::parse(int argc, const char* const* argv, const char* const* environment) {
  const std::vector<std::string_view> args(argv + std::min(argc, 1), argv + argc);
  positional_.clear();
  const auto end_of_flags = std::find(args.begin(), args.end(), "--");
  // --help wins over everything else, so that a mistake elsewhere on the
  // command line cannot keep an operator from reading the usage.
  help_requested_ = std::find(args.begin(), end_of_flags, "--help") != end_of_flags;
  if (help_requested_) return {};

  // Looked up by variable rather than by flag, and erased once used, so that
  // a duplicate variable behaves as with getenv(): the first one counts.
  std::map<std::string, std::string, std::less<>> variables;
  for (const auto& [name, flag] : flags_) variables.emplace(environment_name(name), name);
  unknown_variables_.clear();
  for (const char* const* entry = environment; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    const size_t equals = variable.find('=');
    if (!variable.starts_with(kEnvironmentPrefix) || equals == std::string_view::npos) continue;
    const auto known = variables.find(variable.substr(0, equals));
    if (known == variables.end()) {  // a repeated one, another program's, or a typo
      const std::string_view name = variable.substr(0, equals);
      std::string flag;
      for (char c : name.substr(kEnvironmentPrefix.size()))
        flag += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      if (!flags_.contains(flag)) unknown_variables_.emplace_back(name);
      continue;
    }
    if (auto applied = apply(known->second, variable.substr(equals + 1), known->first); !applied) {
      return applied;
    }
    variables.erase(known);
  }

  std::set<std::string, std::less<>> given;
  for (auto arg = args.begin(); arg != end_of_flags; ++arg) {
    if (!arg->starts_with("--")) {
      positional_.emplace_back(*arg);
      continue;
    }
    std::string spaced;
    if (spaced_values_ && arg->find('=') == std::string_view::npos && arg + 1 != end_of_flags) {
      const auto flag = flags_.find(arg->substr(2));
      if (flag != flags_.end() && !flag->second.is_bool) {
        spaced = std::string(*arg) + "=";
        spaced += *++arg;
      }
    }
    auto resolved = resolve_argument(flags_, spaced.empty() ? *arg : std::string_view(spaced));
    if (!resolved) return resolved.error();
    const auto& [name, value] = *resolved;
    if (!given.insert(name).second && !flags_.at(name).repeatable)
      return Error{"flag '--" + name + "' is given more than once"};
    if (auto applied = apply(name, value, "--" + name); !applied) return applied;
  }
  if (end_of_flags != args.end()) positional_.insert(positional_.end(), end_of_flags + 1, args.end());
  return {};
}

bool FlagSet::was_set(std::string_view name) const {
  const auto flag = flags_.find(name);
  return flag != flags_.end() && flag->second.set;
}

std::string FlagSet::usage() const {
  // {name, left column, right column}, sorted by name with --help among them.
  std::vector<std::tuple<std::string, std::string, std::string>> rows;
  rows.emplace_back("help", "--help", "Print this help and exit");
  for (const auto& [name, flag] : flags_) {
    std::string text = flag.help;
    if (!flag.default_text.empty()) {
      text += (text.empty() ? "" : " ") + ("(default: " + flag.default_text + ")");
    }
    rows.emplace_back(name, "--" + name + "=VALUE", std::move(text));
  }
  std::sort(rows.begin(), rows.end());

  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, std::get<1>(row).size());
  std::string out = "Usage: " + program_ + " [flags]\n\n" + summary_ + "\n\nFlags:\n";
  for (const auto& [name, left, right] : rows) {
    out += "  " + left;
    if (!right.empty()) out += std::string(width - left.size() + 2, ' ') + right;
    out += '\n';
  }
  return out;
}

}  // namespace dcos
