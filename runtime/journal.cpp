#include "runtime/journal.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "runtime/unix_datagram.hpp"

namespace dcos::journal {
namespace {

// One socket for the process's life, made by the first entry; datagram
// sends on it from several threads need no lock. Unconnected, so that a
// journald restart (a new socket at the same path) changes nothing here.
int journal_socket() {
  static std::atomic<int> shared{-1};
  int fd = shared.load(std::memory_order_acquire);
  if (fd >= 0) return fd;
  fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int expected = -1;
  if (!shared.compare_exchange_strong(expected, fd, std::memory_order_acq_rel)) {
    ::close(fd);  // another thread made it first
    return expected;
  }
  return fd;
}

// The entry in a memfd journald can trust not to change under it (sealed
// against writes and resizing), passed with SCM_RIGHTS and no payload.
int send_as_memfd(int socket, std::string_view entry, std::string_view socket_path) {
  const int memfd = ::memfd_create("journal-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (memfd < 0) return errno;
  int rc = 0;
  size_t written = 0;
  while (rc == 0 && written < entry.size()) {
    const ssize_t n = ::write(memfd, entry.data() + written, entry.size() - written);
    if (n < 0 && errno != EINTR) rc = errno;
    if (n > 0) written += static_cast<size_t>(n);
  }
  if (rc == 0 && ::fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) rc = errno;
  if (rc == 0) rc = unix_datagram::send(socket, socket_path, {}, memfd);
  ::close(memfd);
  return rc;
}

}  // namespace

void append_field(std::string& entry, std::string_view key, std::string_view value) {
  entry += key;
  if (value.find('\n') == std::string_view::npos) {
    entry += '=';
  } else {
    entry += '\n';
    uint64_t size = value.size();
    for (int byte = 0; byte < 8; ++byte) entry += static_cast<char>((size >> (8 * byte)) & 0xff);
  }
  entry += value;
  entry += '\n';
}

int send(std::string_view entry, std::string_view socket_path) {
  const int socket = journal_socket();
  if (socket < 0) return -socket;
  const int rc = unix_datagram::send(socket, socket_path, entry);
  // Larger than the socket's send buffer allows a datagram to be.
  if (rc == EMSGSIZE || rc == ENOBUFS) return send_as_memfd(socket, entry, socket_path);
  return rc;
}

}  // namespace dcos::journal
