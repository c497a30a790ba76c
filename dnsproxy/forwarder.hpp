// Where the server sends the queries for names outside the cluster zones.
//
// A Forwarder resolves one query asynchronously: forward() returns at once
// and `done` runs later, exactly once, on the server's io thread, with the
// reply packet (the query's id, at most `max_size` bytes, truncated with TC
// beyond that), or empty to send nothing. It never runs `done` from
// within forward() (the server may hold state across the call).
//
// The server bounds the queries in flight (REFUSED beyond the bound) and
// counts the replies by rcode; a Forwarder needs to do neither. The
// c-ares forwarder (upstreams, failover, cache) is the next piece of
// issue 6; until it lands, RefusingForwarder answers REFUSED.
// Use from the io thread only.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "dnsproxy/query.hpp"
#include "runtime/asio.hpp"

namespace dcos::dns {

class Forwarder {
 public:
  using Done = std::function<void(std::string reply)>;
  virtual ~Forwarder() = default;
  // `query`: a standard query that peek_query() accepts (the server
  // rewrites any other shape into one), with the client's id.
  virtual void forward(std::string query, std::size_t max_size, Done done) = 0;
  // The reply to `query`, when there is one at hand (a cached answer), in
  // `out` at once: true; false (`out` untouched) and the server calls
  // forward(). For the hot path: no allocation, no waiting.
  virtual bool answer_now(const QueryView& query, std::size_t max_size, std::string& out) {
    (void)query, (void)max_size, (void)out;
    return false;
  }
};

// Answers every query REFUSED: what a server with no upstream says.
class RefusingForwarder : public Forwarder {
 public:
  explicit RefusingForwarder(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
  void forward(std::string query, std::size_t max_size, Done done) override;

 private:
  boost::asio::any_io_executor executor_;
};

}  // namespace dcos::dns
