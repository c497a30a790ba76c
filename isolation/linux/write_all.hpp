// write(2) until all of it is written, for code between clone and exec: no
// allocation, async-signal-safe, errno on failure. (dcos-supervisor, built
// without the C library and so without errno, has its own in
// supervisor/sys.hpp.)
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace dcos::isolation {

// False on an error (errno says which) or a write of nothing.
inline bool write_all(int fd, const char* data, std::size_t size) noexcept {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace dcos::isolation
