// journald's native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL), spoken
// directly: one datagram per entry to journald's socket, each field
// "KEY=value\n", or "KEY\n", the value's size as 64-bit little endian, the
// value and "\n" when the value holds a newline. An entry too large for a
// datagram goes as a sealed memfd instead, as libsystemd sends it.
#pragma once

#include <string>
#include <string_view>

namespace dcos::journal {

inline constexpr std::string_view kSocket = "/run/systemd/journal/socket";

// Appends one field to ENTRY. KEY is the caller's: upper-case letters,
// digits and '_', not leading with '_' (journald drops other names).
void append_field(std::string& entry, std::string_view key, std::string_view value);

// Sends ENTRY (fields appended by append_field) to the journald listening
// on SOCKET_PATH. Returns 0 or the errno of the failure (ENOENT: no
// journald; ECONNREFUSED: its socket is there but nobody reads it).
int send(std::string_view entry, std::string_view socket_path = kSocket);

}  // namespace dcos::journal
