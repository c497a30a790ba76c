// Command-line flags with Mesos' conventions.
//
//   --name=value    --name value is NOT accepted (Mesos does not either)
//   --flag / --no-flag for booleans (also --flag=true|false)
//   every flag can come from the environment as DCOS_<NAME> (upper case),
//   which is what the units' EnvironmentFile=/etc/dcos/<daemon>.env sets;
//   the command line wins over the environment.
//   --help prints usage() listing every flag with its help and default.
//
// Errors are one line naming the flag and what is wrong with the value:
//   "unknown flag '--prot' (see --help)"
//   "bad value for --port: 'http' is not a port number (0-65535)"
//   "bad value for DCOS_AGENT_PING_TIMEOUT: '15' has no unit (e.g. 15secs)"
// Positional arguments (anything not starting with "--", and everything after
// a lone "--") are collected in positional(). Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/duration.hpp"
#include "runtime/result.hpp"

namespace dcos {

class FlagSet {
 public:
  FlagSet(std::string program, std::string summary);

  // Each registers a flag that writes into *target; *target's current value
  // is the default shown in --help. `name` has no leading dashes.
  void add(std::string name, std::string help, std::string* target);
  void add(std::string name, std::string help, bool* target);
  void add(std::string name, std::string help, int64_t* target);
  void add(std::string name, std::string help, uint16_t* target);  // a port
  void add(std::string name, std::string help, double* target);
  void add(std::string name, std::string help, Duration* target);
  // Repeatable: the first occurrence replaces the default (*target's
  // values, shown comma-separated), each later one appends its value.
  void add(std::string name, std::string help, std::vector<std::string>* target);
  // A custom value: `parse` returns an Error whose message says why the
  // value is bad (it is prefixed with "bad value for --name: ").
  void add(std::string name, std::string help, std::string default_text,
           std::function<Result<void>(std::string_view)> parse);

  // Parses the environment (DCOS_<NAME>) and then argv[1..argc).
  // `environment` is a null-terminated array like `environ`.
  Result<void> parse(int argc, const char* const* argv, const char* const* environment);

  bool help_requested() const { return help_requested_; }
  const std::vector<std::string>& positional() const { return positional_; }
  // Whether a flag was given on the command line or in the environment.
  bool was_set(std::string_view name) const;
  // The DCOS_<NAME> variables of the last parse's environment that name no
  // flag (another program's, or a typo), in the environment's order.
  const std::vector<std::string>& unknown_variables() const { return unknown_variables_; }

  std::string usage() const;

  // Command-line tools also take "--name VALUE" for a flag that is not a
  // switch (the brief's `dcos task run --name N`); daemons keep Mesos'
  // "--name=VALUE" only.
  void allow_spaced_values() { spaced_values_ = true; }

  // Every flag's value as text (as given, or the default), as Mesos shows
  // them under "flags" in /state.
  std::map<std::string, std::string> values() const;

 private:
  struct Flag {
    std::string help;
    std::string default_text;
    bool is_bool = false;
    bool repeatable = false;
    std::function<Result<void>(std::string_view)> parse;
    bool set = false;
    std::string value_text = {};
  };
  void add_flag(std::string name, Flag flag);
  Result<void> apply(const std::string& name, std::string_view value, std::string_view source_name);

  std::string program_;
  std::string summary_;
  std::map<std::string, Flag, std::less<>> flags_;
  std::vector<std::string> positional_;
  std::vector<std::string> unknown_variables_;
  bool help_requested_ = false;
  bool spaced_values_ = false;
};

}  // namespace dcos
