#include "dnsproxy/upstream_forwarder.hpp"

#include <boost/asio/post.hpp>

#include <array>
#include <cstdio>

#include "dnsproxy/message.hpp"
#include "dnsproxy/name.hpp"
#include "dnsproxy/query.hpp"
#include "runtime/log.hpp"

namespace dcos::dns {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Upper bounds of the latency buckets, in seconds (cumulative counts).
constexpr std::array<double, 8> kLatencyBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};

std::string endpoint_text(const ForwarderOptions::Endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  return (endpoint.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(endpoint.port());
}

// The query we send upstream for `query`: its question, RD, its CD, our EDNS.
std::string upstream_query(const QueryView& query) {
  Message out;
  out.flags.rd = true;
  out.flags.cd = query.cd;
  out.questions.push_back({std::string(query.name), query.type, query.klass});
  out.edns = Edns{};
  out.edns->udp_payload_size = ReplyWriter::kUdpPayloadSize;
  return serialize(out, kMaxMessageSize);
}

}  // namespace

struct UpstreamForwarder::Upstream {
  Upstream(ForwarderOptions::Endpoint endpoint, UpstreamHealth::Options health)
      : endpoint(std::move(endpoint)), name(endpoint_text(this->endpoint)), health(health) {}
  ForwarderOptions::Endpoint endpoint;
  std::string name;  // "ip:port", its label in /metrics
  std::unique_ptr<AresChannel> channel;
  UpstreamHealth health;
  uint64_t queries = 0;
  uint64_t answers = 0;  // NOERROR and NXDOMAIN: what the client gets
  uint64_t timeouts = 0;
  uint64_t errors = 0;     // c-ares could not ask (connection refused, ...)
  uint64_t servfail = 0;   // SERVFAIL, REFUSED or another rcode
  uint64_t malformed = 0;  // answers our parser rejects
  uint64_t skipped = 0;    // queries not sent while it was sick
  double latency_sum = 0;  // seconds, over the answers of any rcode
  uint64_t latency_count = 0;
  std::array<uint64_t, kLatencyBuckets.size()> latency_within{};
};

// One client's query on its way through the upstreams.
struct UpstreamForwarder::Job {
  std::string query;  // the client's; `view` points into it
  QueryView view;
  std::size_t max_size = kMinMessageSize;
  Done done;
  std::string key;  // the lower-cased question name
  std::string flight;  // key, type, class and CD: what identical queries share
  std::string upstream_query;
  const std::vector<Upstream*>* route = nullptr;
  std::size_t next = 0;  // the next upstream of `route` to try
};

UpstreamForwarder::UpstreamForwarder(asio::any_io_executor executor, const ForwarderOptions& options)
    : executor_(std::move(executor)), options_(options), cache_(options.cache) {}

UpstreamForwarder::~UpstreamForwarder() = default;

UpstreamForwarder::Upstream* UpstreamForwarder::upstream(const ForwarderOptions::Endpoint& endpoint) {
  for (auto& known : upstreams_)
    if (known->endpoint == endpoint) return known.get();
  return nullptr;
}

Result<std::unique_ptr<UpstreamForwarder>> UpstreamForwarder::create(asio::any_io_executor executor,
                                                                     const ForwarderOptions& options) {
  auto forwarder = std::make_unique<UpstreamForwarder>(executor, options);
  // One channel (and one health) per server, shared by every zone naming it.
  const auto add = [&](const ForwarderOptions::Endpoint& endpoint) -> Result<Upstream*> {
    if (auto* known = forwarder->upstream(endpoint)) return known;
    auto upstream = std::make_unique<Upstream>(endpoint, options.health);
    auto channel = AresChannel::create(executor, endpoint, options.timeout);
    if (!channel) return Error{"upstream " + upstream->name + ": " + channel.error().message};
    upstream->channel = std::move(*channel);
    forwarder->upstreams_.push_back(std::move(upstream));
    return forwarder->upstreams_.back().get();
  };
  for (const auto& endpoint : options.upstreams) {
    auto upstream = add(endpoint);
    if (!upstream) return upstream.error();
    forwarder->defaults_.push_back(*upstream);
  }
  for (const auto& zone : options.zones) {
    auto& servers = forwarder->zones_[name_key(zone.domain)];
    for (const auto& endpoint : zone.servers) {
      auto upstream = add(endpoint);
      if (!upstream) return upstream.error();
      servers.push_back(*upstream);
    }
  }
  return forwarder;
}

const std::vector<UpstreamForwarder::Upstream*>* UpstreamForwarder::route(std::string_view key) const {
  if (!zones_.empty()) {
    // The longest zone the name is in: try its suffixes from the longest.
    for (std::size_t at = 0; at < key.size();) {
      if (auto it = zones_.find(std::string(key.substr(at))); it != zones_.end()) return &it->second;
      const auto length = static_cast<unsigned char>(key[at]);
      if (length == 0) break;
      at += 1 + length;
    }
  }
  return &defaults_;
}

