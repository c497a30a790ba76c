// POST /api/v1/scheduler: decodes a Call (JSON or protobuf, by
// Content-Type), checks it the way Mesos' master does, and hands it to the
// part of the master that acts on it. Answers as Mesos does: 200 with the
// event stream for SUBSCRIBE, 202 for the other calls, 400 with the reason
// for a malformed or inconsistent call, 403 for a framework that is not
// subscribed, 406/415 for formats we do not speak, 413 for a body too large.
#include <cmath>

#include "daemons/master/master.hpp"
#include "daemons/master/v1_call.hpp"
#include "runtime/ids.hpp"
#include "runtime/log.hpp"

namespace dcos::master {

namespace {

http::Response accepted() {
  http::Response response;
  response.status = 202;
  return response;
}

// Which part of a Call each type needs, as Mesos' validation names it.
Result<void> check_present(const mesos::v1::scheduler::Call& call) {
  using Call = mesos::v1::scheduler::Call;
  auto need = [](bool present, const char* field) -> Result<void> {
    if (present) return {};
    return Error{std::string("Expecting '") + field + "' to be present"};
  };
  switch (call.type()) {
    case Call::SUBSCRIBE:
      return need(call.has_subscribe(), "subscribe");
    case Call::ACCEPT:
      return need(call.has_accept(), "accept");
    case Call::DECLINE:
      return need(call.has_decline(), "decline");
    case Call::KILL:
      return need(call.has_kill(), "kill");
    case Call::ACKNOWLEDGE:
      return need(call.has_acknowledge(), "acknowledge");
    case Call::RECONCILE:
      return need(call.has_reconcile(), "reconcile");
    default:
      return {};
  }
}

}  // namespace

http::Response Master::scheduler_call(const http::Request& request) {
  ++scheduler_counters_.calls;
  auto bad = [this](unsigned status, const std::string& message) {
    ++scheduler_counters_.bad_calls;
    return http::Response::error(status, message);
  };
  Call call;
  bool protobuf_out = false;
  if (auto refused = decode_call(request, call, options_.max_call_bytes, &protobuf_out))
    return bad(refused->status, refused->message);
  if (!call.has_type() || call.type() == Call::UNKNOWN) return bad(400, "Expecting 'type' to be present");
  if (auto present = check_present(call); !present) return bad(400, present.error().message);
  auto response = dispatch_call(call, request, protobuf_out);
  if (response.status >= 400) ++scheduler_counters_.bad_calls;
  return response;
}

http::Response Master::dispatch_call(const Call& call, const http::Request& request, bool protobuf_out) {
  if (call.type() == Call::SUBSCRIBE) return subscribe(call, protobuf_out);
  if (!call.has_framework_id() || call.framework_id().value().empty())
    return http::Response::error(400, "Expecting 'framework_id' to be present");
  const std::string& id = call.framework_id().value();
  FrameworkRecord* framework = frameworks_.find(id);
  if (!framework) return http::Response::error(403, "Framework " + id + " cannot be found");
  if (!framework->connected()) return http::Response::error(403, "Framework " + id + " is not subscribed");
  const std::string stream_id = header(request, "mesos-stream-id");
  if (stream_id.empty())
    return http::Response::error(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
  if (stream_id != framework->stream_id)
    return http::Response::error(400, "The stream ID '" + stream_id +
                                          "' included in this request didn't match the stream ID currently "
                                          "associated with framework ID " +
                                          id);
  switch (call.type()) {
    case Call::TEARDOWN:
      remove_framework(id, "torn down by its scheduler");
      break;
    case Call::ACCEPT:
      accept(*framework, call.accept());
      break;
    case Call::DECLINE:
      decline(*framework, call.decline());
      break;
    case Call::REVIVE:
      revive(*framework, call.revive());
      break;
    case Call::SUPPRESS:
      suppress(*framework, call.suppress());
      break;
    case Call::KILL:
      kill(*framework, call.kill());
      break;
    case Call::ACKNOWLEDGE:
      acknowledge(*framework, call.acknowledge());
      break;
    case Call::RECONCILE:
      reconcile(*framework, call.reconcile());
      break;
    case Call::REQUEST:
      break;  // Mesos' allocator ignores requests too
    default:
      return http::Response::error(501, "Call type " + Call::Type_Name(call.type()) + " is not supported yet");
  }
  return accepted();
}

http::Response Master::subscribe(const Call& call, bool protobuf_out) {
  mesos::v1::FrameworkInfo info = call.subscribe().framework_info();
  if (info.has_id() && info.id().value().empty()) info.clear_id();
  if (info.has_id() && call.framework_id().value() != info.id().value())
    return http::Response::error(400, "'framework_id' differs from 'subscribe.framework_info.id'");
  if (!info.has_id() && call.has_framework_id())
    return http::Response::error(400, "'framework_id' is set but 'subscribe.framework_info.id' is not");
  if (info.name().empty()) return http::Response::error(400, "'framework_info.name' is empty");
  if (info.roles_size() > 0 && has_legacy_role(info))
    return http::Response::error(400, "'framework_info.roles' and 'framework_info.role' are both set");
  for (const auto& role : roles_of(info))
    if (role.empty() || role.size() > 255 || role.find_first_of("/ \t\n") == 0)
      return http::Response::error(400, "role '" + role + "' is invalid");
  if (!std::isfinite(info.failover_timeout()) || info.failover_timeout() < 0)
    return http::Response::error(400, "'framework_info.failover_timeout' must be a finite, non-negative number");
  if (!frameworks_.find(info.id().value()) && frameworks_.all().size() >= options_.max_frameworks)
    return http::Response::error(503, "The master already holds " + std::to_string(options_.max_frameworks) +
                                          " frameworks; try again once some are removed");
  if (!info.has_id()) info.mutable_id()->set_value(next_framework_id());

  auto stream = std::make_shared<http::Stream>();
  FrameworkRecord& framework = subscribe_framework(info, call.subscribe(), protobuf_out, stream);
  http::Response response;
  response.content_type = std::string(protobuf_out ? kProtobufType : kJsonType);
  response.headers.emplace_back("Mesos-Stream-Id", framework.stream_id);
  response.stream = std::move(stream);
  return response;
}

void Master::decline(FrameworkRecord& framework, const Call::Decline& decline) {
  const std::optional<double> refuse = refuse_seconds(decline.filters());
  const auto now = Clock::now();
  for (const auto& offer_id : decline.offer_ids()) {
    const OfferEntry* entry = offers_.find(offer_id.value());
    if (!entry || entry->allocation.framework_id != framework.id()) {
      log::warning("ignoring decline of unknown offer " + offer_id.value(), {{"FRAMEWORK_ID", framework.id()}});
      continue;
    }
    auto taken = offers_.take(offer_id.value());
    if (auto recovered = allocator_.recover_offer(std::move(taken->allocation), refuse, now); !recovered)
      log::error("could not recover declined offer " + offer_id.value() + ": " + recovered.error().message);
    ++scheduler_counters_.offers_declined;
  }
  request_allocation();
}

void Master::revive(FrameworkRecord& framework, const Call::Revive& revive) {
  if (revive.roles_size() == 0) (void)allocator_.revive(framework.id());
  for (const auto& role : revive.roles()) (void)allocator_.revive(framework.id(), role);
  request_allocation();
}

void Master::suppress(FrameworkRecord& framework, const Call::Suppress& suppress) {
  if (suppress.roles_size() == 0) (void)allocator_.suppress(framework.id());
  for (const auto& role : suppress.roles()) (void)allocator_.suppress(framework.id(), role);
}

}  // namespace dcos::master
