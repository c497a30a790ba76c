// What every daemon's main does around its own work: run the io_context
// until SIGINT or SIGTERM (telling systemd it is stopping), keep systemd's
// watchdog fed from the same io thread (so a stuck loop stops the pings and
// systemd restarts us), and the wall clock in Mesos' units.
#pragma once

#include <functional>

#include "runtime/asio.hpp"

namespace dcos {

// Runs `io` until a signal arrives; `on_stop` runs first (close listeners,
// flush state) and the loop then runs 100 ms more for queued writes.
void run_until_signalled(boost::asio::io_context& io, std::function<void()> on_stop);

// Seconds since the epoch, with a fraction (Mesos' registered_time etc.).
double wall_seconds();

}  // namespace dcos
