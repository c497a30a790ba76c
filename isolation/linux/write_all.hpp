// write(2) until all of it is written, for code between fork and exec and
// for dcos-supervisor: no allocation, async-signal-safe. Header-only so that
// the static supervisor needs no library.
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
