// dcos-supervisor: see supervisor.hpp.
#include <signal.h>

#include "isolation/supervisor/supervisor.hpp"
#include "isolation/supervisor/sys.hpp"

int main(int argc, char** argv) {
  // Nobody reads this process's stdout; a write to a closed pipe must not
  // end it before the status is written.
  dcos::isolation::supervisor::sys::set_signal(SIGPIPE, SIG_IGN);
  dcos::isolation::supervisor::Args args;
  if (!dcos::isolation::supervisor::parse(argc, argv, args)) return 2;
  return dcos::isolation::supervisor::run(args);
}
