// The cluster zones dcos-dns answers itself, built from the master's state
// (runtime/cluster_state.hpp) as the state subscription delivers it, with
// Mesos-DNS's names (see dnsproxy/README.md for the list):
//
//   <domain> (default "mesos")         leader, master, agent/slave, ns1,
//                                      <task>.<framework>, <task>.<framework>.slave,
//                                      _<task>._tcp|_udp.<framework> (SRV), ...
//   <directory> ("thisdcos.directory") <task>.<framework>.agentip.dcos,
//                                      <vip>.<framework>.l4lb (set by the L4LB)
//
// Only running tasks on reachable agents with an address have names.
// Several instances of a task give one name several addresses.
//
// Each owner (a task, an agent, the leader, the VIP table) contributes
// records; a change replaces only the records of the owners it touches, so
// a change costs what it changes, not the size of the cluster. A name that
// has no records but has names below it exists (an empty non-terminal: a
// query for it gets NOERROR with no data, not NXDOMAIN).
//
// Plain data, no I/O; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dnsproxy/name.hpp"
#include "dnsproxy/rdata.hpp"
#include "runtime/cluster_state.hpp"

namespace dcos::dns {

// The records of one name, each once: addresses as wire bytes (4 for A,
// 16 for AAAA). `*_owners` count the owners that contribute each (several
// agents on one address give agent.mesos that address once).
struct NameRecords {
  std::vector<std::string> addresses;
  std::vector<Srv> services;
  std::vector<std::size_t> address_owners;
  std::vector<std::size_t> service_owners;
  bool empty() const { return addresses.empty() && services.empty(); }
};

// A VIP's name and address, as the L4LB assigns them.
struct VipName {
  std::string name;       // the label's "/name" without the slash
  std::string framework;  // the framework's name
  std::string address;    // wire bytes, 4 or 16
};

class ClusterZone {
 public:
  struct Options {
    std::string domain = "mesos";
    std::string directory = "thisdcos.directory";
    // Where ns1.<domain> points: this server's address (text).
    std::string ns_address = "127.0.0.1";
  };

  explicit ClusterZone(Options options);

  // After a snapshot: everything from the state.
  void reset(const ClusterState& state);
  // After a change (already applied to `state`).
  void apply(const ClusterState& state, const internal::StateChange& change);
  // The L4LB's named VIPs (replaces the previous list).
  void set_vips(const std::vector<VipName>& vips);

  enum class Found { outside, nxdomain, exists };
  struct Lookup {
    Found found = Found::outside;
    const NameRecords* records = nullptr;  // null when the name has none
    const std::string* zone = nullptr;     // the apex, for SOA and NS
  };
  // `key`: a name's lookup key, lower-cased wire form (name.hpp: name_key).
  Lookup find(std::string_view key) const;

  // The apexes and ns1.<domain>, wire form.
  const std::vector<std::string>& zones() const { return zones_; }
  const std::string& ns_name() const { return ns_name_; }
  std::size_t names() const { return names_.size(); }
  // Changes with every change to the records: the SOA serial.
  uint32_t serial() const { return serial_; }

 private:
  using Owner = std::string;
  struct Contribution {
    std::string name;     // text, as built; kept in wire form in names_
    std::string address;  // set for an address record
    Srv service;    // set (port != 0) for a service record
  };

  void set_owner(const Owner& owner, std::vector<Contribution> records);
  void add(const Contribution& record);
  void remove(const Contribution& record);
  void task_records(const ClusterState& state, const internal::StateTask& task);
  void agent_records(const internal::StateAgent& agent);
  void leader_records(const ClusterState& state);
  void tasks_of_agent(const ClusterState& state, const std::string& agent_id);
  void tasks_of_framework(const ClusterState& state, const std::string& framework_id);
  void fixed_records();

  Options options_;
  std::string domain_;     // text, as names are built
  std::string directory_;
  std::vector<std::string> zones_;  // wire keys: [0] domain, [1] directory
  std::string ns_name_;
  std::map<Owner, std::vector<Contribution>> owners_;
  KeyMap<NameRecords> names_;  // by wire key
  // For each name (wire key) that is a proper ancestor of a name with
  // records, down to its zone's apex, how many records lie below it.
  KeyMap<std::size_t> below_;
  uint32_t serial_ = 1;
};

// "10.0.0.1" or "fd00::1" as wire bytes; "" if it is neither.
std::string address_bytes(std::string_view text);

}  // namespace dcos::dns
