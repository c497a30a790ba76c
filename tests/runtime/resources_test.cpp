#include "runtime/resources.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace dcos {
namespace {

using mesos::v1::Resource;
using mesos::v1::Value;

Resources parsed(std::string_view text, std::string_view default_role = "*") {
  auto result = parse_resources(text, default_role);
  EXPECT_TRUE(result) << text << ": " << result.error().message;
  return result ? *result : Resources{};
}

std::string parse_error(std::string_view text, std::string_view default_role = "*") {
  auto result = parse_resources(text, default_role);
  EXPECT_FALSE(result) << text << " parsed as " << format_resources(*result);
  return result ? "" : result.error().message;
}

Attributes parsed_attributes(std::string_view text) {
  auto result = parse_attributes(text);
  EXPECT_TRUE(result) << text << ": " << result.error().message;
  return result ? *result : Attributes{};
}

std::string attribute_error(std::string_view text) {
  auto result = parse_attributes(text);
  EXPECT_FALSE(result) << text << " parsed as " << format_attributes(*result);
  return result ? "" : result.error().message;
}

template <class Messages>
bool same(const Messages& a, const Messages& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!google::protobuf::util::MessageDifferencer::Equals(a[i], b[i])) return false;
  }
  return true;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
std::string legacy_role(const Resource& resource) { return resource.role(); }
#pragma GCC diagnostic pop

TEST(ParseResources, ReadsTheAgentDefaultNotation) {
  const Resources resources = parsed("cpus:2;mem:1024;disk:20000;ports:[31000-32000,40000-40010]");
  ASSERT_EQ(resources.size(), 4u);
  EXPECT_EQ(resources[0].name(), "cpus");
  EXPECT_EQ(resources[0].type(), Value::SCALAR);
  EXPECT_EQ(resources[0].scalar().value(), 2);
  EXPECT_EQ(resources[1].scalar().value(), 1024);
  EXPECT_EQ(resources[2].scalar().value(), 20000);
  const Resource& ports = resources[3];
  EXPECT_EQ(ports.type(), Value::RANGES);
  ASSERT_EQ(ports.ranges().range_size(), 2);
  EXPECT_EQ(ports.ranges().range(0).begin(), 31000u);
  EXPECT_EQ(ports.ranges().range(0).end(), 32000u);
  EXPECT_EQ(ports.ranges().range(1).begin(), 40000u);
  EXPECT_EQ(ports.ranges().range(1).end(), 40010u);
  for (const Resource& resource : resources) {
    EXPECT_EQ(legacy_role(resource), "*");
    EXPECT_EQ(resource.reservations_size(), 0);
  }
}

TEST(ParseResources, ReservesStaticallyForARole) {
  const Resources resources = parsed("cpus(slave_public):2;mem:512;disk(*):10", "ops/team");
  ASSERT_EQ(resources.size(), 3u);
  EXPECT_EQ(legacy_role(resources[0]), "slave_public");
  ASSERT_EQ(resources[0].reservations_size(), 1);
  EXPECT_EQ(resources[0].reservations(0).type(), Resource::ReservationInfo::STATIC);
  EXPECT_EQ(resources[0].reservations(0).role(), "slave_public");
  EXPECT_EQ(legacy_role(resources[1]), "ops/team");
  ASSERT_EQ(resources[1].reservations_size(), 1);
  EXPECT_EQ(resources[1].reservations(0).role(), "ops/team");
  EXPECT_EQ(legacy_role(resources[2]), "*");
  EXPECT_EQ(resources[2].reservations_size(), 0);
}

TEST(ParseResources, AcceptsCommasSpacesAndEmptyEntries) {
  const Resources resources = parsed(" cpus : 2 , mem:1024; ports:[ 1-2 , 5 - 6 ];;gpus:{ a , b };");
  ASSERT_EQ(resources.size(), 4u);
  EXPECT_EQ(format_resources(resources), "cpus:2;mem:1024;ports:[1-2,5-6];gpus:{a,b}");
  EXPECT_TRUE(parsed("").empty());
  EXPECT_TRUE(parsed(" ; ").empty());
}

TEST(ParseResources, RoundsScalarsToThousandths) {
  const Resources resources = parsed("cpus:0.1234;mem:0.0004;disk:2.0006");
  EXPECT_EQ(resources[0].scalar().value(), 0.123);
  EXPECT_EQ(resources[1].scalar().value(), 0);
  EXPECT_EQ(format_resources(resources), "cpus:0.123;mem:0;disk:2.001");
}

