// dcos-agent's flags (Mesos' names; each also from DCOS_<FLAG>).
#pragma once

#include "daemons/agent/agent.hpp"
#include "daemons/agent/containerizer_setup.hpp"
#include "runtime/flags.hpp"
#include "runtime/log.hpp"
#include "runtime/resources.hpp"

namespace dcos::agent {

struct Config {
  Options options;
  log::Level log_level = log::Level::info;
  std::string resources;  // --resources, checked; roles applied by offered_resources()
  Attributes attributes;
  ContainerizerConfig containerizer;
};

// Registers every agent flag, writing into `config`, whose current values
// are the defaults shown by --help. Values are checked as they are parsed.
FlagSet make_flags(Config* config);

// The node's resources: detected, then overridden by name by --resources,
// all in --default_role.
Result<Resources> offered_resources(const Config& config);

}  // namespace dcos::agent
