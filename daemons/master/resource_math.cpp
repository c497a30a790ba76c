#include "daemons/master/resource_math.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

namespace dcos::master {
namespace {

using mesos::v1::Resource;
using mesos::v1::Value;

constexpr const char* kScalarNames[kScalarKinds] = {"cpus", "mem", "disk", "gpus"};

// Past this a scalar would overflow the thousandths (9.2e18 / 1000): far
// beyond any machine's memory in megabytes.
constexpr double kMaxScalar = 1e15;

int scalar_kind(const std::string& name) {
  for (std::size_t kind = 0; kind < kScalarKinds; ++kind) {
    if (name == kScalarNames[kind]) return static_cast<int>(kind);
  }
  return -1;
}

template <class T>
auto find_named(std::vector<std::pair<std::string, T>>& list, const std::string& name) {
  return std::lower_bound(list.begin(), list.end(), name,
                          [](const auto& entry, const std::string& key) { return entry.first < key; });
}

template <class T>
auto find_named(const std::vector<std::pair<std::string, T>>& list, const std::string& name) {
  return std::lower_bound(list.begin(), list.end(), name,
                          [](const auto& entry, const std::string& key) { return entry.first < key; });
}

template <class T>
T& entry_for(std::vector<std::pair<std::string, T>>& list, const std::string& name) {
  auto it = find_named(list, name);
  if (it == list.end() || it->first != name) it = list.emplace(it, name, T{});
  return it->second;
}

// Every named entry of `part` is within the same-named entry of `whole`
// (a missing name counts as empty).
template <class T, class Contains, class IsEmpty>
bool named_contains(const std::vector<std::pair<std::string, T>>& whole,
                    const std::vector<std::pair<std::string, T>>& part, Contains contains, IsEmpty is_empty) {
  for (const auto& [name, value] : part) {
    auto it = find_named(whole, name);
    if (it == whole.end() || it->first != name) {
      if (!is_empty(value)) return false;
    } else if (!contains(it->second, value)) {
      return false;
    }
  }
  return true;
}

using Items = std::vector<std::string>;

void add_items_to(Items& into, const Items& items) {
  Items merged;
  merged.reserve(into.size() + items.size());
  std::set_union(into.begin(), into.end(), items.begin(), items.end(), std::back_inserter(merged));
  into = std::move(merged);
}

void remove_items_from(Items& from, const Items& items) {
  Items rest;
  std::set_difference(from.begin(), from.end(), items.begin(), items.end(), std::back_inserter(rest));
  from = std::move(rest);
}

void set_reservation(Resource& resource, const std::string& role) {
  // "*" is the field's default: setting it would cost a string per resource
  // per offer. Reserved ones get parse_resources' shape: the deprecated
  // `role` for old readers and the reservation stack newer Mesos trusts.
  if (role == "*") return;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  resource.set_role(role);
#pragma GCC diagnostic pop
  Resource::ReservationInfo* reservation = resource.add_reservations();
  reservation->set_type(Resource::ReservationInfo::STATIC);
  reservation->set_role(role);
}

Resource& add_resource(Resources& out, const std::string& name, Value::Type type, const std::string& role) {
  Resource& resource = out.emplace_back();
  resource.set_name(name);
  resource.set_type(type);
  set_reservation(resource, role);
  return resource;
}

void append_scalar(Resources& out, const std::string& name, Millis amount, const std::string& role) {
  if (amount <= 0) return;
  add_resource(out, name, Value::SCALAR, role).mutable_scalar()->set_value(from_millis(amount));
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

Result<void> add_resource_to(CompactResources& into, const Resource& resource) {
  const std::string& name = resource.name();
  switch (resource.type()) {
    case Value::SCALAR: {
      const double value = resource.scalar().value();
      if (!std::isfinite(value) || value < 0 || value > kMaxScalar) {
        return Error{"resource " + quoted(name) + " has a bad scalar value " + std::to_string(value)};
      }
      into.add_scalar(name, to_millis(value));
      return {};
    }
    case Value::RANGES: {
      RangeSet ranges;
      for (const Value::Range& range : resource.ranges().range()) {
        if (range.begin() > range.end()) {
          return Error{"resource " + quoted(name) + " has a range whose begin " + std::to_string(range.begin()) +
                       " is past its end " + std::to_string(range.end())};
        }
        ranges.add({range.begin(), range.end()});
      }
      into.add_ranges(name, ranges);
      return {};
    }
    case Value::SET:
      into.add_items(name, {resource.set().item().begin(), resource.set().item().end()});
      return {};
    default:
      return Error{"resource " + quoted(name) + " is neither a scalar, ranges nor a set"};
  }
}

}  // namespace

Millis to_millis(double value) { return std::llround(value * 1000.0); }
double from_millis(Millis value) { return static_cast<double>(value) / 1000.0; }

ScalarQuantities& ScalarQuantities::operator+=(const ScalarQuantities& other) {
  for (std::size_t kind = 0; kind < kScalarKinds; ++kind) value[kind] += other.value[kind];
  return *this;
}

ScalarQuantities& ScalarQuantities::operator-=(const ScalarQuantities& other) {
  for (std::size_t kind = 0; kind < kScalarKinds; ++kind) value[kind] -= other.value[kind];
  return *this;
}

bool ScalarQuantities::contains(const ScalarQuantities& other) const {
  for (std::size_t kind = 0; kind < kScalarKinds; ++kind) {
    if (other.value[kind] > value[kind]) return false;
  }
  return true;
}

bool ScalarQuantities::empty() const {
  return std::all_of(value.begin(), value.end(), [](Millis amount) { return amount == 0; });
}

// ---- RangeSet ----

RangeSet::RangeSet(std::initializer_list<Interval> intervals) {
  for (const Interval& interval : intervals) add(interval);
}

void RangeSet::add(Interval interval) {
  // The first interval that could touch it: one whose end reaches begin - 1.
  auto first = std::lower_bound(
      intervals_.begin(), intervals_.end(), interval.begin,
      [](const Interval& existing, std::uint64_t begin) { return existing.end < begin && existing.end + 1 < begin; });
  auto last = first;
  while (last != intervals_.end() && (interval.end == UINT64_MAX || last->begin <= interval.end + 1)) {
    interval.begin = std::min(interval.begin, last->begin);
    interval.end = std::max(interval.end, last->end);
    ++last;
  }
  if (first == last) {
    intervals_.insert(first, interval);
  } else {
    *first = interval;
    intervals_.erase(first + 1, last);
  }
}

void RangeSet::add(const RangeSet& other) {
  if (intervals_.empty()) {
    intervals_ = other.intervals_;
    return;
  }
  for (const Interval& interval : other.intervals_) add(interval);
}

bool RangeSet::contains(const RangeSet& other) const {
  // Both sorted and coalesced: each interval of `other` must sit inside one of ours.
  auto mine = intervals_.begin();
  for (const Interval& interval : other.intervals_) {
    while (mine != intervals_.end() && mine->end < interval.begin) ++mine;
    if (mine == intervals_.end() || mine->begin > interval.begin || mine->end < interval.end) return false;
  }
  return true;
}

bool RangeSet::subtract(const RangeSet& other) {
  if (!contains(other)) return false;
  std::vector<Interval> rest;
  rest.reserve(intervals_.size() + other.intervals_.size());
  auto cut = other.intervals_.begin();
  for (Interval interval : intervals_) {
    // Cuts are inside our intervals (contains() said so), in order.
    while (cut != other.intervals_.end() && cut->end <= interval.end && cut->begin >= interval.begin) {
      if (cut->begin > interval.begin) rest.push_back({interval.begin, cut->begin - 1});
      if (cut->end == interval.end) {
        interval.begin = 1;  // marks the interval used up
        interval.end = 0;
        ++cut;
        break;
      }
      interval.begin = cut->end + 1;
      ++cut;
    }
    if (interval.begin <= interval.end) rest.push_back(interval);
  }
  intervals_ = std::move(rest);
  return true;
}

std::uint64_t RangeSet::count() const {
  std::uint64_t total = 0;
  for (const Interval& interval : intervals_) {
    const std::uint64_t size = interval.end - interval.begin;
    if (size == UINT64_MAX || total > UINT64_MAX - size - 1) return UINT64_MAX;
    total += size + 1;
  }
  return total;
}

// ---- CompactResources ----

bool CompactResources::empty() const {
  return scalars.empty() && other_scalars_.empty() && ranges_.empty() && sets_.empty();
}

void CompactResources::clear() {
  scalars = {};
  other_scalars_.clear();
  ranges_.clear();
  sets_.clear();
}

void CompactResources::add(const CompactResources& other) {
  scalars += other.scalars;
  for (const auto& [name, amount] : other.other_scalars_) add_scalar(name, amount);
  for (const auto& [name, ranges] : other.ranges_) add_ranges(name, ranges);
  for (const auto& [name, items] : other.sets_) add_items(name, items);
}

void CompactResources::absorb(CompactResources& other) {
  if (empty()) {
    *this = std::move(other);
  } else {
    add(other);
  }
  other.clear();
}

bool CompactResources::contains(const CompactResources& other) const {
  return scalars.contains(other.scalars) &&
         named_contains(
             other_scalars_, other.other_scalars_, [](Millis whole, Millis part) { return whole >= part; },
             [](Millis amount) { return amount == 0; }) &&
         named_contains(
             ranges_, other.ranges_, [](const RangeSet& whole, const RangeSet& part) { return whole.contains(part); },
             [](const RangeSet& ranges) { return ranges.empty(); }) &&
         named_contains(
             sets_, other.sets_,
             [](const Items& whole, const Items& part) {
               return std::includes(whole.begin(), whole.end(), part.begin(), part.end());
             },
             [](const Items& items) { return items.empty(); });
}

bool CompactResources::subtract(const CompactResources& other) {
  if (!contains(other)) return false;
  scalars -= other.scalars;
  for (const auto& [name, amount] : other.other_scalars_) {
    if (amount == 0) continue;
    auto it = find_named(other_scalars_, name);
    it->second -= amount;
    if (it->second == 0) other_scalars_.erase(it);
  }
  for (const auto& [name, ranges] : other.ranges_) {
    if (ranges.empty()) continue;
    auto it = find_named(ranges_, name);
    const bool inside = it->second.subtract(ranges);
    (void)inside;  // contains() above checked it
    if (it->second.empty()) ranges_.erase(it);
  }
  for (const auto& [name, items] : other.sets_) {
    if (items.empty()) continue;
    auto it = find_named(sets_, name);
    remove_items_from(it->second, items);
    if (it->second.empty()) sets_.erase(it);
  }
  return true;
}

void CompactResources::add_scalar(const std::string& name, Millis amount) {
  if (const int kind = scalar_kind(name); kind >= 0) {
    scalars.value[static_cast<std::size_t>(kind)] += amount;
  } else if (amount != 0) {
    entry_for(other_scalars_, name) += amount;
  }
}

void CompactResources::add_ranges(const std::string& name, const RangeSet& ranges) {
  if (!ranges.empty()) entry_for(ranges_, name).add(ranges);
}

void CompactResources::add_items(const std::string& name, const std::vector<std::string>& items) {
  if (items.empty()) return;
  Items sorted = items;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  add_items_to(entry_for(sets_, name), sorted);
}

const RangeSet* CompactResources::ranges(const std::string& name) const {
  auto it = find_named(ranges_, name);
  return it == ranges_.end() || it->first != name ? nullptr : &it->second;
}

void CompactResources::append_to(Resources& out, const std::string& role) const {
  for (std::size_t kind = 0; kind < kScalarKinds; ++kind) {
    append_scalar(out, kScalarNames[kind], scalars.value[kind], role);
  }
  for (const auto& [name, amount] : other_scalars_) append_scalar(out, name, amount, role);
  for (const auto& [name, ranges] : ranges_) {
    Value::Ranges* values = add_resource(out, name, Value::RANGES, role).mutable_ranges();
    for (const RangeSet::Interval& interval : ranges.intervals()) {
      Value::Range* range = values->add_range();
      range->set_begin(interval.begin);
      range->set_end(interval.end);
    }
  }
  for (const auto& [name, items] : sets_) {
    Value::Set* values = add_resource(out, name, Value::SET, role).mutable_set();
    for (const std::string& item : items) values->add_item(item);
  }
}

Result<std::vector<ReservedPart>> compact_by_role(const Resources& resources) {
  std::vector<ReservedPart> parts;
  for (const Resource& resource : resources) {
    const std::string role = role_of(resource);
    auto part = std::find_if(parts.begin(), parts.end(), [&](const ReservedPart& p) { return p.role == role; });
    if (part == parts.end()) part = parts.insert(parts.end(), ReservedPart{role, {}});
    if (auto added = add_resource_to(part->resources, resource); !added) return added.error();
  }
  return parts;
}

Resources to_resources(const std::vector<ReservedPart>& parts) {
  Resources out;
  for (const ReservedPart& part : parts) {
    if (part.role == "*") part.resources.append_to(out, part.role);
  }
  for (const ReservedPart& part : parts) {
    if (part.role != "*") part.resources.append_to(out, part.role);
  }
  return out;
}

}  // namespace dcos::master