TEST(ParseResources, CoalescesRanges) {
  EXPECT_EQ(format_resources(parsed("ports:[3-4,1-2,10-12,11-20,30]")), "ports:[1-4,10-20,30-30]");
  EXPECT_EQ(format_resources(parsed("ports:[0-18446744073709551615,5-6]")), "ports:[0-18446744073709551615]");
  EXPECT_EQ(format_resources(parsed("ports:[]")), "ports:[]");
}

TEST(ParseResources, RejectsDuplicatesOfNameAndRole) {
  EXPECT_EQ(parse_error("cpus:1;cpus:2"), "resource 'cpus' is given twice");
  EXPECT_EQ(parse_error("cpus(r1):1;cpus(r1):2"), "resource 'cpus(r1)' is given twice");
  EXPECT_EQ(parse_error("cpus(r1):1;cpus:2", "r1"), "resource 'cpus(r1)' is given twice");
  EXPECT_EQ(parsed("cpus:1;cpus(r1):2").size(), 2u);
  EXPECT_EQ(parse_error("disks:{a,b,a}"), "resource 'disks': 'a' is in the set twice");
}

TEST(ParseResources, RejectsBadScalars) {
  EXPECT_EQ(parse_error("cpus:nan"), "resource 'cpus': 'nan' is not a finite number");
  EXPECT_EQ(parse_error("cpus:inf"), "resource 'cpus': 'inf' is not a finite number");
  EXPECT_EQ(parse_error("cpus:-1"), "resource 'cpus': '-1' is negative");
  EXPECT_EQ(parse_error("cpus:two"), "resource 'cpus': 'two' is not a number");
  EXPECT_EQ(parse_error("mem:1e999"), "resource 'mem': '1e999' is out of range");
  parse_error("cpus:2cores");
  parse_error("cpus:0x10");
}

TEST(ParseResources, RejectsBadRanges) {
  EXPECT_EQ(parse_error("ports:[32000-31000]"), "resource 'ports': range '32000-31000' begins past its end");
  EXPECT_EQ(parse_error("ports:[1-2"), "resource 'ports': '[1-2' has no closing ']'");
  EXPECT_EQ(parse_error("ports:[a-b]"), "resource 'ports': 'a-b' is not a range (e.g. [31000-32000])");
  parse_error("ports:[1-18446744073709551616]");
  parse_error("ports:[-5]");
  parse_error("ports:[1-2,]");
  parse_error("ports:[1-2-3]");
  parse_error("ports:{a,b");
  parse_error("ports:{a,,b}");
}

TEST(ParseResources, RejectsBadNamesAndRoles) {
  EXPECT_EQ(parse_error(":2"), "empty resource name in ':2'");
  EXPECT_EQ(parse_error("cpus"), "resource 'cpus' has no value (e.g. cpus:2)");
  EXPECT_EQ(parse_error("cpus:"), "resource 'cpus' has no value");
  EXPECT_EQ(parse_error("cp us:1"), "resource name 'cp us' may only have letters, digits, '_', '-', '.' and '/'");
  EXPECT_EQ(parse_error("cpus():1"), "bad role '' (e.g. slave_public, or * for unreserved)");
  EXPECT_EQ(parse_error("cpus(r1:1"), "resource 'cpus(r1' has no closing ')'");
  for (const char* bad :
       {"cpus(-r):1", "cpus(..):1", "cpus(a//b):1", "cpus(a/):1", "cpus(a b):1", "cpus(r)(s):1", "cp$:1"}) {
    parse_error(bad);
  }
  parse_error("cpus:1", "");
  parse_error("cpus:1", "-bad");
}

TEST(ParseResources, RejectsMixedKindsUnderOneName) {
  EXPECT_EQ(parse_error("ports:2;ports(r):[1-2]"), "resource 'ports' has values of different kinds");
}

TEST(FormatResources, IsTheInverseOfParse) {
  for (const char* text : {"cpus:2;mem:1024;disk:20000;ports:[31000-32000,40000-40010]",
                           "cpus(slave_public):0.5;cpus:1.25;gpus:{a,b,c}", "mem:0.001", ""}) {
    const Resources resources = parsed(text);
    EXPECT_EQ(format_resources(resources), text);
    EXPECT_TRUE(same(parsed(format_resources(resources)), resources)) << text;
  }
}

TEST(FormatResources, ReadsRolesFromReservationsOrTheLegacyField) {
  Resource legacy;
  legacy.set_name("cpus");
  legacy.set_type(Value::SCALAR);
  legacy.mutable_scalar()->set_value(1);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  legacy.set_role("old");
#pragma GCC diagnostic pop
  EXPECT_EQ(format_resources({legacy}), "cpus(old):1");
  legacy.add_reservations()->set_role("new");
  EXPECT_EQ(format_resources({legacy}), "cpus(new):1");
}

