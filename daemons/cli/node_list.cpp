#include "daemons/cli/node_list.hpp"

#include <algorithm>
#include <tuple>

#include "daemons/cli/terminal.hpp"
#include "runtime/http_client.hpp"

namespace dcos::cli {
namespace {

using nlohmann::json;

// Public agents are those with resources reserved for the role slave_public,
// as DC/OS tells them apart.
std::string agent_type(const json& object) {
  const auto reserved = object.find("reserved_resources");
  const bool is_public = reserved != object.end() && reserved->is_object() && reserved->contains("slave_public");
  return is_public ? "agent (public)" : "agent";
}

Result<std::string> string_field(const json& object, const char* name, const std::string& where) {
  const auto field = object.find(name);
  if (field == object.end()) return Error{where + "." + name + " is missing"};
  if (!field->is_string()) return Error{where + "." + name + " is not a string"};
  return field->get<std::string>();
}

// An agent without a resource has none of it: 0.
Result<double> scalar_resource(const json& object, const char* name, const std::string& where) {
  const auto resources = object.find("resources");
  if (resources == object.end()) return 0.0;
  if (!resources->is_object()) return Error{where + ".resources is not an object"};
  const auto value = resources->find(name);
  if (value == resources->end()) return 0.0;
  if (!value->is_number()) return Error{where + ".resources." + name + " is not a number"};
  return value->get<double>();
}

// The IP of "slave(1)@IP:PORT". Agents known only from the registry have no
// pid (Mesos leaves it out of recovered_slaves; our master sends ""): "".
Result<std::string> ip_from_pid(const json& object, const std::string& where) {
  const auto field = object.find("pid");
  if (field == object.end()) return std::string();
  if (!field->is_string()) return Error{where + ".pid is not a string"};
  const std::string pid = field->get<std::string>();
  if (pid.empty()) return std::string();
  const auto at = pid.rfind('@');
  if (at == std::string::npos) return Error{where + ".pid '" + printable(pid) + "' has no '@'"};
  auto address = http::split_host_port(pid.substr(at + 1), 0);
  if (!address) return Error{where + ".pid: " + printable(address.error().message)};
  return address->first;
}

// The status of an agent found in the state's list `list`.
Result<std::string> status_in(const std::string& list, const json& object, const std::string& where) {
  if (list == "recovered_slaves") return std::string("recovered");
  if (list == "unreachable_agents") return std::string("unreachable");
  const auto active = object.find("active");
  if (active == object.end() || !active->is_boolean()) return Error{where + ".active is missing or not a boolean"};
  return std::string(active->get<bool>() ? "active" : "inactive");
}

Result<Agent> agent_from_json(const std::string& list, const json& object, const std::string& where) {
  if (!object.is_object()) return Error{where + " is not an object"};
  auto status = status_in(list, object, where);
  auto id = string_field(object, "id", where);
  auto hostname = string_field(object, "hostname", where);
  auto ip = ip_from_pid(object, where);
  for (const Result<std::string>* field : {&status, &id, &hostname, &ip}) {
    if (!*field) return field->error();
  }
  auto cpus = scalar_resource(object, "cpus", where);
  auto mem = scalar_resource(object, "mem", where);
  auto disk = scalar_resource(object, "disk", where);
  for (const Result<double>* amount : {&cpus, &mem, &disk}) {
    if (!*amount) return amount->error();
  }
  Agent agent{*hostname, *ip, *id, agent_type(object), *status, *cpus, *mem, *disk, object};
  agent.object["status"] = agent.status;
  return agent;
}

}  // namespace

Result<std::vector<Agent>> agents_from_state(const json& state) {
  if (!state.is_object()) return Error{"the state is not a JSON object"};
  if (!state.contains("slaves")) return Error{"the state has no 'slaves'"};
  std::vector<Agent> agents;
  // Masters older than unreachable_agents, or with nothing recovered, may
  // leave the other two lists out.
  for (const std::string list : {"slaves", "recovered_slaves", "unreachable_agents"}) {
    const auto entries = state.find(list);
    if (entries == state.end()) continue;
    if (!entries->is_array()) return Error{list + " is not an array"};
    for (size_t i = 0; i < entries->size(); ++i) {
      auto agent = agent_from_json(list, (*entries)[i], list + "[" + std::to_string(i) + "]");
      if (!agent) return agent.error();
      agents.push_back(std::move(*agent));
    }
  }
  std::sort(agents.begin(), agents.end(),
            [](const Agent& a, const Agent& b) { return std::tie(a.hostname, a.id) < std::tie(b.hostname, b.id); });
  return agents;
}

std::string node_table(const std::vector<Agent>& agents) {
  using Align = Table::Align;
  Table table({{"HOSTNAME"},
               {"IP"},
               {"ID"},
               {"TYPE"},
               {"STATUS"},
               {"CPUS", Align::right},
               {"MEM (MiB)", Align::right},
               {"DISK (MiB)", Align::right}});
  for (const Agent& agent : agents) {
    table.add_row({agent.hostname, agent.ip.empty() ? "-" : agent.ip, agent.id, agent.type, agent.status,
                   format_amount(agent.cpus), format_amount(agent.mem), format_amount(agent.disk)});
  }
  return table.text() + (agents.empty() ? "no agents\n" : "");
}

std::string node_json(const std::vector<Agent>& agents) {
  json array = json::array();
  for (const Agent& agent : agents) array.push_back(agent.object);
  return array.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace dcos::cli
