// Flags every daemon shares, and the standard way a main() handles a parse:
// --help prints the usage and exits 0; a bad flag prints one line,
// "<program>: <what is wrong>", and exits 2.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "runtime/flags.hpp"
#include "runtime/log.hpp"

namespace dcos {

// --ip: an IPv4 or IPv6 address, checked when parsed.
void add_ip_flag(FlagSet& flags, std::string* ip, std::string help);
// --http_ip and --http_port: where a node service serves `endpoints`
// ("/health, /metrics").
void add_http_flags(FlagSet& flags, std::string* ip, uint16_t* port, const std::string& endpoints);
// A duration that must be longer than zero.
void add_positive_duration_flag(FlagSet& flags, std::string name, std::string help, Duration* target);
// A whole number from `min` to `max`, into any unsigned integer.
void add_count_flag(FlagSet& flags, std::string name, std::string help, uint64_t value, uint64_t min, uint64_t max,
                    std::function<void(uint64_t)> set);
template <class T>
void add_count_flag(FlagSet& flags, std::string name, std::string help, T* target, uint64_t min, uint64_t max) {
  add_count_flag(flags, std::move(name), std::move(help), *target, min, max,
                 [target](uint64_t value) { *target = static_cast<T>(value); });
}
// --log_level: debug, info, warning, error.
void add_log_level_flag(FlagSet& flags, log::Level* level);

// This machine's hostname (the default of --hostname), "localhost" if unknown.
std::string local_hostname();

// Parses argv and the environment; returns the exit code when main() must
// stop here (help shown, or an error printed), nullopt to go on. Adds
// --strict_environment: with it, a DCOS_* variable that names no flag is
// an error too (the units pass it; elsewhere the environment may hold other
// programs' DCOS_* variables, such as the tests' DCOS_AGENT_BINARY).
std::optional<int> parse_or_exit(FlagSet& flags, const std::string& program, int argc, const char* const* argv);

}  // namespace dcos
