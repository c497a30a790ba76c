// libFuzzer target for the VIP labels dcos-l4lb and dcos-dns read from the
// master's state (netlb/vip_table.hpp): anyone who launches a task writes
// them.
//
// Input layout: lines. Line 1 is a port protocol, each further line a VIP
// label value; every line is also tried as a --vip_range. Each label goes
// on a port of its own running task, and the table is built.
//
// Checked on every input:
//   - each label either parses or is one problem naming its task;
//   - every service's destinations are sorted and unique, every named
//     VIP's address is in the range and no two named VIPs share one;
//   - labels that parse alone give a service unless their port was refused.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "netlb/vip_table.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace dcos;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line) && lines.size() < 64;) lines.push_back(line);
  if (lines.empty()) return 0;
  for (const auto& line : lines) (void)netlb::VipRange::parse(line);

  internal::StateSnapshot snapshot;
  auto* agent = snapshot.add_agents();
  agent->mutable_id()->set_value("a");
  agent->set_ip("10.0.0.1");
  auto* framework = snapshot.add_frameworks();
  framework->mutable_id()->set_value("f");
  framework->set_name("marathon");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto* task = snapshot.add_tasks();
    task->mutable_id()->set_value("t" + std::to_string(i));
    task->mutable_framework_id()->set_value("f");
    task->mutable_agent_id()->set_value("a");
    task->set_state(mesos::v1::TASK_RUNNING);
    auto* port = task->mutable_discovery()->mutable_ports()->add_ports();
    port->set_number(static_cast<uint32_t>(31000 + i));
    port->set_protocol(lines[0]);
    auto* label = port->mutable_labels()->add_labels();
    label->set_key("VIP_0");
    label->set_value(lines[i]);
  }
  snapshot.set_last(true);
  ClusterState state;
  internal::StateSubscribed subscribed;
  subscribed.set_stream_id("s");
  if (!state.subscribed(subscribed) || !state.add_snapshot(snapshot)) return 0;

  const netlb::VipRange range = *netlb::VipRange::parse("10.9.0.0/28");  // small: collisions and a full range
  const auto wanted = netlb::build_vip_table(state, {.range = range});
  std::set<netlb::Address> named;
  for (const auto& vip : wanted.named) {
    FUZZ_CHECK(range.contains(vip.address), "a named VIP outside the range");
    FUZZ_CHECK(named.insert(vip.address).second, "two named VIPs share an address");
  }
  for (const auto& [key, service] : wanted.table) {
    FUZZ_CHECK(key == service.key, "a service under another key");
    for (std::size_t i = 1; i < service.destinations.size(); ++i)
      FUZZ_CHECK(std::tie(service.destinations[i - 1].address, service.destinations[i - 1].port) <
                     std::tie(service.destinations[i].address, service.destinations[i].port),
                 "destinations not sorted and unique");
  }
  std::size_t parsed = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) parsed += netlb::parse_vip_label(lines[i]).ok() ? 1 : 0;
  FUZZ_CHECK(wanted.problems.size() >= lines.size() - 1 - parsed, "a bad label without a problem");
  return 0;
}