bool UpstreamForwarder::answer_now(const QueryView& query, std::size_t max_size, std::string& out) {
  return cache_.reply(query, Clock::now(), max_size, out);
}

void UpstreamForwarder::forward(std::string query, std::size_t max_size, Done done) {
  auto job = std::make_unique<Job>();
  job->query = std::move(query);
  job->max_size = max_size;
  job->done = std::move(done);
  // Never answer from within forward() (forwarder.hpp): continue on the loop.
  asio::post(executor_, [this, job = std::move(job)]() mutable { start(std::move(job)); });
}

void UpstreamForwarder::start(std::shared_ptr<Job> job) {
  auto view = peek_query(job->query);
  if (!view) {
    // The server only forwards what peek_query() takes; anything else is a bug upstream of us.
    job->done(error_reply(job->query, rcode::FormErr));
    return;
  }
  job->view = *view;
  const Question question{std::string(view->name), view->type, view->klass};
  if (auto hit = cache_.find(question, view->id, Clock::now())) {
    job->done(client_reply(std::move(*hit), job->view, job->max_size));
    return;
  }
  job->key = name_key(view->name);
  job->route = route(job->key);
  if (job->route->empty()) {
    ++no_upstream_;
    job->done(error_reply(job->query, rcode::Refused));
    return;
  }
  job->flight = job->key;
  for (const uint16_t field : {job->view.type, job->view.klass, uint16_t(job->view.cd)}) {
    job->flight += static_cast<char>(field >> 8);
    job->flight += static_cast<char>(field & 0xFF);
  }
  if (auto [waiting, first] = waiting_.try_emplace(job->flight); !first) {
    ++coalesced_;
    waiting->second.push_back(std::move(job));
    return;
  }
  job->upstream_query = upstream_query(job->view);
  next_attempt(std::move(job));
}

std::vector<std::shared_ptr<UpstreamForwarder::Job>> UpstreamForwarder::take_followers(const Job& job) {
  std::vector<std::shared_ptr<Job>> followers;
  if (auto it = waiting_.find(job.flight); it != waiting_.end()) {
    followers = std::move(it->second);
    waiting_.erase(it);
  }
  return followers;
}

void UpstreamForwarder::next_attempt(std::shared_ptr<Job> job) {
  const auto now = Clock::now();
  while (job->next < job->route->size()) {
    Upstream& upstream = *(*job->route)[job->next++];
    if (!upstream.health.take(now)) {
      ++upstream.skipped;
      continue;
    }
    ++upstream.queries;
    // Shared with the channel's callback, which frees it if the channel
    // goes first (at shutdown) without calling back.
    const std::string_view query = job->upstream_query;
    upstream.channel->send(query, [this, job, &upstream, now](AresChannel::Status status, std::string_view answer,
                                                              std::string_view error) {
      answered(job, upstream, now, status, answer, error);
    });
    return;
  }
  give_up(std::move(job));
}

void UpstreamForwarder::answered(std::shared_ptr<Job> job, Upstream& upstream, Clock::time_point sent,
                                 AresChannel::Status status, std::string_view answer, std::string_view error) {
  const auto now = Clock::now();
  std::string why;
  if (status == AresChannel::Status::timeout) {
    ++upstream.timeouts;
    why = "timed out";
  } else if (status == AresChannel::Status::failed) {
    ++upstream.errors;
    why = std::string(error);
  } else {
    const double seconds = std::chrono::duration<double>(now - sent).count();
    upstream.latency_sum += seconds;
    ++upstream.latency_count;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
      if (seconds <= kLatencyBuckets[i]) ++upstream.latency_within[i];
    auto reply = parse(answer);
    if (!reply) {
      ++upstream.malformed;
      why = "its answer does not parse: " + reply.error().message;
    } else if (const uint16_t code = reply->flags.rcode; code != rcode::NoError && code != rcode::NxDomain) {
      ++upstream.servfail;
      why = "it answered rcode " + std::to_string(code);
    } else {
      if (!upstream.health.healthy())
        log::info("dns: upstream " + upstream.name + " answers again", {{"UPSTREAM", upstream.name}});
      upstream.health.succeeded();
      ++upstream.answers;
      cache_.store(job->key, job->view.type, job->view.klass, *reply, now, job->view.name);
      for (const auto& follower : take_followers(*job))
        follower->done(client_reply(*reply, follower->view, follower->max_size));
      job->done(client_reply(std::move(*reply), job->view, job->max_size));
      return;
    }
  }
  const bool was_healthy = upstream.health.healthy();
  upstream.health.failed(now);
  if (was_healthy && !upstream.health.healthy())
    log::warning("dns: upstream " + upstream.name + " failed " + std::to_string(upstream.health.consecutive_failures()) +
                     " queries in a row (last: " + why + "); trying the others first until it answers a probe",
                 {{"UPSTREAM", upstream.name}});
  log::debug("dns: upstream " + upstream.name + " failed a query for " + name_to_text(job->view.name) + ": " + why,
             {{"UPSTREAM", upstream.name}});
  next_attempt(std::move(job));
}

