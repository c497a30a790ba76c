#include "dnsproxy/ares_channel.hpp"

#include <ares.h>
#include <arpa/inet.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstring>
#include <mutex>

namespace dcos::dns {

namespace asio = boost::asio;

namespace {

constexpr int kUdpAnswerSize = 1232;  // the EDNS size the forwarder asks with

void library_init() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

}  // namespace

// A socket c-ares asked us to watch. `closed` is set when c-ares is done
// with it: a wait that completes after that does nothing.
struct AresChannel::Watch {
  explicit Watch(asio::any_io_executor executor, int fd) : descriptor(std::move(executor), fd), fd(fd) {}
  asio::posix::stream_descriptor descriptor;
  int fd;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;
  bool writing = false;
  bool closed = false;
};

struct AresChannel::Pending {
  AresChannel* channel;
  Reply reply;
};

AresChannel::AresChannel(asio::any_io_executor executor, std::chrono::milliseconds timeout)
    : executor_(executor), timeout_(timeout), timer_(executor) {}

Result<std::unique_ptr<AresChannel>> AresChannel::create(asio::any_io_executor executor,
                                                         const asio::ip::udp::endpoint& server,
                                                         std::chrono::milliseconds timeout) {
  library_init();
  auto channel = std::make_unique<AresChannel>(executor, timeout);
  ares_options options{};
  // One try, one server: failover is the forwarder's. NOCHECKRESP hands
  // SERVFAIL and REFUSED back to it; STAYOPEN keeps a TCP connection for
  // the next truncated answer; EDNS makes c-ares accept UDP answers up to
  // our EDNS size instead of retrying every answer over 512 bytes over TCP.
  options.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_STAYOPEN | ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH;
  options.timeout = static_cast<int>(timeout.count());
  options.tries = 1;
  options.ednspsz = kUdpAnswerSize;
  options.sock_state_cb = &AresChannel::on_socket_state;
  options.sock_state_cb_data = channel.get();
  const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ | ARES_OPT_SOCK_STATE_CB;
  ares_channel handle = nullptr;
  if (const int status = ares_init_options(&handle, &options, mask); status != ARES_SUCCESS)
    return Error{std::string("c-ares init: ") + ares_strerror(status)};
  channel->channel_ = handle;
  ares_addr_port_node node{};
  node.next = nullptr;
  const auto address = server.address();
  if (address.is_v4()) {
    node.family = AF_INET;
    const auto bytes = address.to_v4().to_bytes();
    std::memcpy(&node.addr.addr4, bytes.data(), bytes.size());
  } else {
    node.family = AF_INET6;
    const auto bytes = address.to_v6().to_bytes();
    std::memcpy(&node.addr.addr6, bytes.data(), bytes.size());
  }
  node.udp_port = server.port();
  node.tcp_port = server.port();
  if (const int status = ares_set_servers_ports(handle, &node); status != ARES_SUCCESS)
    return Error{std::string("c-ares server ") + address.to_string() + ": " + ares_strerror(status)};
  return channel;
}

AresChannel::~AresChannel() {
  destroying_ = true;
  timer_.cancel();
  // Ends every query (on_answer drops them while destroying_) and reports
  // each socket closed, which releases its descriptor.
  if (channel_) ares_destroy(channel_);
  for (auto& [fd, watch] : watches_) {
    watch->closed = true;
    watch->descriptor.release();
  }
}

void AresChannel::send(std::string_view query, Reply reply) {
  ++in_flight_;
  auto* pending = new Pending{this, std::move(reply)};
  ares_send(channel_, reinterpret_cast<const unsigned char*>(query.data()), static_cast<int>(query.size()),
            &AresChannel::on_answer, pending);
  arm_timer();
}

void AresChannel::on_answer(void* arg, int status, int, unsigned char* answer, int length) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  AresChannel& self = *pending->channel;
  --self.in_flight_;
  if (self.destroying_ || status == ARES_EDESTRUCTION) return;
  if (status == ARES_SUCCESS && answer && length > 0) {
    pending->reply(Status::answered, std::string_view(reinterpret_cast<const char*>(answer), length), "");
  } else if (status == ARES_ETIMEOUT) {
    pending->reply(Status::timeout, {}, "timed out");
  } else {
    pending->reply(Status::failed, {}, ares_strerror(status));
  }
}

void AresChannel::on_socket_state(void* data, int fd, int readable, int writable) {
  static_cast<AresChannel*>(data)->socket_state(fd, readable != 0, writable != 0);
}

void AresChannel::socket_state(int fd, bool readable, bool writable) {
  auto it = watches_.find(fd);
  if (!readable && !writable) {
    // c-ares closes the socket right after this: let go of it first.
    if (it == watches_.end()) return;
    it->second->closed = true;
    it->second->descriptor.release();
    watches_.erase(it);
    return;
  }
  if (it == watches_.end()) it = watches_.emplace(fd, std::make_shared<Watch>(executor_, fd)).first;
  const auto watch = it->second;
  watch->want_read = readable;
  watch->want_write = writable;
  if (readable) wait(watch, false);
  if (writable) wait(watch, true);
}

void AresChannel::wait(const std::shared_ptr<Watch>& watch, bool write) {
  bool& waiting = write ? watch->writing : watch->reading;
  if (waiting) return;
  waiting = true;
  watch->descriptor.async_wait(write ? asio::posix::stream_descriptor::wait_write
                                     : asio::posix::stream_descriptor::wait_read,
                               [this, watch, write](const boost::system::error_code& ec) {
                                 (write ? watch->writing : watch->reading) = false;
                                 if (watch->closed || ec) return;
                                 if (write) {
                                   process(ARES_SOCKET_BAD, watch->fd);
                                 } else {
                                   process(watch->fd, ARES_SOCKET_BAD);
                                 }
                                 // Still wanted (c-ares may have closed it meanwhile)?
                                 if (!watch->closed && (write ? watch->want_write : watch->want_read))
                                   wait(watch, write);
                               });
}

void AresChannel::process(int read_fd, int write_fd) {
  ares_process_fd(channel_, read_fd, write_fd);
  arm_timer();
}

void AresChannel::arm_timer() {
  if (destroying_) return;
  timeval limit{};
  if (!ares_timeout(channel_, nullptr, &limit)) {
    timer_.cancel();
    return;
  }
  const auto after = std::chrono::seconds(limit.tv_sec) + std::chrono::microseconds(limit.tv_usec);
  timer_.expires_after(after);
  // A wait that completed just before the channel went must not touch it.
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  });
}

}  // namespace dcos::dns
