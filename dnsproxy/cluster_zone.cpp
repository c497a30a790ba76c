#include "dnsproxy/cluster_zone.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "dnsproxy/name.hpp"
#include "dnsproxy/names.hpp"

namespace dcos::dns {

namespace {

// A task's SRV records stop at this many host ports (a task holding a
// range of thousands is not asking for thousands of records).
constexpr std::size_t kMaxPortsPerTask = 64;

std::string task_owner(const std::string& framework_id, const std::string& task_id) {
  return "task:" + framework_id + '\n' + task_id;
}

// Five base-36 digits of FNV-1a: tells instances of a task apart in their
// canonical names, the same on every node.
std::string short_hash(std::string_view text) {
  uint32_t hash = 2166136261u;
  for (const unsigned char c : text) hash = (hash ^ c) * 16777619u;
  std::string out;
  for (int i = 0; i < 5; ++i, hash /= 36) out.push_back("0123456789abcdefghijklmnopqrstuvwxyz"[hash % 36]);
  return out;
}

// An agent id's last '-'-separated part ("S3" of "<cluster>-S3"), as Mesos-DNS shortens it.
std::string agent_tail(const std::string& agent_id) {
  const auto dash = agent_id.rfind('-');
  return label_of(dash == std::string::npos ? agent_id : agent_id.substr(dash + 1));
}

// The lookup key of a text name ("" for one that cannot be a DNS name, as
// one over 255 bytes: it gets no records).
std::string key_of(const std::string& text) {
  auto wire = name_from_text(text);
  return wire ? name_key(*wire) : "";
}

// The longest of `zones` that `wire` is in (or is), walking its labels
// from the left; null if none.
const std::string* zone_of(std::string_view wire, const std::vector<std::string>& zones) {
  for (std::size_t at = 0; at < wire.size();) {
    const std::string_view suffix = wire.substr(at);
    for (const auto& apex : zones)
      if (suffix == apex) return &apex;
    if (wire[at] == 0) break;
    at += 1 + static_cast<unsigned char>(wire[at]);
  }
  return nullptr;
}

// Counts a record at each proper ancestor of its name down to its zone's
// apex, so that empty non-terminals exist; `step` is +1 or -1.
void count_below(KeyMap<std::size_t>& below, const std::vector<std::string>& zones, const std::string& key, int step) {
  const std::string* zone = zone_of(key, zones);
  if (!zone) return;
  for (std::size_t at = 1 + static_cast<unsigned char>(key[0]); key.size() - at >= zone->size();
       at += 1 + static_cast<unsigned char>(key[at])) {
    const std::string ancestor = key.substr(at);
    if (step > 0) {
      ++below[ancestor];
    } else if (auto it = below.find(ancestor); it != below.end() && --it->second == 0) {
      below.erase(it);
    }
    if (ancestor.size() == zone->size()) break;
  }
}

}  // namespace

std::string address_bytes(std::string_view text) {
  const std::string copy(text);
  unsigned char bytes[16];
  if (::inet_pton(AF_INET, copy.c_str(), bytes) == 1) return std::string(reinterpret_cast<char*>(bytes), 4);
  if (::inet_pton(AF_INET6, copy.c_str(), bytes) == 1) return std::string(reinterpret_cast<char*>(bytes), 16);
  return "";
}

ClusterZone::ClusterZone(Options options)
    : options_(std::move(options)),
      domain_(domain_fragment(options_.domain)),
      directory_(domain_fragment(options_.directory)),
      zones_{key_of(domain_), key_of(directory_)},
      ns_name_(key_of("ns1." + domain_)) {
  fixed_records();
}

void ClusterZone::fixed_records() {
  set_owner("fixed", {{.name = "ns1." + domain_, .address = address_bytes(options_.ns_address), .service = {}}});
}

void ClusterZone::reset(const ClusterState& state) {
  auto vips = owners_["vips"];
  owners_.clear();
  names_.clear();
  below_.clear();
  fixed_records();
  set_owner("vips", std::move(vips));
  leader_records(state);
  for (const auto& [id, agent] : state.agents()) agent_records(agent);
  for (const auto& [key, task] : state.tasks()) task_records(state, task);
}

void ClusterZone::apply(const ClusterState& state, const internal::StateChange& change) {
  switch (change.change_case()) {
    case internal::StateChange::kAgent:
      agent_records(change.agent());
      tasks_of_agent(state, change.agent().id().value());
      break;
    case internal::StateChange::kAgentRemoved:
      set_owner("agent:" + change.agent_removed().value(), {});
      tasks_of_agent(state, change.agent_removed().value());
      break;
    case internal::StateChange::kFramework:
      tasks_of_framework(state, change.framework().id().value());
      break;
    case internal::StateChange::kFrameworkRemoved:
      tasks_of_framework(state, change.framework_removed().value());
      break;
    case internal::StateChange::kTask:
      task_records(state, change.task());
      break;
    case internal::StateChange::CHANGE_NOT_SET:
      break;
  }
}

void ClusterZone::set_vips(const std::vector<VipName>& vips) {
  std::vector<Contribution> records;
  for (const auto& vip : vips) {
    const std::string name = domain_fragment(vip.name), framework = domain_fragment(vip.framework);
    if (name.empty() || framework.empty() || vip.address.empty()) continue;
    records.push_back({.name = name + "." + framework + ".l4lb." + directory_, .address = vip.address, .service = {}});
  }
  set_owner("vips", std::move(records));
}

void ClusterZone::leader_records(const ClusterState& state) {
  const auto& leader = state.leader();
  const std::string address = address_bytes(leader.address().ip());
  std::vector<Contribution> records;
  if (!address.empty()) {
    const std::string& domain = domain_;
    records.push_back({.name = "leader." + domain, .address = address, .service = {}});
    records.push_back({.name = "master." + domain, .address = address, .service = {}});
    const auto port = static_cast<uint16_t>(leader.address().port());
    for (const char* protocol : {"._tcp.", "._udp."})
      records.push_back({.name = "_leader" + std::string(protocol) + domain,
                         .address = {},
                         .service = {.priority = 0, .weight = 0, .port = port, .target = key_of("leader." + domain)}});
  }
  set_owner("leader", std::move(records));
}

void ClusterZone::agent_records(const internal::StateAgent& agent) {
  const std::string address = address_bytes(agent.ip());
  std::vector<Contribution> records;
  if (!address.empty())
    for (const char* name : {"agent.", "slave."})
      records.push_back({.name = name + domain_, .address = address, .service = {}});
  set_owner("agent:" + agent.id().value(), std::move(records));
}

void ClusterZone::tasks_of_agent(const ClusterState& state, const std::string& agent_id) {
  for (const auto& [key, task] : state.tasks())
    if (task.agent_id().value() == agent_id) task_records(state, task);
}

// The framework's tasks in the state get their names again (its name may
// have changed); its tasks no longer in the state (it was removed) lose theirs.
void ClusterZone::tasks_of_framework(const ClusterState& state, const std::string& framework_id) {
  const std::string prefix = "task:" + framework_id + '\n';
  std::vector<Owner> gone;
  for (auto it = owners_.lower_bound(prefix); it != owners_.end() && it->first.starts_with(prefix); ++it)
    if (!state.tasks().count({framework_id, it->first.substr(prefix.size())})) gone.push_back(it->first);
  for (const auto& owner : gone) set_owner(owner, {});
  for (auto it = state.tasks().lower_bound({framework_id, ""}); it != state.tasks().end() && it->first.first == framework_id;
       ++it)
    task_records(state, it->second);
}

void ClusterZone::task_records(const ClusterState& state, const internal::StateTask& task) {
  const Owner owner = task_owner(task.framework_id().value(), task.id().value());
  std::vector<Contribution> records;
  const auto* agent = state.agent(task.agent_id().value());
  const auto* framework = state.framework(task.framework_id().value());
  const std::string address = agent ? address_bytes(agent->ip()) : "";
  // Mesos-DNS names a task by its DiscoveryInfo's name when it has one.
  const std::string name =
      domain_fragment(task.discovery().name().empty() ? task.name() : task.discovery().name());
  const std::string framework_name = framework ? domain_fragment(framework->name()) : "";
  if (task.state() != mesos::v1::TASK_RUNNING || address.empty() || name.empty() || framework_name.empty()) {
    set_owner(owner, {});
    return;
  }
  const std::string& domain = domain_;
  const std::string base = name + "." + framework_name;
  for (const std::string& full : {base + "." + domain, base + ".slave." + domain, base + ".agentip.dcos." + directory_})
    records.push_back({.name = full, .address = address, .service = {}});
  // The SRV records' target: a name of this instance alone.
  const std::string suffix = "-" + short_hash(task.id().value()) + "-" + agent_tail(task.agent_id().value());
  std::string head = label_of(name);
  head.resize(std::min(head.size(), kMaxLabel - std::min(kMaxLabel, suffix.size())));
  const std::string target = label_of(head + suffix) + "." + framework_name + "." + domain;
  records.push_back({.name = target, .address = address, .service = {}});
  const std::string target_key = key_of(target);

  auto service = [&](const std::string& srv_name, uint32_t port) {
    records.push_back({.name = srv_name,
                       .address = {},
                       .service = {.priority = 0, .weight = 0, .port = static_cast<uint16_t>(port), .target = target_key}});
  };
  std::size_t ports = 0;
  if (task.discovery().ports().ports_size() > 0) {
    for (const auto& port : task.discovery().ports().ports()) {
      if (port.number() == 0 || port.number() > 65535 || ++ports > kMaxPortsPerTask) continue;
      const std::string protocol = port.protocol().empty() ? "tcp" : label_of(port.protocol());
      if (protocol != "tcp" && protocol != "udp") continue;
      const std::string tail = "._" + protocol + "." + framework_name + "." + domain;
      service("_" + name + tail, port.number());
      if (const std::string port_name = label_of(port.name()); !port_name.empty())
        service("_" + port_name + "._" + name + tail, port.number());
    }
  } else {
    // No DiscoveryInfo: every host port, for both protocols, as Mesos-DNS does.
    for (const auto& resource : task.resources()) {
      if (resource.name() != "ports") continue;
      for (const auto& range : resource.ranges().range())
        for (uint64_t port = range.begin(); port <= range.end() && port <= 65535 && ports < kMaxPortsPerTask;
             ++port, ++ports)
          for (const char* protocol : {"._tcp.", "._udp."})
            service("_" + name + protocol + framework_name + "." + domain, static_cast<uint32_t>(port));
    }
  }
  set_owner(owner, std::move(records));
}

void ClusterZone::set_owner(const Owner& owner, std::vector<Contribution> records) {
  ++serial_;
  auto it = owners_.find(owner);
  if (it != owners_.end()) {
    for (const auto& record : it->second) remove(record);
    if (records.empty()) {
      owners_.erase(it);
      return;
    }
  } else if (records.empty()) {
    return;
  }
  for (const auto& record : records) add(record);
  owners_[owner] = std::move(records);
}

void ClusterZone::add(const Contribution& record) {
  const std::string key = key_of(record.name);
  if (key.empty()) return;
  auto& entry = names_[key];
  if (!record.address.empty()) {
    auto found = std::find(entry.addresses.begin(), entry.addresses.end(), record.address);
    if (found == entry.addresses.end()) {
      entry.addresses.push_back(record.address);
      entry.address_owners.push_back(1);
    } else {
      ++entry.address_owners[static_cast<std::size_t>(found - entry.addresses.begin())];
    }
  } else {
    auto found = std::find(entry.services.begin(), entry.services.end(), record.service);
    if (found == entry.services.end()) {
      entry.services.push_back(record.service);
      entry.service_owners.push_back(1);
    } else {
      ++entry.service_owners[static_cast<std::size_t>(found - entry.services.begin())];
    }
  }
  count_below(below_, zones_, key, +1);
}

void ClusterZone::remove(const Contribution& record) {
  const std::string key = key_of(record.name);
  auto it = names_.find(key);
  if (it == names_.end()) return;
  auto& entry = it->second;
  auto drop = [](auto& values, std::vector<std::size_t>& owners, const auto& value) {
    auto found = std::find(values.begin(), values.end(), value);
    if (found == values.end()) return;
    const auto index = static_cast<std::size_t>(found - values.begin());
    if (--owners[index] > 0) return;
    values.erase(found);
    owners.erase(owners.begin() + static_cast<std::ptrdiff_t>(index));
  };
  if (!record.address.empty()) {
    drop(entry.addresses, entry.address_owners, record.address);
  } else {
    drop(entry.services, entry.service_owners, record.service);
  }
  if (entry.empty()) names_.erase(it);
  count_below(below_, zones_, key, -1);
}

ClusterZone::Lookup ClusterZone::find(std::string_view key) const {
  Lookup lookup;
  lookup.zone = zone_of(key, zones_);
  if (!lookup.zone) return lookup;
  if (auto it = names_.find(key); it != names_.end()) {
    lookup.found = Found::exists;
    lookup.records = &it->second;
    return lookup;
  }
  lookup.found = (key == *lookup.zone || below_.contains(key)) ? Found::exists : Found::nxdomain;
  return lookup;
}

}  // namespace dcos::dns
