#include "runtime/proto_json.hpp"

#include <gtest/gtest.h>

#include <string>

#include "scheduler.pb.h"

namespace dcos::proto_json {
namespace {

using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;

// The example from Mesos' scheduler HTTP API documentation.
constexpr std::string_view kSubscribe =
    R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"foo","name":"Example HTTP Framework",)"
    R"("roles":["test"],"capabilities":[{"type":"MULTI_ROLE"}]}}})";

constexpr std::string_view kAccept = R"({
  "framework_id": {"value": "12220-3440-12532-2345"},
  "type": "ACCEPT",
  "accept": {
    "offer_ids": [{"value": "12220-3440-12532-O12"}],
    "operations": [{
      "type": "LAUNCH",
      "launch": {"task_infos": [{
        "name": "web",
        "task_id": {"value": "web-1"},
        "agent_id": {"value": "12220-3440-12532-S1233"},
        "resources": [
          {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}},
          {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}},
          {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31000}]}}
        ],
        "command": {"shell": true, "value": "python3 -m http.server $PORT0",
                    "environment": {"variables": [{"name": "MODE", "value": "prod"}]}},
        "discovery": {
          "visibility": "CLUSTER",
          "name": "web",
          "ports": {"ports": [{"number": 31000, "name": "http", "protocol": "tcp",
                               "labels": {"labels": [{"key": "VIP_0", "value": "/web:80"}]}}]}
        },
        "labels": {"labels": [{"key": "owner", "value": "team-a"}]},
        "kill_policy": {"grace_period": {"nanoseconds": 3000000000}}
      }]}
    }],
    "filters": {"refuse_seconds": 5.0}
  }
})";

constexpr std::string_view kDecline =
    R"({"framework_id":{"value":"f1"},"type":"DECLINE",)"
    R"("decline":{"offer_ids":[{"value":"o1"},{"value":"o2"}],"filters":{"refuse_seconds":120.5}}})";

std::string error_of(std::string_view json) {
  Call call;
  auto parsed = parse(json, call);
  if (parsed) return "";
  return parsed.error().message;
}

TEST(ProtoJson, ParsesTheDocumentedSubscribe) {
  auto call = parse<Call>(kSubscribe);
  ASSERT_TRUE(call) << call.error().message;
  EXPECT_EQ(call->type(), Call::SUBSCRIBE);
  const auto& info = call->subscribe().framework_info();
  EXPECT_EQ(info.user(), "foo");
  EXPECT_EQ(info.name(), "Example HTTP Framework");
  ASSERT_EQ(info.roles_size(), 1);
  EXPECT_EQ(info.roles(0), "test");
  ASSERT_EQ(info.capabilities_size(), 1);
  EXPECT_EQ(info.capabilities(0).type(), mesos::v1::FrameworkInfo::Capability::MULTI_ROLE);
  EXPECT_FALSE(info.has_failover_timeout());
}

TEST(ProtoJson, ParsesAnAcceptWithALaunch) {
  auto call = parse<Call>(kAccept);
  ASSERT_TRUE(call) << call.error().message;
  EXPECT_EQ(call->framework_id().value(), "12220-3440-12532-2345");
  ASSERT_EQ(call->accept().operations_size(), 1);
  const auto& operation = call->accept().operations(0);
  EXPECT_EQ(operation.type(), mesos::v1::Offer::Operation::LAUNCH);
  ASSERT_EQ(operation.launch().task_infos_size(), 1);
  const auto& task = operation.launch().task_infos(0);
  EXPECT_EQ(task.task_id().value(), "web-1");
  ASSERT_EQ(task.resources_size(), 3);
  EXPECT_DOUBLE_EQ(task.resources(0).scalar().value(), 0.5);
  EXPECT_EQ(task.resources(2).ranges().range(0).begin(), 31000u);
  EXPECT_EQ(task.command().value(), "python3 -m http.server $PORT0");
  EXPECT_EQ(task.command().environment().variables(0).type(), mesos::v1::Environment::Variable::VALUE);
  EXPECT_EQ(task.discovery().visibility(), mesos::v1::DiscoveryInfo::CLUSTER);
  const auto& port = task.discovery().ports().ports(0);
  EXPECT_EQ(port.number(), 31000u);
  EXPECT_EQ(port.labels().labels(0).key(), "VIP_0");
  EXPECT_EQ(port.labels().labels(0).value(), "/web:80");
  EXPECT_EQ(task.kill_policy().grace_period().nanoseconds(), 3000000000);
  EXPECT_DOUBLE_EQ(call->accept().filters().refuse_seconds(), 5.0);
}

TEST(ProtoJson, ParsesADeclineWithFilters) {
  auto call = parse<Call>(kDecline);
  ASSERT_TRUE(call) << call.error().message;
  EXPECT_EQ(call->type(), Call::DECLINE);
  ASSERT_EQ(call->decline().offer_ids_size(), 2);
  EXPECT_EQ(call->decline().offer_ids(1).value(), "o2");
  EXPECT_DOUBLE_EQ(call->decline().filters().refuse_seconds(), 120.5);
}

