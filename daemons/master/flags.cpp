#include "daemons/master/flags.hpp"

#include <cmath>
#include <sstream>

#include "runtime/daemon_flags.hpp"

namespace dcos::master {

namespace {

// Mesos' rules for a role name (roles::validate): "*", or components
// separated by single slashes, none ".", "..", "*" or starting with '-',
// without spaces or control characters. (The allocator's roles are flat:
// "a/b" is a role of its own.)
Result<void> check_role(const std::string& role) {
  if (role == "*") return {};
  const auto bad = [&role](const std::string& why) { return Error{"role '" + role + "' " + why}; };
  if (role.empty() || role.size() > 255) return Error{"a role name must have 1 to 255 characters"};
  if (role.front() == '/' || role.back() == '/' || role.find("//") != std::string::npos)
    return bad("has an empty component");
  std::istringstream components(role);
  std::string component;
  while (std::getline(components, component, '/')) {
    if (component == "." || component == ".." || component == "*" || component.front() == '-')
      return bad("has the component '" + component + "'");
    for (const unsigned char c : component)
      if (c <= ' ' || c == 0x7f) return bad("holds a space or a control character");
  }
  return {};
}

}  // namespace

Result<std::map<std::string, double>> parse_weights(std::string_view text) {
  std::map<std::string, double> weights;
  std::istringstream in{std::string(text)};
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) return Error{"an empty role=weight item"};
    const auto equals = item.find('=');
    if (equals == std::string::npos) return Error{"'" + item + "' is not role=weight"};
    const std::string role = item.substr(0, equals), number = item.substr(equals + 1);
    if (auto valid = check_role(role); !valid) return valid.error();
    char* end = nullptr;
    const double weight = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || !std::isfinite(weight) || weight <= 0)
      return Error{"the weight of role '" + role + "', '" + number + "', is not a number above zero"};
    if (!weights.emplace(role, weight).second) return Error{"role '" + role + "' has two weights"};
  }
  if (text.ends_with(',')) return Error{"an empty role=weight item"};
  return weights;
}

FlagSet make_flags(Options* options, log::Level* level) {
  FlagSet flags("dcos-master", "The cluster's master: admits agents, tracks them, serves /master/state.");
  add_ip_flag(flags, &options->ip, "IP address to listen on");
  flags.add("port", "Port to listen on, for agents and HTTP", &options->port);
  flags.add("hostname", "Hostname the master advertises", &options->hostname);
  flags.add("work_dir", "Directory for the registry", &options->work_dir);
  add_positive_duration_flag(flags, "agent_ping_timeout",
                             "How often each agent is pinged; a ping unanswered by the next is missed",
                             &options->ping_interval);
  add_count_flag(flags, "max_agent_ping_timeouts", "Missed pings after which an agent is unreachable",
                 &options->max_missed_pings, 1, 1000);
  flags.add("agent_reregister_timeout",
            "How long agents of the registry have to re-register after a master start before they are unreachable",
            &options->reregister_timeout);
  add_positive_duration_flag(flags, "allocation_interval", "Time between batch allocation cycles",
                             &options->allocation_interval);
  add_positive_duration_flag(flags, "heartbeat_interval", "Time between HEARTBEAT events on a scheduler's event stream",
                             &options->heartbeat_interval);
  add_count_flag(flags, "max_frameworks", "Frameworks the master keeps at once; a SUBSCRIBE of one more gets a 503",
                 &options->max_frameworks, 1, 1000000);
  add_count_flag(flags, "state_history",
                 "State changes the master keeps so that a node service (dcos-dns, dcos-l4lb) that reconnects can "
                 "resume its state subscription without a new snapshot",
                 &options->state_history, 1, 10000000);
  flags.add("weights", "Weights of roles in DRF, as role1=weight1,role2=weight2 (default 1 each)", "",
            [options](std::string_view text) -> Result<void> {
              auto weights = parse_weights(text);
              if (!weights) return weights.error();
              options->weights = std::move(*weights);
              return {};
            });
  add_log_level_flag(flags, level);
  return flags;
}

}  // namespace dcos::master
