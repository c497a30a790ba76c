#include "netlb/vip_table.hpp"

#include <algorithm>
#include <charconv>

namespace dcos::netlb {

namespace {

constexpr std::size_t kMaxLabelValue = 300;
constexpr std::size_t kMaxName = 63;  // one DNS label

Result<uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > 65535)
    return Error{"bad port '" + std::string(text) + "' (1-65535)"};
  return static_cast<uint16_t>(value);
}

Result<std::string> parse_name(std::string_view text) {
  if (text.empty()) return Error{"the name is empty"};
  if (text.size() > kMaxName)
    return Error{"the name is " + std::to_string(text.size()) + " characters long (at most " +
                 std::to_string(kMaxName) + ")"};
  std::string name;
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return Error{"the name has a character other than letters, digits and '-'"};
    name.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  if (name.front() == '-' || name.back() == '-') return Error{"the name starts or ends with '-'"};
  return name;
}

// A fixed VIP must be a unicast address a client can reach.
Result<void> check_fixed(const Address& address) {
  const auto& b = address.bytes;
  if (address.is_v4()) {
    if (b[0] == 0 || b[0] == 127 || b[0] >= 224) return Error{"the address is not a unicast address"};
    return {};
  }
  const bool unspecified_or_loopback =
      std::all_of(b.begin(), b.end() - 1, [](uint8_t x) { return x == 0; }) && b[15] <= 1;
  if (unspecified_or_loopback || b[0] == 0xff) return Error{"the address is not a unicast address"};
  return {};
}

Result<Protocol> port_protocol(const mesos::v1::Port& port) {
  if (!port.has_protocol() || port.protocol().empty()) return Protocol::tcp;
  std::string lower = port.protocol();
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return parse_protocol(lower);
}

// One backend a label asks for, before named VIPs have their addresses.
struct Entry {
  VipKey named;    // name empty: fixed
  Address address;  // fixed
  ServiceKey service;
  Destination destination;
};

class Builder {
 public:
  Builder(const ClusterState& state, const VipTableOptions& options) : state_(state), options_(options) {}

  void task(const internal::StateTask& task) {
    const auto state = task.state();
    if (state != mesos::v1::TASK_RUNNING && state != mesos::v1::TASK_KILLING) return;
    const internal::StateAgent* agent = state_.agent(task.agent_id().value());
    if (!agent) return;
    auto host = Address::parse(agent->ip());
    if (!host) return;  // no address: like DNS, no backend
    const bool draining = state == mesos::v1::TASK_KILLING || task.killing() || (task.has_healthy() && !task.healthy());
    const internal::StateFramework* framework = state_.framework(task.framework_id().value());
    for (const auto& port : task.discovery().ports().ports())
      for (const auto& label : port.labels().labels()) {
        if (!is_vip_label(label.key())) continue;
        if (auto added = entry(port, label.value(), *host, draining, framework); !added)
          problems_.push_back({task.framework_id().value(), task.id().value(),
                               label.key() + "=" + label.value().substr(0, kMaxLabelValue),
                               added.error().message});
      }
  }

  WantedVips finish() {
    std::set<VipKey> keys;
    for (const auto& e : entries_)
      if (!e.named.name.empty()) keys.insert(e.named);
    const auto addresses = allocate_named_vips(keys, options_.range);
    WantedVips out;
    for (auto& e : entries_) {
      if (!e.named.name.empty()) {
        const auto it = addresses.find(e.named);
        if (it == addresses.end()) continue;  // the range is full: reported below
        e.service.vip = it->second;
      }
      Service& service = out.table[e.service];
      service.key = e.service;
      service.scheduler = options_.scheduler;
      service.destinations.push_back(e.destination);
    }
    for (auto& [key, service] : out.table) normalize(service);
    for (const auto& [key, address] : addresses) out.named.push_back({key, address});
    for (const auto& key : keys)
      if (!addresses.contains(key))
        out.problems.push_back({"", "", "/" + key.name + " of " + key.framework,
                                "the named VIP range " + options_.range.text() + " is full"});
    out.problems.insert(out.problems.begin(), problems_.begin(), problems_.end());
    return out;
  }

 private:
  Result<void> entry(const mesos::v1::Port& port, const std::string& value, const Address& host, bool draining,
                     const internal::StateFramework* framework) {
    auto label = parse_vip_label(value);
    if (!label) return label.error();
    auto protocol = port_protocol(port);
    if (!protocol) return protocol.error();
    if (port.number() < 1 || port.number() > 65535)
      return Error{"the task's port " + std::to_string(port.number()) + " is not 1-65535"};
    Entry e;
    e.service = {*protocol, label->address, label->port};
    e.destination = {host, static_cast<uint16_t>(port.number()), draining ? 0u : 1u};
    if (!label->name.empty()) {
      if (!framework || framework->name().empty()) return Error{"the task's framework has no name yet"};
      if (!host.is_v4()) return Error{"named VIPs are IPv4 and the agent's address " + host.text() + " is not"};
      e.named = {label->name, framework->name()};
    } else {
      if (options_.range.contains(label->address))
        return Error{"the fixed VIP is inside the named VIP range " + options_.range.text()};
      if (label->address.family != host.family)
        return Error{"the fixed VIP and the agent's address " + host.text() + " are of different IP versions"};
    }
    entries_.push_back(std::move(e));
    return {};
  }

  const ClusterState& state_;
  const VipTableOptions& options_;
  std::vector<Entry> entries_;
  std::vector<LabelProblem> problems_;
};

}  // namespace

bool is_vip_label(std::string_view key) {
  if (!key.starts_with("VIP_") || key.size() == 4) return false;
  return std::all_of(key.begin() + 4, key.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<VipLabel> parse_vip_label(std::string_view value) {
  if (value.size() > kMaxLabelValue)
    return Error{"the value is longer than " + std::to_string(kMaxLabelValue) + " characters"};
  const auto colon = value.rfind(':');
  if (colon == std::string_view::npos) return Error{"not \"/name:port\" or \"ip:port\" (no port)"};
  auto port = parse_port(value.substr(colon + 1));
  if (!port) return port.error();
  VipLabel label;
  label.port = *port;
  std::string_view host = value.substr(0, colon);
  if (host.starts_with('/')) {
    auto name = parse_name(host.substr(1));
    if (!name) return name.error();
    label.name = std::move(*name);
    return label;
  }
  if (host.starts_with('[') && host.ends_with(']')) {
    host = host.substr(1, host.size() - 2);
    auto address = Address::parse(host);
    if (!address || address->is_v4()) return Error{"bad IPv6 address '" + std::string(host) + "'"};
    label.address = *address;
  } else {
    if (host.find(':') != std::string_view::npos) return Error{"an IPv6 VIP goes in brackets: \"[fd00::1]:80\""};
    auto address = Address::parse(host);
    if (!address) return Error{"bad address '" + std::string(host) + "' (a named VIP starts with '/')"};
    label.address = *address;
  }
  if (auto unicast = check_fixed(label.address); !unicast) return unicast.error();
  return label;
}

std::string LabelProblem::text() const {
  const std::string where = task_id.empty() ? "" : "task " + task_id + " of framework " + framework_id + ": ";
  return where + "label " + label + " skipped: " + reason;
}

WantedVips build_vip_table(const ClusterState& state, const VipTableOptions& options) {
  Builder builder(state, options);
  for (const auto& [key, task] : state.tasks()) builder.task(task);
  return builder.finish();
}

}  // namespace dcos::netlb
