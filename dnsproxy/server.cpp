#include "dnsproxy/server.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "dnsproxy/message.hpp"
#include "dnsproxy/query.hpp"
#include "runtime/log.hpp"
#include "runtime/unique_fd.hpp"

namespace dcos::dns {

namespace {

constexpr std::size_t kUdpBatch = 32;    // packets read (recvmmsg) and replies sent (sendmmsg) at once
constexpr std::size_t kUdpBatches = 4;   // batches per turn, then other work gets one
constexpr std::size_t kUdpQueryMax = 4096;  // a longer query arrives cut (MSG_TRUNC): FORMERR
constexpr const char* kRcodeNames[ServerCounters::kRcodes] = {"NOERROR", "FORMERR",  "SERVFAIL", "NXDOMAIN",
                                                              "NOTIMP",  "REFUSED", "other"};

std::string endpoint_text(const udp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  return (endpoint.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(endpoint.port());
}

// The client's address as the allow-list takes it (IPv4 mapped).
bool allowed_peer(const ClientNetworks& allowed, const sockaddr_storage& from) {
  ClientNetworks::Address bytes{};
  if (from.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(from);
    bytes[10] = bytes[11] = 0xFF;
    std::memcpy(bytes.data() + 12, &v4.sin_addr, 4);
  } else if (from.ss_family == AF_INET6) {
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6&>(from).sin6_addr, 16);
  } else {
    return false;
  }
  return allowed.contains(bytes);
}

bool is_response(std::string_view packet) {
  return packet.size() >= kHeaderSize && (static_cast<unsigned char>(packet[2]) & 0x80);
}

}  // namespace

void RefusingForwarder::forward(std::string query, std::size_t, Done done) {
  asio::post(executor_, [query = std::move(query), done = std::move(done)] {
    done(error_reply(query, rcode::Refused));
  });
}

// A UDP socket, watched by the reactor only while it waits for a packet.
// Whatever watches a socket (Asio's epoll) keeps a waiter on its wait
// queue, and the kernel then runs that waiter's callback (locks taken,
// interrupts off) for every reply we send (the buffer space it frees on
// loopback) and every query that arrives: 3-10% of a reply's cost on this
// machine (bench/README.md). So while queries keep coming faster than a
// turn reads them, the socket is read and written unwatched (`watch`
// released: EPOLL_CTL_DEL), and watched again once a read finds it empty.
// `watch` never owns the descriptor.
struct Server::UdpSocket {
  UdpSocket(asio::any_io_executor executor, UniqueFd socket) : fd(std::move(socket)), watch(std::move(executor)) {}
  ~UdpSocket() { unwatch(); }
  void unwatch() {
    if (watch.is_open()) watch.release();  // a pending wait ends with operation_aborted
  }