TEST(ProtoJson, AcceptsCamelCaseNamesAndEnumNumbers) {
  auto call = parse<Call>(R"({"frameworkId":{"value":"f"},"type":4,"decline":{"offerIds":[{"value":"o"}]}})");
  ASSERT_TRUE(call) << call.error().message;
  EXPECT_EQ(call->type(), Call::DECLINE);
  EXPECT_EQ(call->decline().offer_ids(0).value(), "o");
}

TEST(ProtoJson, RoundTripsCalls) {
  for (auto json : {kSubscribe, kAccept, kDecline}) {
    auto first = parse<Call>(json);
    ASSERT_TRUE(first) << first.error().message;
    auto printed = print(*first);
    ASSERT_TRUE(printed) << printed.error().message;
    auto second = parse<Call>(*printed);
    ASSERT_TRUE(second) << second.error().message << " in " << *printed;
    // Printing adds explicit defaults, so compare printed forms.
    auto reprinted = print(*second);
    ASSERT_TRUE(reprinted);
    EXPECT_EQ(*reprinted, *printed);
    EXPECT_EQ(second->accept().operations_size(), first->accept().operations_size());
  }
}

TEST(ProtoJson, RejectsUnknownFieldsNamingThem) {
  const std::string error =
      error_of(R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n","colour":"red"}}})");
  EXPECT_EQ(error, "invalid mesos.v1.scheduler.Call: unknown field 'colour' in 'subscribe.framework_info'");
  EXPECT_NE(error_of(R"({"typo":"SUBSCRIBE"})").find("unknown field 'typo'"), std::string::npos)
      << error_of(R"({"typo":"SUBSCRIBE"})");

  ParseOptions lenient;
  lenient.ignore_unknown_fields = true;
  Call call;
  EXPECT_TRUE(parse(R"({"type":"REVIVE","future_field":{"x":1}})", call, lenient));
  EXPECT_EQ(call.type(), Call::REVIVE);
}

TEST(ProtoJson, RejectsValuesOfTheWrongType) {
  EXPECT_NE(error_of(R"({"type":"SUBSCRIBEX"})").find("(type): invalid value \"SUBSCRIBEX\""), std::string::npos)
      << error_of(R"({"type":"SUBSCRIBEX"})");
  EXPECT_NE(error_of(R"({"type":"KILL","kill":{"task_id":{"value":5}}})").find("kill.task_id.value"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"type":"DECLINE","decline":{"filters":{"refuse_seconds":"soon"}}})").find("refuse_seconds"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"a"},"task_id":{"value":"t"},)"
                     R"("uuid":"!not base64!"}})")
                .find("acknowledge.uuid"),
            std::string::npos);
  EXPECT_NE(error_of("[1,2]").find("invalid mesos.v1.scheduler.Call"), std::string::npos);
}

TEST(ProtoJson, RejectsMissingRequiredFields) {
  const std::string error = error_of(R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"n"}}})");
  EXPECT_NE(error.find("subscribe.framework_info"), std::string::npos) << error;
  EXPECT_NE(error.find("user"), std::string::npos) << error;
  // A whole missing message counts too.
  EXPECT_NE(error_of(R"({"type":"SUBSCRIBE","subscribe":{}})").find("framework_info"), std::string::npos);
}

