// The `dcos` command line: flags, commands and exit codes, apart from main()
// so that tests can run it with their own arguments, environment and streams.
//
//   dcos [--master=HOST:PORT] [--json] node list
//
// --master falls back to $DCOS_MASTER, then 127.0.0.1:5050.
// Exit codes: 0 done; 1 the command failed (master unreachable, bad answer);
// 2 a usage error (unknown command or flag, bad flag value). Failures are one
// line on `err` starting with "dcos: ". Not thread-safe (FlagSet is not).
#pragma once

#include <ostream>

namespace dcos::cli {

int run(int argc, const char* const* argv, const char* const* environment, std::ostream& out, std::ostream& err);

}  // namespace dcos::cli
