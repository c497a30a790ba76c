#include "runtime/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace dcos {
namespace {

struct Unit {
  std::string_view name;
  int64_t nanos;
};

constexpr int64_t kSecond = 1'000'000'000;

// Largest first: format_duration takes the first unit that divides exactly.
constexpr std::array<Unit, 8> kUnits{{
    {"weeks", 7 * 24 * 3600 * kSecond},
    {"days", 24 * 3600 * kSecond},
    {"hrs", 3600 * kSecond},
    {"mins", 60 * kSecond},
    {"secs", kSecond},
    {"ms", 1'000'000},
    {"us", 1'000},
    {"ns", 1},
}};

const Unit* find_unit(std::string_view name) {
  for (const Unit& unit : kUnits) {
    if (unit.name == name) return &unit;
  }
  return nullptr;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string quote(std::string_view text) { return "'" + std::string(text) + "'"; }

// The number is kept in decimal digits rather than a double so that
// "1500ms" or "0.1secs" come out exact; 128 bits hold any digit string that
// can still fit in 2^63 nanoseconds, times the largest unit.
using Wide = unsigned __int128;
constexpr Wide kMaxNanos = std::numeric_limits<int64_t>::max();

// Digits past the 18th of a fraction are below a nanosecond even in weeks
// (6e14 ns), so they can only nudge rounding; ignoring them keeps `scale`
// within 64 bits.
constexpr size_t kMaxFractionDigits = 18;

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  size_t i = 0;
  Wide whole = 0;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    whole = whole * 10 + static_cast<unsigned>(text[i] - '0');
    if (whole > kMaxNanos) return Error{quote(text) + " is too long a duration"};
  }
  if (i == 0) return Error{quote(text) + " is not a duration (e.g. 15secs)"};

  Wide fraction = 0;
  Wide scale = 1;
  if (i < text.size() && text[i] == '.') {
    const size_t first = ++i;
    for (; i < text.size() && is_digit(text[i]); ++i) {
      if (i - first >= kMaxFractionDigits) continue;
      fraction = fraction * 10 + static_cast<unsigned>(text[i] - '0');
      scale *= 10;
    }
    if (i == first) return Error{quote(text) + " is not a duration (e.g. 15secs)"};
  }

  const std::string_view unit_name = text.substr(i);
  if (unit_name.empty()) return Error{quote(text) + " has no unit (e.g. 15secs)"};
  const Unit* unit = find_unit(unit_name);
  if (unit == nullptr) {
    return Error{quote(text) + " has an unknown unit " + quote(unit_name) +
                 " (ns, us, ms, secs, mins, hrs, days, weeks)"};
  }

  const Wide nanos = static_cast<Wide>(unit->nanos);
  const Wide total = whole * nanos + (fraction * nanos + scale / 2) / scale;
  if (total > kMaxNanos) return Error{quote(text) + " is too long a duration"};
  return Duration(static_cast<int64_t>(total));
}

std::string format_duration(Duration d) {
  const int64_t count = d.count();
  // Mesos prints zero in its smallest unit; any unit would parse back.
  if (count == 0) return "0ns";
  // Unsigned magnitude, so that the most negative count has one too.
  const uint64_t magnitude = count < 0 ? uint64_t{0} - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  const std::string sign = count < 0 ? "-" : "";
  for (const Unit& unit : kUnits) {
    const auto nanos = static_cast<uint64_t>(unit.nanos);
    if (magnitude % nanos == 0) {
      return sign + std::to_string(magnitude / nanos) + std::string(unit.name);
    }
  }
  return sign + std::to_string(magnitude) + "ns";  // not reached: ns divides all
}

}  // namespace dcos
