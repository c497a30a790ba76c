#include "daemons/agent/flags.hpp"

#include <charconv>

#include "daemons/agent/node_resources.hpp"
#include "runtime/daemon_flags.hpp"
#include "runtime/http_client.hpp"

namespace dcos::agent {

FlagSet make_flags(Config* config) {
  Options* options = &config->options;
  FlagSet flags("dcos-agent", "The cluster's agent: registers this node's resources with the master.");
  // Required (main() refuses to start without it): an agent that guessed
  // its master would wait for it in silence.
  http::add_host_port_flag(flags, "master", "The master, as host:port (required)", &options->master_host,
                           &options->master_port);
  add_ip_flag(flags, &options->ip, "IP address to listen on");
  flags.add("port", "Port to listen on (HTTP)", &options->port);
  flags.add("hostname", "Hostname the agent advertises", &options->hostname);
  flags.add("work_dir", "Directory for the agent's checkpoints", &options->work_dir);
  flags.add("runtime_dir",
            "Where the containers' runtime state lives (a tmpfs such as /run: it need not outlive a reboot)",
            &config->containerizer.runtime_dir);
  flags.add("cgroups_root",
            "Parent cgroup of the containers, in each hierarchy (default: the agent's own unit's, when systemd "
            "started it with Delegate=yes; else /dcos)",
            &config->containerizer.cgroups_root);
  flags.add("resources", "Resources to offer, overriding detection by name: cpus:2;mem:1024;ports:[31000-32000]", "",
            [config](std::string_view text) -> Result<void> {
              if (auto parsed = parse_resources(text); !parsed) return parsed.error();
              config->resources = std::string(text);
              return {};
            });
  flags.add("attributes", "Attributes of this node: rack:r1;zone:z2", "",
            [config](std::string_view text) -> Result<void> {
              auto parsed = parse_attributes(text);
              if (!parsed) return parsed.error();
              config->attributes = std::move(*parsed);
              return {};
            });
  flags.add("default_role", "Role of the node's resources: * for private agents, slave_public for public ones",
            &options->default_role);
  add_positive_duration_flag(flags, "registration_backoff_factor",
                             "First delay before reconnecting to a lost master; doubles up to 1mins",
                             &options->backoff_factor);
  add_positive_duration_flag(flags, "status_update_retry_interval",
                             "First resend of an unacknowledged status update; doubles up to 10mins",
                             &options->status_update_retry);
  flags.add("launcher_threads", "Threads for container launches and ends (1-64)", "2",
            [options](std::string_view text) -> Result<void> {
              int64_t threads = 0;
              const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), threads);
              if (ec != std::errc() || end != text.data() + text.size() || threads < 1 || threads > 64)
                return Error{"expected a whole number from 1 to 64"};
              options->launcher_threads = threads;
              return {};
            });
  add_log_level_flag(flags, &config->log_level);
  return flags;
}

Result<Resources> offered_resources(const Config& config) {
  auto detected = detect_resources(config.options.work_dir, config.options.default_role);
  if (!detected) return Error{"cannot detect the node's resources: " + detected.error().message};
  auto overrides = parse_resources(config.resources, config.options.default_role);
  if (!overrides) return Error{"bad value for --resources: " + overrides.error().message};
  return override_resources(std::move(*detected), *overrides);
}

}  // namespace dcos::agent
