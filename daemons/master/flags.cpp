#include "daemons/master/flags.hpp"

#include "runtime/daemon_flags.hpp"

namespace dcos::master {

FlagSet make_flags(Options* options, log::Level* level) {
  FlagSet flags("dcos-master", "The cluster's master: admits agents, tracks them, serves /master/state.");
  add_ip_flag(flags, &options->ip, "IP address to listen on");
  flags.add("port", "Port to listen on, for agents and HTTP", &options->port);
  flags.add("hostname", "Hostname the master advertises", &options->hostname);
  flags.add("work_dir", "Directory for the registry", &options->work_dir);
  add_positive_duration_flag(flags, "agent_ping_timeout",
                             "How often each agent is pinged; a ping unanswered by the next is missed",
                             &options->ping_interval);
  flags.add("max_agent_ping_timeouts", "Missed pings after which an agent is unreachable",
            std::to_string(options->max_missed_pings), [options](std::string_view text) -> Result<void> {
              const std::string value(text);
              char* end = nullptr;
              const unsigned long count = std::strtoul(value.c_str(), &end, 10);
              if (value.empty() || *end != '\0' || count < 1 || count > 1000)
                return Error{"'" + value + "' is not a count from 1 to 1000"};
              options->max_missed_pings = static_cast<uint32_t>(count);
              return {};
            });
  flags.add("agent_reregister_timeout",
            "How long agents of the registry have to re-register after a master start before they are unreachable",
            &options->reregister_timeout);
  add_positive_duration_flag(flags, "allocation_interval", "Time between batch allocation cycles",
                             &options->allocation_interval);
  add_positive_duration_flag(flags, "heartbeat_interval", "Time between HEARTBEAT events on a scheduler's event stream",
                             &options->heartbeat_interval);
  flags.add("max_frameworks", "Frameworks the master keeps at once; a SUBSCRIBE of one more gets a 503",
            std::to_string(options->max_frameworks), [options](std::string_view text) -> Result<void> {
              const std::string value(text);
              char* end = nullptr;
              const unsigned long long count = std::strtoull(value.c_str(), &end, 10);
              if (value.empty() || *end != '\0' || count < 1 || count > 1000000)
                return Error{"'" + value + "' is not a count from 1 to 1000000"};
              options->max_frameworks = static_cast<std::size_t>(count);
              return {};
            });
  add_log_level_flag(flags, level);
  return flags;
}

}  // namespace dcos::master