void UpstreamForwarder::give_up(std::shared_ptr<Job> job) {
  for (const auto& follower : take_followers(*job)) fail(*follower);
  fail(*job);
}

// Every upstream failed: a stale answer if there is one, else SERVFAIL.
void UpstreamForwarder::fail(Job& job) {
  const Question question{std::string(job.view.name), job.view.type, job.view.klass};
  if (auto stale = cache_.find(question, job.view.id, Clock::now(), /*stale=*/true)) {
    ++served_stale_;
    job.done(client_reply(std::move(*stale), job.view, job.max_size));
    return;
  }
  ++all_failed_;
  job.done(error_reply(job.query, rcode::ServFail));
}

}  // namespace dcos::dns

namespace dcos::dns {

void UpstreamForwarder::write_metrics(MetricsText& out) const {
  using Sample = MetricsText::Sample;
  const auto per_upstream = [this](auto value) {
    std::vector<Sample> samples;
    for (const auto& upstream : upstreams_)
      samples.push_back({"upstream=\"" + upstream->name + "\"", static_cast<double>(value(*upstream))});
    return samples;
  };
  std::vector<Sample> failures;
  std::vector<Sample> within;
  for (const auto& upstream : upstreams_) {
    const std::string label = "upstream=\"" + upstream->name + "\"";
    for (const auto& [kind, count] : {std::pair<const char*, uint64_t>{"timeout", upstream->timeouts},
                                      {"error", upstream->errors},
                                      {"rcode", upstream->servfail},
                                      {"malformed", upstream->malformed}})
      failures.push_back({label + ",kind=\"" + kind + "\"", static_cast<double>(count)});
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      char bound[32];
      std::snprintf(bound, sizeof bound, "%g", kLatencyBuckets[i]);
      within.push_back({label + ",le=\"" + bound + "\"", static_cast<double>(upstream->latency_within[i])});
    }
  }
  out.counters("dcos_dns_upstream_queries_total", "Queries sent to each upstream",
               per_upstream([](const Upstream& u) { return u.queries; }))
      .counters("dcos_dns_upstream_answers_total", "NOERROR and NXDOMAIN answers from each upstream",
                per_upstream([](const Upstream& u) { return u.answers; }))
      .counters("dcos_dns_upstream_failures_total",
                "Failed queries by upstream and kind (timeout; error: c-ares could not ask; rcode: SERVFAIL, "
                "REFUSED or another; malformed answer)",
                failures)
      .counters("dcos_dns_upstream_skipped_total", "Queries not sent to an upstream while it was sick",
                per_upstream([](const Upstream& u) { return u.skipped; }))
      .counters("dcos_dns_upstream_latency_seconds_total", "Sum of the upstream's answer times",
                per_upstream([](const Upstream& u) { return u.latency_sum; }))
      .counters("dcos_dns_upstream_latency_count_total", "Answers timed (any rcode)",
                per_upstream([](const Upstream& u) { return u.latency_count; }))
      .counters("dcos_dns_upstream_latency_within_total", "Answers that came within le seconds (cumulative)", within)
      .gauges("dcos_dns_upstream_healthy", "1 while an upstream is healthy, 0 while it is sick and backed off",
              per_upstream([](const Upstream& u) { return u.health.healthy() ? 1 : 0; }))
      .gauges("dcos_dns_upstream_in_flight", "Queries awaiting each upstream's answer",
              per_upstream([](const Upstream& u) { return u.channel->in_flight(); }))
      .counter("dcos_dns_cache_hits_total", "Forwarded queries answered from the cache", static_cast<double>(cache_.hits()))
      .counter("dcos_dns_cache_misses_total", "Forwarded queries the cache could not answer",
               static_cast<double>(cache_.misses()))
      .counter("dcos_dns_coalesced_total", "Forwarded queries that waited for an identical one's upstream answer",
               static_cast<double>(coalesced_))
      .counter("dcos_dns_cache_stale_total", "Stale answers served while every upstream failed",
               static_cast<double>(served_stale_))
      .gauge("dcos_dns_cache_entries", "Answers in the cache", static_cast<double>(cache_.size()))
      .counter("dcos_dns_upstream_all_failed_total", "Queries answered SERVFAIL: every upstream failed, nothing stale",
               static_cast<double>(all_failed_))
      .counter("dcos_dns_no_upstream_total", "Queries refused: no upstream configured for the name",
               static_cast<double>(no_upstream_));
}

}  // namespace dcos::dns
