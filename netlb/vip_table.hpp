// The VIP table the cluster's state asks for: what dcos-l4lb programs and
// what dcos-dns names, computed by both from the master's pushed state
// (runtime/cluster_state.hpp) with this one function.
//
// Every task that is TASK_RUNNING (or TASK_KILLING) on an agent with an
// address gives, for each port of its DiscoveryInfo with a label
// `VIP_<n>`, one backend (the agent's address, the port's number) of the
// service (the port's protocol, tcp when unset; the VIP; the label's port):
//   "/name:port"          a named VIP: its address comes from the range
//                         (vip_range.hpp), one per (name, framework name);
//   "ip:port", "[ip6]:port"  a fixed VIP, outside the named range.
// Weight 1 for a healthy task (health unknown counts as healthy), 0 for an
// unhealthy one or one being killed: it keeps its connections and gets no
// new ones.
//
// A bad label (bad port, bad address, unknown protocol, a name with other
// characters than letters, digits and '-', longer than 63, a fixed VIP
// inside the named range or not unicast) adds one Problem naming the task
// and the label, and only that label is skipped. Pure; thread-safe as far
// as its values are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "netlb/vip.hpp"
#include "netlb/vip_range.hpp"
#include "runtime/cluster_state.hpp"

namespace dcos::netlb {

// A VIP label's value, parsed (the protocol comes from the port).
struct VipLabel {
  std::string name;  // a named VIP's name, lower case, without '/'; empty for a fixed VIP
  Address address;   // a fixed VIP's address
  uint16_t port = 0;
};

// "VIP_0", "VIP_12": a label the L4LB reads.
bool is_vip_label(std::string_view key);
Result<VipLabel> parse_vip_label(std::string_view value);

struct NamedVip {
  VipKey key;  // name, framework name
  Address address;
  auto operator<=>(const NamedVip&) const = default;
};

struct LabelProblem {
  std::string framework_id;
  std::string task_id;
  std::string label;  // "VIP_0=/web:99999"
  std::string reason;

  // "task web.1 of framework F-1: label VIP_0=/web:99999 skipped: ..."
  std::string text() const;
  auto operator<=>(const LabelProblem&) const = default;
};

struct WantedVips {
  VipTable table;
  std::vector<NamedVip> named;  // in key order, each once
  std::vector<LabelProblem> problems;  // in task order
};

struct VipTableOptions {
  VipRange range;
  std::string scheduler = "wlc";
};

WantedVips build_vip_table(const ClusterState& state, const VipTableOptions& options);

}  // namespace dcos::netlb
