// dcos-master's flags (Mesos' names; each also from DCOS_<FLAG>).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "daemons/master/master.hpp"
#include "runtime/flags.hpp"
#include "runtime/log.hpp"

namespace dcos::master {

// Registers every master flag, writing into `options` and `level`, whose
// current values are the defaults shown by --help. Values are checked as
// they are parsed.
FlagSet make_flags(Options* options, log::Level* level);

// --weights, as Mesos writes it: "role1=weight1,role2=weight2", each role
// named once, each weight a finite number above zero.
Result<std::map<std::string, double>> parse_weights(std::string_view text);

}  // namespace dcos::master
