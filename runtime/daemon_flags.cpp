#include "runtime/daemon_flags.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>

extern char** environ;

namespace dcos {

namespace {

void add_named_ip_flag(FlagSet& flags, std::string name, std::string* ip, std::string help) {
  flags.add(std::move(name), std::move(help), *ip, [ip](std::string_view text) -> Result<void> {
    const std::string value(text);
    unsigned char address[16];
    if (inet_pton(AF_INET, value.c_str(), address) != 1 && inet_pton(AF_INET6, value.c_str(), address) != 1)
      return Error{"'" + value + "' is not an IP address"};
    *ip = value;
    return {};
  });
}

}  // namespace

void add_ip_flag(FlagSet& flags, std::string* ip, std::string help) { add_named_ip_flag(flags, "ip", ip, std::move(help)); }

void add_http_flags(FlagSet& flags, std::string* ip, uint16_t* port, const std::string& endpoints) {
  add_named_ip_flag(flags, "http_ip", ip, "IP address of the HTTP endpoints (" + endpoints + ")");
  flags.add("http_port", "Port of the HTTP endpoints (" + endpoints + ")", port);
}

void add_positive_duration_flag(FlagSet& flags, std::string name, std::string help, Duration* target) {
  flags.add(std::move(name), std::move(help), format_duration(*target),
            [target](std::string_view text) -> Result<void> {
              auto value = parse_duration(text);
              if (!value) return value.error();
              if (*value <= Duration::zero()) return Error{"must be longer than zero"};
              *target = *value;
              return {};
            });
}

void add_count_flag(FlagSet& flags, std::string name, std::string help, uint64_t value, uint64_t min, uint64_t max,
                    std::function<void(uint64_t)> set) {
  flags.add(std::move(name), std::move(help), std::to_string(value),
            [min, max, set = std::move(set)](std::string_view text) -> Result<void> {
              const std::string digits(text);
              char* end = nullptr;
              errno = 0;
              const unsigned long long count = std::strtoull(digits.c_str(), &end, 10);
              if (digits.empty() || digits[0] == '-' || *end != '\0' || errno == ERANGE || count < min ||
                  count > max)
                return Error{"'" + digits + "' is not a count from " + std::to_string(min) + " to " +
                             std::to_string(max)};
              set(count);
              return {};
            });
}

void add_log_level_flag(FlagSet& flags, log::Level* level) {
  flags.add("log_level", "Least level logged: debug, info, warning, error", "info",
            [level](std::string_view text) -> Result<void> {
              if (!log::parse_level(text, level))
                return Error{"'" + std::string(text) + "' is not one of debug, info, warning, error"};
              return {};
            });
}

std::string local_hostname() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0' ? name : "localhost";
}

std::optional<int> parse_or_exit(FlagSet& flags, const std::string& program, int argc, const char* const* argv) {
  // Static: the flag set keeps the pointer (a main() parses once).
  static bool strict_environment = false;
  flags.add("strict_environment",
            "Refuse to start on a DCOS_* variable that names no flag (a typo); the units set it, their "
            "environment being their /etc/dcos/*.env files",
            &strict_environment);
  if (auto parsed = flags.parse(argc, argv, environ); !parsed) {
    std::cerr << program << ": " << parsed.error().message << "\n";
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.usage();
    return 0;
  }
  if (strict_environment && !flags.unknown_variables().empty()) {
    std::cerr << program << ": unknown setting " << flags.unknown_variables().front()
              << ": no such flag (DCOS_<FLAG> for each flag of " << program << " --help)\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace dcos
