#include "runtime/notify.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/log.hpp"
#include "runtime/unix_datagram.hpp"

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

// $NOTIFY_SOCKET names the service manager's datagram socket (a path or an
// abstract "@name"); without it (not under systemd, or a unit without
// Type=notify) there is no one to tell. A failure is not fatal to the
// daemon, and these calls return nothing, so it is reported here.
void send(const std::string& state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || *name == '\0') return;
  const int socket = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int rc = socket < 0 ? errno : unix_datagram::send(socket, name, state);
  if (socket >= 0) ::close(socket);
  if (rc != 0) {
    log::warning("notifying the service manager failed, ignoring",
                 {{"STATE", one_line(state)}, {"SOCKET", name}, {"ERROR", std::strerror(rc)}});
  }
}

// A decimal number and nothing else.
template <typename Number>
bool parse_decimal(const char* text, Number* out) {
  if (text == nullptr) return false;
  const char* end = text + std::strlen(text);
  auto [stop, ec] = std::from_chars(text, end, *out);
  return ec == std::errc() && stop == end && stop != text;
}

}  // namespace

void ready(std::string_view status) { send("READY=1\nSTATUS=" + one_line(status)); }

void status(std::string_view status) { send("STATUS=" + one_line(status)); }

void stopping() { send("STOPPING=1"); }

void watchdog() { send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  // systemd sets $WATCHDOG_USEC, and $WATCHDOG_PID to the main process:
  // a child that inherited them has no watchdog to feed.
  uint64_t usec = 0;
  if (!parse_decimal(std::getenv("WATCHDOG_USEC"), &usec) || usec == 0) return std::nullopt;
  if (const char* pid_text = std::getenv("WATCHDOG_PID"); pid_text != nullptr) {
    pid_t pid = 0;
    if (!parse_decimal(pid_text, &pid) || pid != ::getpid()) return std::nullopt;
  }
  return std::chrono::microseconds(usec / 2);
}

}  // namespace dcos::notify
