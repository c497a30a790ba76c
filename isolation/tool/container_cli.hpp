// dcos-container: the containerizer alone, for operators and tests.
//
//   dcos-container run [--cpus N] [--mem MB] [--pids N] [--hostname H]
//                      [--rootfs DIR|TAR] [--seccomp-profile FILE] [--json] ... -- CMD [ARGS]
//
// Launches one container, streams its stdout and stderr while it runs, and
// exits with its status (128+N for signal N, as shells do; 125 when it could
// not be started, with one line saying why). --json prints a report instead:
// exit status, signal, OOM, usage. Flags take "--flag=value" or
// "--flag value". Everything but the process boundary is here, for tests.
#pragma once

#include <iosfwd>

namespace dcos::isolation::tool {

int run(int argc, const char* const* argv, const char* const* environment, std::ostream& out, std::ostream& err);

}  // namespace dcos::isolation::tool