TEST(ProtoJson, RejectsMalformedAndOversizedBodies) {
  EXPECT_EQ(error_of(""), "empty JSON body, expected a mesos.v1.scheduler.Call");
  const std::string truncated = error_of(R"({"type":"KILL",)");
  EXPECT_NE(truncated.find("invalid mesos.v1.scheduler.Call: "), std::string::npos);
  EXPECT_EQ(truncated.find('\n'), std::string::npos) << "one line, fit for a log: " << truncated;
  EXPECT_NE(error_of(R"({"type":"SUBSCRIBE"} trailing)").find("invalid"), std::string::npos);

  ParseOptions small;
  small.max_bytes = 16;
  Call call;
  auto big = parse(kSubscribe, call, small);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("exceeds the limit of 16 bytes"), std::string::npos);

  std::string deep;
  for (int i = 0; i < 60; ++i) deep += "{\"parent\":";
  deep += "{\"value\":\"c\"}";
  for (int i = 0; i < 60; ++i) deep += "}";
  mesos::v1::ContainerID id;
  auto nested = parse(deep, id);
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message.find("nested deeper than 48"), std::string::npos);
  // Protobuf's parser also takes single-quoted strings: a '"' in one must
  // not hide the nesting after it.
  auto sneaky = parse("{'value':'\"'," + deep.substr(1), id);
  ASSERT_FALSE(sneaky);
  EXPECT_NE(sneaky.error().message.find("nested deeper than 48"), std::string::npos) << sneaky.error().message;
  // Brackets inside strings are data, not depth.
  EXPECT_TRUE(parse(R"({"value":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"{{{"})", id));
}

TEST(ProtoJson, PrintsEventsInMesosSnakeCaseShape) {
  Event event;
  event.set_type(Event::OFFERS);
  auto* offer = event.mutable_offers()->add_offers();
  offer->mutable_id()->set_value("o1");
  offer->mutable_framework_id()->set_value("f1");
  offer->mutable_agent_id()->set_value("a1");
  offer->set_hostname("node-1");
  auto* ports = offer->add_resources();
  ports->set_name("ports");
  ports->set_type(mesos::v1::Value::RANGES);
  auto* range = ports->mutable_ranges()->add_range();
  range->set_begin(31000);
  range->set_end(32000);

  auto value = to_value(event);
  ASSERT_TRUE(value) << value.error().message;
  const auto& json = *value;
  EXPECT_EQ(json["type"], "OFFERS");
  const auto& printed_offer = json["offers"]["offers"][0];
  EXPECT_EQ(printed_offer["agent_id"]["value"], "a1");
  EXPECT_EQ(printed_offer["framework_id"]["value"], "f1");
  // 64-bit integers as numbers, as Mesos prints them (proto3 JSON quotes them).
  EXPECT_EQ(printed_offer["resources"][0]["ranges"]["range"][0]["begin"], 31000);
  EXPECT_TRUE(printed_offer["resources"][0]["ranges"]["range"][0]["end"].is_number_unsigned());
  // An unset field with an explicit default is printed with it.
  EXPECT_EQ(printed_offer["resources"][0]["role"], "*");

  Event update;
  update.set_type(Event::UPDATE);
  auto* status = update.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("web-1");
  status->set_state(mesos::v1::TASK_FAILED);
  status->set_reason(mesos::v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  status->set_source(mesos::v1::TaskStatus::SOURCE_AGENT);
  status->set_uuid(std::string("\x01\x02\x03\x04", 4));
  status->set_timestamp(1700000000.5);
  auto text = print(update);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text,
            R"({"type":"UPDATE","update":{"status":{"task_id":{"value":"web-1"},"state":"TASK_FAILED",)"
            R"("source":"SOURCE_AGENT","reason":"REASON_CONTAINER_LIMITATION_MEMORY",)"
            R"("timestamp":1700000000.5,"uuid":"AQIDBA=="}}})");

  Event heartbeat;
  heartbeat.set_type(Event::HEARTBEAT);
  EXPECT_EQ(*print(heartbeat), R"({"type":"HEARTBEAT"})");
}

TEST(ProtoJson, PrintsDefaultsAndSubscribedLikeMesos) {
  Event event;
  event.set_type(Event::SUBSCRIBED);
  event.mutable_subscribed()->mutable_framework_id()->set_value("f1");
  event.mutable_subscribed()->set_heartbeat_interval_seconds(15);
  auto value = to_value(event);
  ASSERT_TRUE(value);
  EXPECT_EQ((*value)["subscribed"]["heartbeat_interval_seconds"], 15.0);
  EXPECT_EQ((*value)["subscribed"]["framework_id"]["value"], "f1");

  mesos::v1::CommandInfo command;
  command.set_value("true");
  auto printed = to_value(command);
  ASSERT_TRUE(printed);
  EXPECT_EQ((*printed)["shell"], true);
}

TEST(ProtoJson, PrintsInvalidUtf8WithReplacementCharacters) {
  // A protobuf body may carry any bytes in a string field; Protobuf's printer
  // would print "" for it.
  mesos::v1::TaskID id;
  id.set_value("ok\xff\xfe-\xe2\x82\xac");
  auto printed = print(id);
  ASSERT_TRUE(printed) << printed.error().message;
  EXPECT_EQ(*printed, "{\"value\":\"ok\xef\xbf\xbd\xef\xbf\xbd-\xe2\x82\xac\"}");
}

TEST(ProtoJson, ParsesBinaryWithTheSameErrors) {
  auto call = parse<Call>(kAccept);
  ASSERT_TRUE(call);
  Call decoded;
  ASSERT_TRUE(parse_binary(call->SerializeAsString(), decoded));
  EXPECT_EQ(decoded.SerializeAsString(), call->SerializeAsString());

  EXPECT_FALSE(parse_binary("\xff\xff\xff", decoded));
  Call partial;
  partial.set_type(Call::KILL);
  partial.mutable_kill();  // task_id missing
  auto missing = parse_binary(partial.SerializePartialAsString(), decoded);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing required field(s): kill.task_id"), std::string::npos)
      << missing.error().message;
  auto big = parse_binary(std::string(100, 'x'), decoded, 10);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("exceeds the limit of 10 bytes"), std::string::npos);
}

}  // namespace
}  // namespace dcos::proto_json
