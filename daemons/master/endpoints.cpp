// The master's HTTP endpoints: /master/state in the shape of Mesos'
// /master/state (for the parts that exist), /health and /metrics.
#include <map>

#include <nlohmann/json.hpp>

#include "daemons/master/master.hpp"
#include "runtime/metrics.hpp"
#include "runtime/resources.hpp"
#include "runtime/service.hpp"

namespace dcos::master {

using nlohmann::json;

void Master::install_routes(http::Router& router) {
  router.get("/master/state", [this](const http::Request&) { return http::Response::json(state_json().dump()); });
  router.get("/state", [this](const http::Request&) { return http::Response::json(state_json().dump()); });
  router.get("/health", [](const http::Request&) { return http::Response::json(R"({"healthy":true})"); });
  router.get("/metrics", [this](const http::Request&) {
    auto response = http::Response::text(metrics_text());
    response.content_type = std::string(MetricsText::kContentType);
    return response;
  });
}

json Master::agent_json(const AgentRecord& agent) const {
  const Resources resources(agent.info.resources().begin(), agent.info.resources().end());
  const Attributes attributes(agent.info.attributes().begin(), agent.info.attributes().end());
  // As Mesos: reserved resources grouped by role ("slave_public" marks a
  // public agent), unreserved ones apart.
  Resources unreserved;
  std::map<std::string, Resources> reserved;
  for (const auto& resource : resources) {
    if (role_of(resource) == "*") {
      unreserved.push_back(resource);
    } else {
      reserved[role_of(resource)].push_back(resource);
    }
  }
  json reserved_json = json::object();
  for (const auto& [role, list] : reserved) reserved_json[role] = resources_json(list);
  json out = {
      {"id", agent.info.id().value()},
      {"hostname", agent.info.hostname()},
      {"port", agent.info.port()},
      {"registered_time", agent.registered_time},
      {"resources", resources_json(resources)},
      {"used_resources", resources_json({})},
      {"offered_resources", resources_json({})},
      {"reserved_resources", std::move(reserved_json)},
      {"unreserved_resources", resources_json(unreserved)},
      {"attributes", attributes_json(attributes)},
      {"active", agent.status == AgentStatus::connected},
  };
  // Agents known only from the registry have no pid yet (Mesos omits it too).
  if (!agent.pid.empty()) out["pid"] = agent.pid;
  if (agent.reregistered_time > 0) out["reregistered_time"] = agent.reregistered_time;
  if (agent.status == AgentStatus::unreachable) out["unreachable_time"] = agent.unreachable_time;
  return out;
}

json Master::state_json() const {
  json slaves = json::array();
  json recovered = json::array();
  json unreachable = json::array();
  std::size_t active = 0;
  for (const auto& [id, agent] : agents_) {
    switch (agent.status) {
      case AgentStatus::connected:
        ++active;
        [[fallthrough]];
      case AgentStatus::disconnected:
        slaves.push_back(agent_json(agent));
        break;
      case AgentStatus::recovered:
        recovered.push_back(agent_json(agent));
        break;
      case AgentStatus::unreachable:
        unreachable.push_back(agent_json(agent));
        break;
    }
  }
  json leader_info = {{"id", id_},
                      {"pid", pid()},
                      {"port", options_.port},
                      {"hostname", options_.hostname},
                      {"version", DCOS_VERSION},
                      {"address", {{"hostname", options_.hostname}, {"ip", options_.ip}, {"port", options_.port}}}};
  return {
      {"version", DCOS_VERSION},
      {"id", id_},
      {"cluster_id", registry_->cluster_id()},
      {"pid", pid()},
      {"hostname", options_.hostname},
      {"leader", pid()},
      {"leader_info", leader_info},
      {"start_time", start_time_},
      {"elected_time", start_time_},
      {"activated_slaves", active},
      {"deactivated_slaves", slaves.size() - active},
      {"unreachable_slaves", unreachable.size()},
      {"slaves", std::move(slaves)},
      {"recovered_slaves", std::move(recovered)},
      // Not in Mesos' /master/state (it lists unreachable agents nowhere):
      // ours, so operators and the CLI can see which agents were lost.
      {"unreachable_agents", std::move(unreachable)},
      {"frameworks", json::array()},
      {"completed_frameworks", json::array()},
      {"flags", options_.flags},
  };
}

std::string Master::metrics_text() const {
  MetricsText m;
  m.gauge("dcos_master_agents_registered", "Agents registered and connected.", count(AgentStatus::connected))
      .gauge("dcos_master_agents_disconnected", "Agents registered whose connection is down.",
             count(AgentStatus::disconnected))
      .gauge("dcos_master_agents_unreachable", "Agents marked unreachable.", count(AgentStatus::unreachable))
      .gauge("dcos_master_agents_recovered", "Agents in the registry not yet re-registered.",
             count(AgentStatus::recovered))
      .counter("dcos_master_frames_received_total", "Frames received from agents.", counters_.frames_in)
      .counter("dcos_master_frames_sent_total", "Frames sent to agents.", counters_.frames_out)
      .counter("dcos_master_bad_frames_total", "Frames or handshakes rejected as malformed.", counters_.bad_frames)
      .counter("dcos_master_registry_writes_total", "Registry file writes.", registry_->writes())
      .counter("dcos_master_registry_write_failures_total", "Registry file writes that failed.",
               registry_->write_failures())
      .gauge("dcos_master_uptime_seconds", "Seconds since the master started.", wall_seconds() - start_time_);
  return m.text();
}

}  // namespace dcos::master