  UniqueFd fd;
  asio::posix::stream_descriptor watch;
};

namespace {

// A non-blocking UDP socket bound to `endpoint`; the error names the call that failed.
Result<UniqueFd> open_udp(const udp::endpoint& endpoint) {
  UniqueFd fd(::socket(endpoint.protocol().family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return errno_error("socket");
  if (::bind(fd.get(), endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0) return errno_error("bind");
  if (endpoint.address().is_v4() && endpoint.address().is_loopback()) {
    // Replies from a loopback address stay on the loopback device, whose
    // MTU (64 KiB) no reply reaches: nothing fragments, so DF costs
    // nothing, and with DF set the kernel writes IP ID 0 instead of
    // hashing a fresh ID into a table shared by all sockets (the default,
    // which leaves fragmenting allowed, pays that for every reply).
    const int probe = IP_PMTUDISC_PROBE;  // DF, and no path MTU to learn
    if (::setsockopt(fd.get(), IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof(probe)) != 0)
      return errno_error("setsockopt IP_MTU_DISCOVER");
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<Server>> Server::bind(asio::any_io_executor executor, ServerOptions options,
                                             const ClusterZone& zone, Forwarder& forwarder) {
  auto server = std::make_unique<Server>(executor, std::move(options), zone, forwarder);
  for (const auto& endpoint : server->options_.listen) {
    const std::string where = endpoint_text(endpoint);
    // Non-blocking: replies are sent without waiting; a full socket buffer
    // drops one, as the network may anyway, rather than stalling every
    // other client.
    auto fd = open_udp(endpoint);
    if (!fd) return Error{"udp " + where + ": " + fd.error().message};
    boost::system::error_code ec;
    auto acceptor = std::make_unique<tcp::acceptor>(executor);
    const tcp::endpoint stream(endpoint.address(), endpoint.port());
    acceptor->open(stream.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(stream, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Error{"tcp " + where + ": " + ec.message()};
    server->udp_.push_back(std::make_unique<UdpSocket>(executor, std::move(*fd)));
    server->tcp_.push_back(std::move(acceptor));
  }
  return server;
}

// One turn's packets and their replies, with the headers recvmmsg and
// sendmmsg take; the buffers are reused from turn to turn.
struct Server::UdpBatch {
  std::array<mmsghdr, kUdpBatch> in{};
  std::array<iovec, kUdpBatch> in_data{};
  std::array<sockaddr_storage, kUdpBatch> from{};
  std::array<std::array<char, kUdpQueryMax>, kUdpBatch> packets{};
  std::array<mmsghdr, kUdpBatch> out{};
  std::array<iovec, kUdpBatch> out_data{};
  std::array<std::string, kUdpBatch> replies;
};

Server::Server(asio::any_io_executor executor, ServerOptions options, const ClusterZone& zone, Forwarder& forwarder)
    : executor_(std::move(executor)), options_(std::move(options)), answerer_(zone, options_.ttl),
      forwarder_(forwarder), batch_(std::make_unique<UdpBatch>()) {
  for (std::size_t i = 0; i < kUdpBatch; ++i) {
    batch_->in_data[i] = {batch_->packets[i].data(), kUdpQueryMax};
    batch_->in[i].msg_hdr.msg_iov = &batch_->in_data[i];
    batch_->in[i].msg_hdr.msg_iovlen = 1;
    batch_->in[i].msg_hdr.msg_name = &batch_->from[i];
    batch_->out[i].msg_hdr.msg_iov = &batch_->out_data[i];
    batch_->out[i].msg_hdr.msg_iovlen = 1;
    batch_->replies[i].reserve(kMinMessageSize);
  }
}

Server::~Server() = default;

void Server::start() {
  for (auto& socket : udp_) asio::co_spawn(executor_, udp_loop(*socket), asio::detached);
  for (auto& acceptor : tcp_) asio::co_spawn(executor_, accept_loop(*acceptor), asio::detached);
}

void Server::stop() {
  boost::system::error_code ignored;
  for (auto& socket : udp_) {
    socket->unwatch();
    socket->fd.reset();  // an unwatched loop sees it at its next turn
  }
  for (auto& acceptor : tcp_) acceptor->close(ignored);
}

bool Server::allowed(const asio::ip::address& client) const {
  ClientNetworks::Address bytes;
  if (client.is_v4()) {
    bytes = asio::ip::make_address_v6(asio::ip::v4_mapped, client.to_v4()).to_bytes();
  } else {
    bytes = client.to_v6().to_bytes();
  }
  return options_.allowed.contains(bytes);
}

Server::Outcome Server::handle(std::string_view packet, bool tcp, std::string& out, std::size_t& max_size) {
  // Responses are never answered: two servers could otherwise loop.
  if (packet.size() < kHeaderSize || is_response(packet)) {
    ++counters_.malformed;
    return Outcome::drop;
  }
  auto query = peek_query(packet);
  if (!query) {
    // Not the common shape: parse() says whether it is a query at all.
    auto parsed = parse(packet);
    if (!parsed || parsed->questions.size() != 1) {
      // RFC 9619: a query has exactly one question.
      ++counters_.malformed;
      out = error_reply(packet, rcode::FormErr);
      return out.empty() ? Outcome::drop : Outcome::reply;
    }
    if (parsed->flags.opcode != opcode::Query) {
      ++counters_.unsupported;
      out = error_reply(packet, rcode::NotImp);
      return Outcome::reply;
    }
    // A compressed question, stray records: served as the plain query it
    // asks, rewritten into the shape the fast path and forwarder take.
    Message plain;
    plain.id = parsed->id;
    plain.flags.rd = parsed->flags.rd;
    plain.flags.cd = parsed->flags.cd;
    plain.questions = std::move(parsed->questions);
    plain.edns = std::move(parsed->edns);
    canonical_ = serialize(plain, kMaxMessageSize);
    query = peek_query(canonical_);
    if (!query) {
      ++counters_.malformed;
      out = error_reply(packet, rcode::FormErr);
      return Outcome::reply;
    }
    packet = canonical_;
  }
  if (query->has_edns && query->edns_version != 0) {
    // RFC 6891 §6.1.3: we speak EDNS version 0 only.
    ++counters_.unsupported;
    ReplyWriter reply(*query, out, kMinMessageSize, rcode::BadVers, false);
    reply.finish();
    return Outcome::reply;
  }
  max_size = tcp ? kMaxMessageSize : query->udp_reply_limit();
  if (answerer_.answer(*query, max_size, out)) {
    count_reply(ServerCounters::cluster, out);
    return Outcome::reply;
  }
  if (forwarder_.answer_now(*query, max_size, out)) {
    count_reply(ServerCounters::forwarded, out);
    return Outcome::reply;
  }
  out.assign(packet);
  return Outcome::forward;
}

void Server::count_reply(ServerCounters::Zone zone, std::string_view reply) {
  if (reply.size() < kHeaderSize) return;
  const unsigned code = static_cast<unsigned char>(reply[3]) & 0xF;
  ++counters_.replies[zone][std::min<std::size_t>(code, ServerCounters::kRcodes - 1)];
  if (static_cast<unsigned char>(reply[2]) & 0x02) ++counters_.truncated;
}

void Server::forward(std::string query, std::size_t max_size, Forwarder::Done send) {
  if (counters_.in_flight >= options_.max_in_flight) {
    ++counters_.refused;
    send(error_reply(query, rcode::Refused));
    return;
  }
  ++counters_.in_flight;
  forwarder_.forward(std::move(query), max_size, [this, send = std::move(send)](std::string reply) {
    --counters_.in_flight;
    count_reply(ServerCounters::forwarded, reply);
    send(std::move(reply));
  });
}

asio::awaitable<void> Server::udp_loop(UdpSocket& socket) {
  while (socket.fd) {
    boost::system::error_code ec;
    if (!socket.watch.is_open()) socket.watch.assign(socket.fd.get(), ec);
    if (ec) {
      log::error("dns: cannot watch the UDP socket, no longer serving UDP on it: " + ec.message());
      co_return;
    }
    co_await socket.watch.async_wait(asio::posix::stream_descriptor::wait_read,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    // Drain what has arrived, a batch per system call, with a turn for
    // other work (TCP, upstream answers) every kUdpBatches batches.
    for (;;) {
      if (!socket.fd) co_return;
      std::size_t batches = 0;
      bool drained = false;
      while (!drained && batches++ < kUdpBatches) {
        const int received = udp_receive(socket.fd.get());
        // Only an empty read (or an error) ends it: queries that came while
        // we answered the last batch are read now, not after a trip
        // through epoll (Asio re-arms the socket with epoll_ctl for every
        // wait, and we would sleep and be woken for each short batch).
        drained = received <= 0;
        if (received > 0) udp_reply(socket, static_cast<std::size_t>(received));
      }
      if (drained) break;
      // Still not empty after a turn: busy, so unwatched until drained.
      socket.unwatch();
      co_await asio::post(executor_, asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

// Reads up to a batch of waiting packets: how many, 0 when none waited, -1
// on an error (none expected: an unconnected socket without IP_RECVERR is
// not told of ICMP errors; packets still queued wake the reactor again).
int Server::udp_receive(int fd) {
  for (auto& message : batch_->in) {
    message.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    message.msg_hdr.msg_flags = 0;
  }
  const int received = ::recvmmsg(fd, batch_->in.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
  if (received < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  return received;
}

// Answers the batch's packets, the replies with one sendmmsg.
void Server::udp_reply(UdpSocket& socket, std::size_t received) {
  UdpBatch& batch = *batch_;
  std::size_t replies = 0;
  for (std::size_t i = 0; i < received; ++i) {
    const msghdr& in = batch.in[i].msg_hdr;
    if (!allowed_peer(options_.allowed, batch.from[i])) {
      // Silence, not REFUSED: a UDP source can be forged, and an answer
      // would make us a reflector, and tell a scanner a server is here.
      ++counters_.denied;
      continue;
    }
    const std::string_view packet(batch.packets[i].data(), batch.in[i].msg_len);
    std::string& reply = batch.replies[replies];
    std::size_t max_size = kMinMessageSize;
    Outcome outcome;
    if (in.msg_flags & MSG_TRUNC) {
      ++counters_.malformed;
      reply = error_reply(packet, rcode::FormErr);
      outcome = reply.empty() ? Outcome::drop : Outcome::reply;
    } else {
      outcome = handle(packet, false, reply, max_size);
    }
    if (outcome == Outcome::reply) {
      batch.out_data[replies] = {reply.data(), reply.size()};
      batch.out[replies].msg_hdr.msg_name = &batch.from[i];
      batch.out[replies].msg_hdr.msg_namelen = in.msg_namelen;
      ++replies;
    } else if (outcome == Outcome::forward) {
      udp::endpoint client;
      std::memcpy(client.data(), &batch.from[i], in.msg_namelen);
      client.resize(in.msg_namelen);
      forward(reply, max_size, [&socket, client](const std::string& answer) {
        // Not waiting for buffer space, and errors dropped, as for a reply from the fast path.
        if (!answer.empty() && socket.fd)
          (void)::sendto(socket.fd.get(), answer.data(), answer.size(), MSG_DONTWAIT, client.data(), client.size());
      });
    }
  }
  // Replies are sent without waiting: one that meets a full socket buffer
  // is dropped, as the network may anyway, rather than stalling every
  // other client. A reply the kernel refuses (sendmmsg stops at it) is skipped.
  for (std::size_t sent = 0; sent < replies;) {
    const int n = ::sendmmsg(socket.fd.get(), batch.out.data() + sent, static_cast<unsigned>(replies - sent),
                             MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      ++sent;
    }
  }
}

asio::awaitable<void> Server::accept_loop(tcp::acceptor& acceptor) {
  while (acceptor.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) break;
    if (ec) {
      // EMFILE and friends: say so, breathe, and keep accepting.
      log::warning("dns: accept failed, retrying in 100ms: " + ec.message());
      asio::steady_timer pause(executor_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const auto peer = socket.remote_endpoint(ec);
    if (ec || !allowed(peer.address())) {
      // The handshake proves the address, but an outsider still gets
      // nothing: closing is all it learns.
      ++counters_.denied;
      continue;
    }
    if (counters_.tcp_connections >= options_.max_tcp_connections) {
      ++counters_.tcp_rejected;
      continue;
    }
    asio::co_spawn(executor_, serve_tcp(*this, std::move(socket)), asio::detached);
  }
}

void Server::write_metrics(MetricsText& out) const {
  std::vector<MetricsText::Sample> replies;
  for (int zone = 0; zone < 2; ++zone)
    for (std::size_t code = 0; code < ServerCounters::kRcodes; ++code)
      replies.push_back({std::string("zone=\"") + (zone == ServerCounters::cluster ? "cluster" : "forwarded") +
                             "\",rcode=\"" + kRcodeNames[code] + "\"",
                         static_cast<double>(counters_.replies[zone][code])});
  out.counters("dcos_dns_queries_total", "Queries answered, by zone (cluster, forwarded) and rcode", replies)
      .counter("dcos_dns_malformed_total", "Packets that did not parse, and TCP lengths over the bound",
               static_cast<double>(counters_.malformed))
      .counter("dcos_dns_unsupported_total", "Queries of an opcode or EDNS version we do not serve",
               static_cast<double>(counters_.unsupported))
      .counter("dcos_dns_refused_total", "Queries refused over the bound on forwarded queries in flight",
               static_cast<double>(counters_.refused))
      .counter("dcos_dns_denied_total", "Packets and connections from clients outside the allow-list, dropped",
               static_cast<double>(counters_.denied))
      .counter("dcos_dns_truncated_total", "Replies sent with TC", static_cast<double>(counters_.truncated))
      .counter("dcos_dns_tcp_rejected_total", "TCP connections closed at accept over the bound",
               static_cast<double>(counters_.tcp_rejected))
      .gauge("dcos_dns_in_flight", "Forwarded queries awaiting their reply", static_cast<double>(counters_.in_flight))
      .gauge("dcos_dns_tcp_connections", "Open TCP connections", static_cast<double>(counters_.tcp_connections));
}

}  // namespace dcos::dns
