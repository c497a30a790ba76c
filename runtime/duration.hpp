// Durations in Mesos' notation: a number (may have a fraction) followed by
// one of ns, us, ms, secs, mins, hrs, days, weeks: "15secs", "1mins",
// "0.5secs", "100ms". No space, no sign.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "runtime/result.hpp"

namespace dcos {

using Duration = std::chrono::nanoseconds;

Result<Duration> parse_duration(std::string_view text);

// The shortest exact form in the largest fitting unit: "15secs", "1mins",
// "1500ms", "2hrs". parse_duration(format_duration(d)) == d.
std::string format_duration(Duration d);

}  // namespace dcos