TEST(ScalarTotal, SumsOverRoles) {
  const Resources resources = parsed("cpus:0.1;cpus(a):0.2;cpus(b):1;mem:1024;ports:[1-2]");
  EXPECT_EQ(scalar_total(resources, "cpus"), 1.3);
  EXPECT_EQ(scalar_total(resources, "mem"), 1024);
  EXPECT_EQ(scalar_total(resources, "ports"), 0);
  EXPECT_EQ(scalar_total(resources, "gpus"), 0);
}

TEST(OverrideResources, ReplacesByNameInPlaceAndAppendsNewOnes) {
  const Resources base = parsed("cpus:4;cpus(r):1;mem:1024;ports:[31000-32000]");
  const Resources result = override_resources(base, parsed("mem:2048;gpus:1;cpus:2;cpus(s):3"));
  EXPECT_EQ(format_resources(result), "cpus:2;cpus(s):3;mem:2048;ports:[31000-32000];gpus:1");
  EXPECT_TRUE(same(override_resources(base, {}), base));
  EXPECT_EQ(format_resources(override_resources({}, parsed("mem:1"))), "mem:1");
}

TEST(ResourcesJson, SumsRolesPerNameInMesosShape) {
  const Resources resources = parsed(
      "cpus:2;cpus(r):0.5;mem:1024;ports:[31000-32000];ports(r):[32001-32005,40000-40010];"
      "gpus:{a,b};gpus(r):{b,c}");
  const nlohmann::json expected = {
      {"cpus", 2.5}, {"mem", 1024}, {"ports", "[31000-32005,40000-40010]"}, {"gpus", "{a,b,c}"}};
  EXPECT_EQ(resources_json(resources), expected);
  EXPECT_TRUE(resources_json(parsed("cpus:2"))["cpus"].is_number());
  EXPECT_EQ(resources_json({}), nlohmann::json::object());
}

TEST(ParseAttributes, ReadsTextScalarsAndRanges) {
  const Attributes attributes = parsed_attributes("rack:r1;zone:z2;level:3;slots:[1-4],url: http://a:80/x ");
  ASSERT_EQ(attributes.size(), 5u);
  EXPECT_EQ(attributes[0].type(), Value::TEXT);
  EXPECT_EQ(attributes[0].text().value(), "r1");
  EXPECT_EQ(attributes[2].type(), Value::SCALAR);
  EXPECT_EQ(attributes[2].scalar().value(), 3);
  EXPECT_EQ(attributes[3].type(), Value::RANGES);
  EXPECT_EQ(attributes[3].ranges().range(0).end(), 4u);
  EXPECT_EQ(attributes[4].text().value(), "http://a:80/x");
  EXPECT_EQ(format_attributes(attributes), "rack:r1;zone:z2;level:3;slots:[1-4];url:http://a:80/x");
}

TEST(ParseAttributes, TakesAnythingElseAsText) {
  const Attributes attributes = parsed_attributes("os:{ubuntu,debian};version:1.2.3;tier:3a");
  ASSERT_EQ(attributes.size(), 3u);
  for (const auto& attribute : attributes) EXPECT_EQ(attribute.type(), Value::TEXT) << attribute.name();
  EXPECT_EQ(attributes[0].text().value(), "{ubuntu,debian}");
}

TEST(ParseAttributes, RejectsWhatResourcesReject) {
  EXPECT_EQ(attribute_error("rack:r1;rack:r2"), "attribute 'rack' is given twice");
  EXPECT_EQ(attribute_error(":r1"), "empty attribute name in ':r1'");
  EXPECT_EQ(attribute_error("rack"), "attribute 'rack' has no value (e.g. rack:r1)");
  EXPECT_EQ(attribute_error("level:nan"), "attribute 'level': 'nan' is not a finite number");
  EXPECT_EQ(attribute_error("level:-3"), "attribute 'level': '-3' is negative");
  EXPECT_EQ(attribute_error("slots:[4-1]"), "attribute 'slots': range '4-1' begins past its end");
  attribute_error("ra(ck):r1");
}

TEST(FormatAttributes, IsTheInverseOfParse) {
  const char* text = "rack:r1;level:3.5;slots:[1-4,6-8];os:{a,b}";
  const Attributes attributes = parsed_attributes(text);
  EXPECT_EQ(format_attributes(attributes), text);
  EXPECT_TRUE(same(parsed_attributes(format_attributes(attributes)), attributes));
}

TEST(AttributesJson, UsesNumbersForScalarsAndTextOtherwise) {
  const nlohmann::json expected = {{"rack", "r1"}, {"level", 3}, {"slots", "[1-4]"}};
  EXPECT_EQ(attributes_json(parsed_attributes("rack:r1;level:3;slots:[1-4]")), expected);
}

}  // namespace
}  // namespace dcos
