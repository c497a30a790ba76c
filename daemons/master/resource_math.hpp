// Resource arithmetic for the allocator, on a compact form of
// mesos::v1::Resource lists: add, subtract, contains, for scalars, ranges
// (ports) and sets.
//
// Scalars are fixed point in thousandths (Mesos rounds to 3 decimals too), so
// that offering and recovering 0.1 cpus a million times never drifts and
// "contains" is exact. cpus, mem, disk and gpus live in a fixed array (they
// are what dominant shares are computed over); other scalar names, ranges and
// sets in short sorted lists. A CompactResources holds resources of ONE
// reservation role; the role is the caller's business (see compact_by_role).
// Not thread-safe; values are plain data.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "runtime/resources.hpp"
#include "runtime/result.hpp"

namespace dcos::master {

// The scalar kinds dominant shares are computed over.
enum ScalarKind : std::size_t { kCpus, kMem, kDisk, kGpus, kScalarKinds };

// Thousandths of a unit: 0.5 cpus is 500.
using Millis = std::int64_t;

Millis to_millis(double value);
double from_millis(Millis value);

struct ScalarQuantities {
  std::array<Millis, kScalarKinds> value{};

  ScalarQuantities& operator+=(const ScalarQuantities& other);
  ScalarQuantities& operator-=(const ScalarQuantities& other);
  bool contains(const ScalarQuantities& other) const;
  bool empty() const;
  bool operator==(const ScalarQuantities&) const = default;
};

// A set of unsigned integers as sorted, disjoint, non-adjacent closed
// intervals: adding [1-3] to [4-6] gives [1-6].
class RangeSet {
 public:
  struct Interval {
    std::uint64_t begin;
    std::uint64_t end;  // inclusive, as in Mesos' "[31000-32000]"
    bool operator==(const Interval&) const = default;
  };

  RangeSet() = default;
  RangeSet(std::initializer_list<Interval> intervals);

  void add(Interval interval);
  void add(const RangeSet& other);
  bool contains(const RangeSet& other) const;
  // Refused (false, nothing changed) unless every value of `other` is here.
  [[nodiscard]] bool subtract(const RangeSet& other);

  bool empty() const { return intervals_.empty(); }
  std::uint64_t count() const;  // how many values; saturates at UINT64_MAX
  const std::vector<Interval>& intervals() const { return intervals_; }
  bool operator==(const RangeSet&) const = default;

 private:
  std::vector<Interval> intervals_;
};

class CompactResources {
 public:
  ScalarQuantities scalars;

  bool empty() const;
  void clear();
  // `this += other`, leaving other untouched; cheap when this is empty.
  void add(const CompactResources& other);
  // Moves `other` in (other becomes empty); no allocation when this is empty.
  void absorb(CompactResources& other);
  bool contains(const CompactResources& other) const;
  // Refused (false, nothing changed) unless `other` is contained.
  [[nodiscard]] bool subtract(const CompactResources& other);

  // For building values and for tests.
  void add_scalar(const std::string& name, Millis amount);
  void add_ranges(const std::string& name, const RangeSet& ranges);
  void add_items(const std::string& name, const std::vector<std::string>& items);
  const RangeSet* ranges(const std::string& name) const;

  // Appends one Resource per name, reserved for `role` ("*": unreserved) the
  // way parse_resources writes reservations.
  void append_to(Resources& out, const std::string& role) const;

  bool operator==(const CompactResources&) const = default;

 private:
  using Items = std::vector<std::string>;                      // sorted, unique
  std::vector<std::pair<std::string, Millis>> other_scalars_;  // sorted by name
  std::vector<std::pair<std::string, RangeSet>> ranges_;
  std::vector<std::pair<std::string, Items>> sets_;
};

// Resources split by the role they are reserved for ("*": unreserved).
struct ReservedPart {
  std::string role;
  CompactResources resources;
};

// Errors name the resource: TEXT values, negative, non-finite or huge
// scalars, ranges whose begin is past their end.
Result<std::vector<ReservedPart>> compact_by_role(const Resources& resources);

// The inverse: unreserved first, then each reserved part.
Resources to_resources(const std::vector<ReservedPart>& parts);

}  // namespace dcos::master
