#include "runtime/unix_datagram.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace dcos::unix_datagram {

int send(int socket, std::string_view name, std::string_view data, int passed_fd) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const bool abstract = name.starts_with('@');
  // A path needs its terminating NUL inside sun_path; an abstract name is
  // its bytes after the leading NUL, sized by the address length.
  if (name.empty() || (name[0] != '/' && !abstract) || name.size() + (abstract ? 0 : 1) > sizeof address.sun_path) {
    return EINVAL;
  }
  std::memcpy(address.sun_path, name.data(), name.size());
  if (abstract) address.sun_path[0] = '\0';
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));

  iovec part{const_cast<char*>(data.data()), data.size()};
  msghdr message{};
  message.msg_name = &address;
  message.msg_namelen = length;
  message.msg_iov = &part;
  message.msg_iovlen = data.empty() ? 0 : 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (passed_fd >= 0) {
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &passed_fd, sizeof(int));
  }
  while (::sendmsg(socket, &message, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace dcos::unix_datagram
