// libFuzzer target for the DNS wire format (dnsproxy/): parse(), serialize(),
// peek_query() and error_reply() on any packet.
//
// Checked on every input:
//   - peek_query() accepts only what parse() accepts, and reads the same
//     id, flags, question and EDNS;
//   - a parsed message serializes, at 512, 1232, 4096 and 65535 bytes, to at
//     most that size; the result parses again, keeps the id, keeps a prefix
//     of every section (dropping answer or authority records only with TC),
//     and serializes to the same bytes again (nothing grows or drifts);
//   - question names survive presentation form and back;
//   - error_reply() gives nothing or a reply that parses, with the same id;
//   - a parsed response, kept by the AnswerCache as an upstream's answer,
//     gives the same bytes from its wire copy (reply()) as the long way
//     (find() and client_reply()), with and without EDNS.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dnsproxy/answer_cache.hpp"
#include "dnsproxy/message.hpp"
#include "dnsproxy/name.hpp"
#include "dnsproxy/query.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace dcos::dns;

template <class T>
bool is_prefix(const std::vector<T>& part, const std::vector<T>& whole) {
  if (part.size() > whole.size()) return false;
  for (std::size_t i = 0; i < part.size(); ++i)
    if (!(part[i] == whole[i])) return false;
  return true;
}

void check_peek(const QueryView& query, const Message& message) {
  FUZZ_CHECK(query.id == message.id, "peek and parse read different ids");
  FUZZ_CHECK(query.rd == message.flags.rd && query.cd == message.flags.cd, "peek and parse read different flags");
  FUZZ_CHECK(!message.flags.qr && message.questions.size() == 1, "peek accepted a response or not one question");
  const Question& question = message.questions[0];
  FUZZ_CHECK(query.name == question.name, "peek and parse read different names");
  FUZZ_CHECK(query.type == question.type && query.klass == question.klass, "peek and parse read different types");
  FUZZ_CHECK(query.has_edns == message.edns.has_value(), "peek and parse disagree on EDNS");
  if (message.edns) {
    FUZZ_CHECK(query.udp_payload_size == message.edns->udp_payload_size, "peek and parse read different sizes");
    FUZZ_CHECK(query.edns_version == message.edns->version, "peek and parse read different EDNS versions");
    FUZZ_CHECK(query.dnssec_ok == message.edns->dnssec_ok, "peek and parse read different DO bits");
    FUZZ_CHECK(query.udp_reply_limit() == udp_reply_limit(message), "peek and parse give different reply limits");
  }
}

void check_serialize(const Message& message, std::size_t max_size) {
  const std::string out = serialize(message, max_size);
  FUZZ_CHECK(out.size() <= std::max<std::size_t>(max_size, kMinMessageSize), "serialize() exceeded its size");
  auto again = parse(out);
  if (!again) std::fprintf(stderr, "dns_message_fuzz: %s\n", again.error().message.c_str());
  FUZZ_CHECK(again.ok(), "serialize() wrote what parse() rejects");
  FUZZ_CHECK(again->id == message.id, "the id changed");
  FUZZ_CHECK(is_prefix(again->questions, message.questions), "questions are not a prefix");
  FUZZ_CHECK(is_prefix(again->answers, message.answers), "answers are not a prefix");
  FUZZ_CHECK(is_prefix(again->authority, message.authority), "authority is not a prefix");
  FUZZ_CHECK(is_prefix(again->additional, message.additional), "additional is not a prefix");
  const bool lost = again->questions.size() < message.questions.size() ||
                    again->answers.size() < message.answers.size() ||
                    again->authority.size() < message.authority.size();
  FUZZ_CHECK(!lost || again->flags.tc, "records were dropped without TC");
  FUZZ_CHECK(again->edns.has_value() == message.edns.has_value(), "the OPT record was lost or invented");
  FUZZ_CHECK(serialize(*again, max_size) == out, "serializing the result again changed it");
}

// `reply` as an upstream's answer to its first question, cached, then asked
// for by a client with and without EDNS.
void check_cache(const Message& reply) {
  if (!reply.flags.qr || reply.questions.empty()) return;
  const Question& question = reply.questions[0];
  AnswerCache cache({});
  const auto now = AnswerCache::Clock::time_point{} + std::chrono::hours(1);
  cache.store(name_key(question.name), question.type, question.klass, reply, now, question.name);
  for (const bool edns : {false, true}) {
    Message query;
    query.id = 0x4321;
    query.flags.rd = true;
    query.flags.cd = edns;
    query.questions = {question};
    if (edns) {
      query.edns = Edns{};
      query.edns->dnssec_ok = true;
    }
    const std::string packet = serialize(query, kMaxMessageSize);
    const auto view = peek_query(packet);
    FUZZ_CHECK(view.has_value(), "a one-question query does not peek");
    std::string fast;
    const auto later = now + std::chrono::seconds(3);
    if (!cache.reply(*view, later, 1232, fast)) continue;
    auto hit = cache.find(question, view->id, later);
    FUZZ_CHECK(hit.has_value(), "reply() answered what find() does not");
    FUZZ_CHECK(fast == client_reply(*hit, *view, 1232), "the cache's wire reply differs from the long way's");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view packet(reinterpret_cast<const char*>(data), size);
  auto message = parse(packet);
  const auto query = peek_query(packet);
  if (query) {
    FUZZ_CHECK(message.ok(), "peek_query() accepted what parse() rejects");
    check_peek(*query, *message);
  }
  if (!message) {
    FUZZ_CHECK(!message.error().message.empty(), "an error without a message");
  } else {
    for (std::size_t max_size : {512, 1232, 4096, 65535}) check_serialize(*message, max_size);
    check_cache(*message);
    for (const Question& question : message->questions) {
      auto back = name_from_text(name_to_text(question.name));
      FUZZ_CHECK(back.ok() && *back == question.name, "a name did not survive presentation form");
    }
  }
  const std::string reply = error_reply(packet, rcode::FormErr);
  if (!reply.empty()) {
    auto parsed = parse(reply);
    FUZZ_CHECK(parsed.ok(), "error_reply() wrote what parse() rejects");
    FUZZ_CHECK(parsed->id == static_cast<std::uint16_t>(data[0] << 8 | data[1]), "error_reply() changed the id");
    FUZZ_CHECK(parsed->flags.qr && parsed->flags.rcode == rcode::FormErr, "error_reply() is not a FORMERR reply");
  }
  return 0;
}
