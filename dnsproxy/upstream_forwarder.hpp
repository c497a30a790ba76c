// The Forwarder that sends names outside the cluster zones to upstream
// resolvers through c-ares (AresChannel), with a cache (AnswerCache).
//
// A query goes to the upstreams of its forward zone (the longest
// configured domain it is in), or to the default upstreams; with none, it
// gets REFUSED. Upstreams are tried in their configured order, skipping
// the sick ones (UpstreamHealth); a timeout, an error, SERVFAIL, REFUSED or
// any rcode but NOERROR and NXDOMAIN moves on to the next. When all have
// failed (or all are sick), a stale answer is served if the cache holds
// one expired a short while ago (RFC 8767), else SERVFAIL. Queries for a
// question already on its way upstream (same name in any case, type,
// class and CD) do not go again: they wait for that answer and get it too
// (or what the first gets when every upstream fails).
//
// What goes upstream is the client's question with RD, its CD, and EDNS
// with our size (1232) and DO clear, whatever the client sent: the cache
// then holds one answer per question, good for every client. A truncated
// answer is fetched again over TCP (by c-ares). What goes back to the
// client is the answer with the client's id and question (case as asked),
// RD and CD as it sent them, RA, and EDNS only if it used EDNS, fitted to
// the size the server gives (truncated with TC for UDP).
//
// Use from the io thread only; see forwarder.hpp for the contract.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dnsproxy/answer_cache.hpp"
#include "dnsproxy/ares_channel.hpp"
#include "dnsproxy/forwarder.hpp"
#include "dnsproxy/upstream_health.hpp"
#include "runtime/metrics.hpp"

namespace dcos::dns {

struct ForwarderOptions {
  using Endpoint = boost::asio::ip::udp::endpoint;
  struct Zone {
    std::string domain;  // wire form (any case)
    std::vector<Endpoint> servers;
  };
  std::vector<Endpoint> upstreams;
  std::vector<Zone> zones;
  std::chrono::milliseconds timeout{2000};  // for one upstream's answer
  UpstreamHealth::Options health;
  AnswerCache::Options cache;
};

class UpstreamForwarder : public Forwarder {
 public:
  // Makes a c-ares channel per distinct upstream; an Error names the one c-ares refused.
  static Result<std::unique_ptr<UpstreamForwarder>> create(boost::asio::any_io_executor executor,
                                                           const ForwarderOptions& options);
  ~UpstreamForwarder() override;

  void forward(std::string query, std::size_t max_size, Done done) override;
  // A fresh cached answer kept as wire bytes (AnswerCache::reply()).
  bool answer_now(const QueryView& query, std::size_t max_size, std::string& out) override;
  void write_metrics(MetricsText& out) const;

  UpstreamForwarder(boost::asio::any_io_executor executor, const ForwarderOptions& options);

 private:
  struct Upstream;
  struct Job;
  void start(std::shared_ptr<Job> job);
  void next_attempt(std::shared_ptr<Job> job);
  void answered(std::shared_ptr<Job> job, Upstream& upstream, std::chrono::steady_clock::time_point sent,
                AresChannel::Status status, std::string_view answer, std::string_view error);
  void give_up(std::shared_ptr<Job> job);
  void fail(Job& job);
  std::vector<std::shared_ptr<Job>> take_followers(const Job& job);
  const std::vector<Upstream*>* route(std::string_view key) const;
  Upstream* upstream(const ForwarderOptions::Endpoint& endpoint);

  boost::asio::any_io_executor executor_;
  ForwarderOptions options_;
  AnswerCache cache_;
  std::vector<std::unique_ptr<Upstream>> upstreams_;
  std::vector<Upstream*> defaults_;
  std::unordered_map<std::string, std::vector<Upstream*>> zones_;  // by lower-cased wire domain
  // The queries waiting for another's answer, by that one's flight key
  // (Job::flight); an entry, empty or not, while the first is upstream.
  std::unordered_map<std::string, std::vector<std::shared_ptr<Job>>> waiting_;
  uint64_t coalesced_ = 0;
  uint64_t served_stale_ = 0;
  uint64_t all_failed_ = 0;
  uint64_t no_upstream_ = 0;
};

}  // namespace dcos::dns
