// One upstream resolver reached through c-ares, driven by the server's
// io_context (issue 6: the c-ares sockets run on the same event loop).
//
// c-ares tells us which sockets it wants watched (its sock_state_cb); each
// gets a non-owning posix::stream_descriptor whose async_wait calls
// ares_process_fd() when it is ready, and one steady_timer follows
// ares_timeout() for c-ares' retransmissions and timeouts. c-ares keeps
// owning and closing its sockets: a descriptor is released, never closed,
// when c-ares says it is done with one.
//
// A channel talks to exactly one server, tries each query once (failover
// across upstreams and their health are the forwarder's, which c-ares 1.18
// cannot do: it has no notion of a server's health), hands back SERVFAIL
// and REFUSED answers instead of retrying them (ARES_FLAG_NOCHECKRESP),
// and retries a truncated UDP answer over TCP itself. It accepts UDP
// answers up to 1232 bytes (the EDNS size the forwarder asks with).
//
// c-ares 1.18 rewrites the query's id with its own random one and checks
// that the answer's id and question match; the answer handed back keeps
// c-ares' id (the forwarder puts the client's back).
//
// `reply` runs exactly once, on the io thread: later, or inside send()
// itself when c-ares fails at once (no socket could be opened). Not at all
// once the channel is destroyed. Use from the io thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/asio.hpp"

#include <boost/asio/ip/udp.hpp>

#include "runtime/result.hpp"

struct ares_channeldata;

namespace dcos::dns {

class AresChannel {
 public:
  enum class Status { answered, timeout, failed };
  // `answer` is the upstream's reply when answered; `error` says why not.
  using Reply = std::function<void(Status status, std::string_view answer, std::string_view error)>;

  // The c-ares channel for `server`; an Error says why c-ares would not make one.
  static Result<std::unique_ptr<AresChannel>> create(boost::asio::any_io_executor executor,
                                                     const boost::asio::ip::udp::endpoint& server,
                                                     std::chrono::milliseconds timeout);
  ~AresChannel();
  AresChannel(const AresChannel&) = delete;
  AresChannel& operator=(const AresChannel&) = delete;

  // Sends `query` (a whole DNS message; its id is c-ares' to choose).
  void send(std::string_view query, Reply reply);

  std::size_t in_flight() const { return in_flight_; }

  AresChannel(boost::asio::any_io_executor executor, std::chrono::milliseconds timeout);

 private:
  struct Watch;
  struct Pending;
  static void on_socket_state(void* data, int fd, int readable, int writable);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* answer, int length);
  void socket_state(int fd, bool readable, bool writable);
  void wait(const std::shared_ptr<Watch>& watch, bool write);
  void process(int read_fd, int write_fd);
  void arm_timer();

  boost::asio::any_io_executor executor_;
  std::chrono::milliseconds timeout_;
  ares_channeldata* channel_ = nullptr;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  boost::asio::steady_timer timer_;
  std::size_t in_flight_ = 0;
  bool destroying_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // the timer's handlers hold it weakly
};

}  // namespace dcos::dns
