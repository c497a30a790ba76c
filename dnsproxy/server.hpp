// The DNS server of dcos-dns: UDP and TCP on the given endpoints, on one
// io thread (Boost.Asio).
//
// Every query goes the same way: a client outside the allow-list is
// ignored; a packet that does not parse gets FORMERR (or nothing, when it
// is not even a query: error_reply()); a name in the cluster zones is
// answered from the ClusterZone (ZoneAnswerer), the common query shape
// without building a Message (peek_query()); every other name goes to the
// Forwarder, at most `max_in_flight` at a time (REFUSED beyond).
//
// UDP replies fit the client's EDNS size (512 without EDNS) and carry TC
// when records had to go. TCP (RFC 7766): 2-byte length framing, queries
// of at most `max_tcp_query` bytes (a longer length closes the
// connection: the rest of the stream cannot be trusted), several queries
// per connection answered in any order as they complete, an idle timeout,
// and at most `max_tcp_connections` at once (more are closed at accept).
//
// Not thread-safe: use from the io_context's thread. The zone and the
// forwarder must outlive the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/asio.hpp"

#include <boost/asio/ip/udp.hpp>

#include "dnsproxy/client_networks.hpp"
#include "dnsproxy/cluster_zone.hpp"
#include "dnsproxy/forwarder.hpp"
#include "dnsproxy/zone_answer.hpp"
#include "runtime/metrics.hpp"
#include "runtime/result.hpp"

namespace dcos::dns {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;

struct ServerOptions {
  std::vector<udp::endpoint> listen;  // each served over UDP and TCP
  ClientNetworks allowed = ClientNetworks::local();
  uint32_t ttl = 5;
  std::size_t max_in_flight = 1024;  // forwarded queries awaiting a reply
  std::size_t max_tcp_connections = 256;
  std::size_t max_tcp_query = 4096;  // a query with EDNS options fits in far less
  // Bytes of replies queued for a TCP client that does not read, before
  // the connection is closed.
  std::size_t max_tcp_queued = 256 * 1024;
  std::chrono::steady_clock::duration tcp_idle_timeout = std::chrono::seconds(10);
};

// For /metrics.
struct ServerCounters {
  enum Zone { cluster = 0, forwarded = 1 };
  static constexpr std::size_t kRcodes = 7;  // NOERROR .. REFUSED, and any other
  uint64_t replies[2][kRcodes] = {};
  uint64_t malformed = 0;     // did not parse, or a bad TCP length
  uint64_t unsupported = 0;   // parsed, but not a query we serve (opcode, EDNS version)
  uint64_t refused = 0;       // over the in-flight bound
  uint64_t denied = 0;        // clients outside the allow-list (dropped)
  uint64_t truncated = 0;     // replies sent with TC
  uint64_t tcp_rejected = 0;  // connections over the bound
  uint64_t in_flight = 0;
  uint64_t tcp_connections = 0;
};

class Server {
 public:
  // Binds every endpoint (UDP and TCP); an error names the one that failed.
  static Result<std::unique_ptr<Server>> bind(asio::any_io_executor executor, ServerOptions options,
                                              const ClusterZone& zone, Forwarder& forwarder);
  ~Server();

  void start();
  // Closes the sockets; replies still in flight are dropped.
  void stop();

  const ServerCounters& counters() const { return counters_; }
  void write_metrics(MetricsText& out) const;

  // What to do with one query: reply with `out`, drop it, or forward `out`.
  enum class Outcome { reply, drop, forward };
  // Public for the transports (server.cpp, server_tcp.cpp) only.
  Outcome handle(std::string_view packet, bool tcp, std::string& out, std::size_t& max_size);
  // Forwards `query`; `send` gets the reply (REFUSED over the bound).
  void forward(std::string query, std::size_t max_size, Forwarder::Done send);
  bool allowed(const asio::ip::address& client) const;
  const ServerOptions& options() const { return options_; }
  ServerCounters& mutable_counters() { return counters_; }
  void count_reply(ServerCounters::Zone zone, std::string_view reply);

  Server(asio::any_io_executor executor, ServerOptions options, const ClusterZone& zone, Forwarder& forwarder);

 private:
  struct UdpBatch;
  struct UdpSocket;
  asio::awaitable<void> udp_loop(UdpSocket& socket);
  int udp_receive(int fd);
  void udp_reply(UdpSocket& socket, std::size_t received);
  asio::awaitable<void> accept_loop(tcp::acceptor& acceptor);

  asio::any_io_executor executor_;
  ServerOptions options_;
  ZoneAnswerer answerer_;
  Forwarder& forwarder_;
  std::vector<std::unique_ptr<UdpSocket>> udp_;
  std::vector<std::unique_ptr<tcp::acceptor>> tcp_;
  ServerCounters counters_;
  std::string canonical_;  // a query rewritten into the fast path's shape
  std::unique_ptr<UdpBatch> batch_;  // packets in and replies out, reused
};

// Serves one accepted TCP connection (server_tcp.cpp).
asio::awaitable<void> serve_tcp(Server& server, tcp::socket socket);

}  // namespace dcos::dns
