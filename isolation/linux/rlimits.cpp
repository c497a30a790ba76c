#include "isolation/linux/rlimits.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace dcos::isolation {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 16> kResources = {{
    {"as", RLIMIT_AS},
    {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},
    {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
}};

Result<rlim_t> parse_value(std::string_view text, std::string_view spec) {
  if (text == "unlimited" || text == "infinity") return RLIM_INFINITY;
  unsigned long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    return Error{"rlimit '" + std::string(spec) + "': '" + std::string(text) + "' is not a number or 'unlimited'"};
  return static_cast<rlim_t>(value);
}

}  // namespace

std::string rlimit_name(int resource) {
  for (const auto& [name, number] : kResources) {
    if (number == resource) return std::string(name);
  }
  return std::to_string(resource);
}

Result<Rlimit> parse_rlimit(std::string_view spec) {
  const auto equals = spec.find('=');
  if (equals == std::string_view::npos) return Error{"rlimit '" + std::string(spec) + "' is not NAME=SOFT[:HARD]"};
  const std::string_view name = spec.substr(0, equals);
  Rlimit limit;
  bool known = false;
  for (const auto& [candidate, number] : kResources) {
    if (candidate == name) {
      limit.resource = number;
      known = true;
    }
  }
  if (!known) return Error{"rlimit '" + std::string(spec) + "': unknown resource '" + std::string(name) + "'"};
  const std::string_view values = spec.substr(equals + 1);
  const auto colon = values.find(':');
  auto soft = parse_value(values.substr(0, colon), spec);
  if (!soft) return soft.error();
  auto hard = colon == std::string_view::npos ? soft : parse_value(values.substr(colon + 1), spec);
  if (!hard) return hard.error();
  if (*soft > *hard) return Error{"rlimit '" + std::string(spec) + "': soft limit above hard limit"};
  limit.soft = *soft;
  limit.hard = *hard;
  return limit;
}

}  // namespace dcos::isolation
