// dcos-master's flags (Mesos' names; each also from DCOS_<FLAG>).
#pragma once

#include "daemons/master/master.hpp"
#include "runtime/flags.hpp"
#include "runtime/log.hpp"

namespace dcos::master {

// Registers every master flag, writing into `options` and `level`, whose
// current values are the defaults shown by --help. Values are checked as
// they are parsed.
FlagSet make_flags(Options* options, log::Level* level);

}  // namespace dcos::master
