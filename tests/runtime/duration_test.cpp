#include "runtime/duration.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace dcos {
namespace {

using namespace std::chrono_literals;

Duration parsed(std::string_view text) {
  auto result = parse_duration(text);
  EXPECT_TRUE(result) << text << ": " << result.error().message;
  return result ? *result : Duration(-1);
}

std::string parse_error(std::string_view text) {
  auto result = parse_duration(text);
  EXPECT_FALSE(result) << text << " parsed as " << result->count() << "ns";
  return result ? "" : result.error().message;
}

TEST(ParseDuration, ReadsEveryUnit) {
  EXPECT_EQ(parsed("7ns"), 7ns);
  EXPECT_EQ(parsed("42us"), 42us);
  EXPECT_EQ(parsed("100ms"), 100ms);
  EXPECT_EQ(parsed("15secs"), 15s);
  EXPECT_EQ(parsed("1mins"), 1min);
  EXPECT_EQ(parsed("2hrs"), 2h);
  EXPECT_EQ(parsed("3days"), 72h);
  EXPECT_EQ(parsed("1weeks"), 168h);
  EXPECT_EQ(parsed("0secs"), 0ns);
}

TEST(ParseDuration, ReadsFractionsExactly) {
  EXPECT_EQ(parsed("0.5secs"), 500ms);
  EXPECT_EQ(parsed("1.5mins"), 90s);
  EXPECT_EQ(parsed("0.1secs"), 100ms);
  EXPECT_EQ(parsed("0.001ms"), 1us);
  EXPECT_EQ(parsed("2.25hrs"), 135min);
  EXPECT_EQ(parsed("0.000000001secs"), 1ns);
}

TEST(ParseDuration, RoundsFractionsToTheNearestNanosecond) {
  EXPECT_EQ(parsed("0.4ns"), 0ns);
  EXPECT_EQ(parsed("0.5ns"), 1ns);
  EXPECT_EQ(parsed("1.0000000004secs"), 1s);
  EXPECT_EQ(parsed("0.33333333333333333333333333secs"), 333333333ns);
}

TEST(ParseDuration, SaysWhatIsMissing) {
  EXPECT_EQ(parse_error("15"), "'15' has no unit (e.g. 15secs)");
  EXPECT_EQ(parse_error("15s"), "'15s' has an unknown unit 's' (ns, us, ms, secs, mins, hrs, days, weeks)");
  EXPECT_EQ(parse_error(""), "'' is not a duration (e.g. 15secs)");
  EXPECT_EQ(parse_error("secs"), "'secs' is not a duration (e.g. 15secs)");
}

TEST(ParseDuration, RejectsSignsSpacesAndLooseDots) {
  for (const char* text : {"-1secs", "+1secs", " 15secs", "15secs ", "15 secs", "1.secs", ".5secs", "1..5secs",
                           "1e3secs", "15SECS", "15sec", "0x10ns", "1,5secs"}) {
    parse_error(text);
  }
}

TEST(ParseDuration, RejectsWhatDoesNotFitIn64Bits) {
  EXPECT_EQ(parsed("9223372036854775807ns"), Duration::max());
  EXPECT_EQ(parse_error("9223372036854775808ns"), "'9223372036854775808ns' is too long a duration");
  parse_error("15251weeks");
  parse_error("99999999999999999999999999999999999999999secs");
  parse_error("9223372036.9secs");
  EXPECT_EQ(parsed("9223372036.854775807secs"), Duration::max());
}

TEST(FormatDuration, UsesTheLargestExactUnit) {
  EXPECT_EQ(format_duration(15s), "15secs");
  EXPECT_EQ(format_duration(60s), "1mins");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(2h), "2hrs");
  EXPECT_EQ(format_duration(36h), "36hrs");
  EXPECT_EQ(format_duration(48h), "2days");
  EXPECT_EQ(format_duration(336h), "2weeks");
  EXPECT_EQ(format_duration(90min), "90mins");
  EXPECT_EQ(format_duration(1001us), "1001us");
  EXPECT_EQ(format_duration(1ns), "1ns");
  EXPECT_EQ(format_duration(0ns), "0ns");
  EXPECT_EQ(format_duration(Duration::max()), "9223372036854775807ns");
}

TEST(FormatDuration, KeepsTheSignOfNegativeDurations) {
  EXPECT_EQ(format_duration(-15s), "-15secs");
  EXPECT_EQ(format_duration(Duration::min()), "-9223372036854775808ns");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  std::vector<Duration> samples = {0ns,  1ns, 999ns, 1us, 1ms,  1500ms, 15s,
                                   1min, 61s, 1h,    25h, 168h, 169h,   Duration::max()};
  std::mt19937_64 random(42);
  std::uniform_int_distribution<int64_t> any(0, std::numeric_limits<int64_t>::max());
  for (int i = 0; i < 1000; ++i) samples.emplace_back(any(random));
  for (int64_t seconds = 0; seconds < 5000; seconds += 7) samples.emplace_back(std::chrono::seconds(seconds));
  for (Duration sample : samples) {
    const std::string text = format_duration(sample);
    auto back = parse_duration(text);
    ASSERT_TRUE(back) << text << ": " << back.error().message;
    EXPECT_EQ(*back, sample) << text;
  }
}

}  // namespace
}  // namespace dcos
