// One datagram to a unix socket named by a path: how the daemons talk to
// systemd (the service manager's notify socket and journald's socket)
// without libsystemd, whose compression and crypto libraries would be most
// of an idle agent's shared-library memory.
#pragma once

#include <string_view>

namespace dcos::unix_datagram {

// Sends DATA to the socket NAME (a path, or "@name" for the abstract
// namespace, as $NOTIFY_SOCKET may give it) through SOCKET, an AF_UNIX
// SOCK_DGRAM socket; with PASSED_FD >= 0 that descriptor goes along
// (SCM_RIGHTS). Returns 0, or the errno of the failure (EINVAL for a name
// that is neither, or too long for sockaddr_un).
int send(int socket, std::string_view name, std::string_view data, int passed_fd = -1);

}  // namespace dcos::unix_datagram
