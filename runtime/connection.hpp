// A framed Protobuf connection over TCP (framing in runtime/frame.hpp).
//
// One Connection is one peer: receive() yields its envelopes one at a time,
// send() queues envelopes that a background writer drains. Every failure
// (the peer closed, sent garbage or an oversized frame, stalled in the
// middle of a frame, went silent past the idle timeout, or stopped reading
// while we queued past the bound) ends the connection: receive() returns an
// Error whose message says which, and the socket is closed.
//
// connect_framed() is the client side (preamble, hello, wait for the
// answering hello); accept_framed() is the server side, for a socket whose
// preamble a Listener has already read.
//
// Use a Connection from the strand (here: the single-threaded io_context)
// that owns its socket. Keep it in a shared_ptr: the writer holds one.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/asio.hpp"

#include "runtime/frame.hpp"
#include "runtime/result.hpp"

namespace dcos::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Frame counts for /metrics; owned by the daemon, shared by its connections.
struct WireCounters {
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bad_frames = 0;
};

struct ConnectionOptions {
  std::size_t max_frame = wire::kDefaultMaxFrame;
  Clock::duration handshake_timeout = std::chrono::seconds(5);
  // A frame whose first bytes arrived must be complete within this.
  Clock::duration frame_timeout = std::chrono::seconds(10);
  // Nothing received for this long ends the connection; zero means never.
  Clock::duration idle_timeout = Clock::duration::zero();
  // Bytes queued for a peer that does not read before we give up on it.
  std::size_t max_queued_bytes = 64 * 1024 * 1024;
  WireCounters* counters = nullptr;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `received` holds bytes already read from the socket after the preamble.
  Connection(tcp::socket socket, ConnectionOptions options, std::string_view received = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  asio::awaitable<Result<internal::Envelope>> receive();
  void send(const internal::Envelope& envelope);
  // Sends what is queued, then closes (to deliver a final Error).
  void close_after_flush();
  void close();

  // False once closed or closing (close_after_flush): nothing more is read.
  bool is_open() const { return socket_.is_open() && !close_when_flushed_; }
  const std::string& peer() const { return peer_; }
  void set_idle_timeout(Clock::duration timeout) { options_.idle_timeout = timeout; }
  const ConnectionOptions& options() const { return options_; }

  // Bytes written before any frame (the client's preamble).
  void send_raw(std::string_view bytes);

 private:
  void queue(std::string bytes);
  asio::awaitable<void> write_loop(std::shared_ptr<Connection> self);
  void arm_deadline(Clock::duration timeout);
  void disarm_deadline();

  tcp::socket socket_;
  ConnectionOptions options_;
  std::string peer_;
  wire::FrameDecoder decoder_;
  std::string pending_;  // queued, not yet handed to the socket
  bool writing_ = false;
  bool close_when_flushed_ = false;
  asio::steady_timer deadline_;
  uint64_t deadline_generation_ = 0;
  bool deadline_fired_ = false;
  std::string failure_;  // why we closed, when we did
};

// Connects, sends the preamble and our hello, and waits for the peer's.
asio::awaitable<Result<std::shared_ptr<Connection>>> connect_framed(asio::any_io_executor executor, std::string host,
                                                                    uint16_t port, std::string peer_name,
                                                                    ConnectionOptions options);

// Server side: waits for the peer's hello and answers it; on a bad hello
// sends an Error, closes, and returns the reason.
asio::awaitable<Result<internal::Hello>> accept_framed(Connection& connection, std::string_view our_name);

// "host:port" of an endpoint, for logs.
std::string endpoint_text(const tcp::endpoint& endpoint);

}  // namespace dcos::net
