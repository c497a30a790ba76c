// The systemd service manager protocol (sd_notify): READY=1 once a daemon
// has recovered its state and serves, STATUS= lines a person reads in
// `systemctl status`, STOPPING=1, and the watchdog keep-alive.
// Every call is a no-op when $NOTIFY_SOCKET is unset (not under systemd).
// Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace dcos::notify {

void ready(std::string_view status);
void status(std::string_view status);
void stopping();
void watchdog();

// The interval at which the daemon must call watchdog() (half of
// $WATCHDOG_USEC, as systemd recommends), or nullopt when no watchdog is set.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace dcos::notify
