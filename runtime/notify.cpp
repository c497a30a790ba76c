#include "runtime/notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "runtime/log.hpp"

namespace dcos::notify {
namespace {

// The protocol is newline-separated assignments, so a status text that holds
// a newline (it may quote peer input) could smuggle in READY=1 or MAINPID=.
std::string one_line(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  return line;
}

// sd_notify already does nothing (and returns 0) without $NOTIFY_SOCKET. A
// failure is not fatal to the daemon, and these calls return nothing, so it
// is reported here once per call.
void send(const std::string& state) {
  int rc = sd_notify(0, state.c_str());
  if (rc < 0) {
    log::warning("notifying the service manager failed, ignoring",
                 {{"STATE", one_line(state)}, {"ERROR", std::strerror(-rc)}});
  }
}

}  // namespace

void ready(std::string_view status) { send("READY=1\nSTATUS=" + one_line(status)); }

void status(std::string_view status) { send("STATUS=" + one_line(status)); }

void stopping() { send("STOPPING=1"); }

void watchdog() { send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  // > 0 only when $WATCHDOG_USEC is set and $WATCHDOG_PID, if set, is us.
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace dcos::notify
