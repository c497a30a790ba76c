// The master's HTTP endpoints: /master/state and /master/frameworks in the
// shape of Mesos' (for the parts that exist), /health, /metrics, and the
// routes of the scheduler API (scheduler_api.cpp) and the operator API
// (operator_api.cpp).
#include <map>

#include <nlohmann/json.hpp>

#include "daemons/master/master.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/proto_json.hpp"
#include "runtime/resources.hpp"
#include "runtime/service.hpp"

namespace dcos::master {

using nlohmann::json;

void Master::install_routes(http::Router& router) {
  router.get("/master/state", [this](const http::Request&) { return http::Response::json(state_json().dump()); });
  router.get("/state", [this](const http::Request&) { return http::Response::json(state_json().dump()); });
  router.post("/api/v1/scheduler", [this](const http::Request& request) { return scheduler_call(request); });
  router.post("/api/v1", [this](const http::Request& request) { return operator_call(request); });
  router.get("/master/frameworks", [this](const http::Request&) {
    return http::Response::json(
        json{{"frameworks", frameworks_json()}, {"completed_frameworks", completed_frameworks_json()}}.dump());
  });
  // Mesos' GET /weights (also /master/weights): the roles with a weight.
  for (const char* path : {"/weights", "/master/weights"})
    router.get(path, [this](const http::Request&) { return http::Response::json(weights_json().dump()); });
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
  // resources_json sums by name, so the lists can simply be appended.
  const std::string& agent_id = agent.info.id().value();
  Resources used, offered;
  for (const auto& [framework_id, task_id] : frameworks_.tasks_on(agent_id)) {
    if (const auto* task = frameworks_.find_task(framework_id, task_id))
      used.insert(used.end(), task->resources().begin(), task->resources().end());
  }
  for (const auto& offer_id : offers_.of_agent(agent_id)) {
    if (const auto* entry = offers_.find(offer_id))
      offered.insert(offered.end(), entry->offer.resources().begin(), entry->offer.resources().end());
  }
  json out = {
      {"id", agent.info.id().value()},
      {"hostname", agent.info.hostname()},
      {"port", agent.info.port()},
      {"registered_time", agent.registered_time},
      {"resources", resources_json(resources)},
      {"used_resources", resources_json(used)},
      {"offered_resources", resources_json(offered)},
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

namespace {

// A message in Protobuf's JSON mapping (Mesos shows these as they are).
json as_json(const google::protobuf::Message& message) {
  auto value = proto_json::to_value(message);
  return value ? json(*value) : json::object();
}

// Mesos' task model (src/common/http.cpp): flat ids, resources summed,
// labels as a list of {key, value}, discovery and statuses as protobuf JSON.
json task_json(const mesos::v1::Task& task, const std::string& role) {
  const Resources resources(task.resources().begin(), task.resources().end());
  json statuses = json::array();
  for (const auto& status : task.statuses()) {
    json entry = {{"state", mesos::v1::TaskState_Name(status.state())}, {"timestamp", status.timestamp()}};
    if (status.has_healthy()) entry["healthy"] = status.healthy();
    if (status.has_container_status()) entry["container_status"] = as_json(status.container_status());
    statuses.push_back(std::move(entry));
  }
  json out = {{"id", task.task_id().value()},
              {"name", task.name()},
              {"framework_id", task.framework_id().value()},
              {"executor_id", task.executor_id().value()},
              {"slave_id", task.agent_id().value()},
              {"state", mesos::v1::TaskState_Name(task.state())},
              {"resources", resources_json(resources)},
              {"role", role},
              {"statuses", std::move(statuses)}};
  if (task.has_user()) out["user"] = task.user();
  if (task.has_labels()) out["labels"] = as_json(task.labels()).value("labels", json::array());
  if (task.has_discovery()) out["discovery"] = as_json(task.discovery());
  if (task.has_container()) out["container"] = as_json(task.container());
  return out;
}

}  // namespace

json Master::framework_json(const FrameworkRecord& framework) const {
  json tasks = json::array();
  json completed = json::array();
  for (const auto& [id, task] : framework.tasks) tasks.push_back(task_json(task, framework.task_role(task)));
  for (const auto& task : framework.completed) completed.push_back(task_json(task, framework.task_role(task)));
  json offers = json::array();
  for (const auto& offer_id : offers_.of_framework(framework.id())) {
    const auto* entry = offers_.find(offer_id);
    const Resources resources(entry->offer.resources().begin(), entry->offer.resources().end());
    offers.push_back({{"id", offer_id},
                      {"framework_id", framework.id()},
                      {"slave_id", entry->allocation.agent_id},
                      {"resources", resources_json(resources)}});
  }
  json capabilities = json::array();
  for (const auto& capability : framework.info.capabilities())
    capabilities.push_back(mesos::v1::FrameworkInfo::Capability::Type_Name(capability.type()));
  Allocator::Holdings holdings;
  if (auto held = allocator_.holdings_of(framework.id())) holdings = *held;
  Resources used = holdings.used;
  json out = {{"id", framework.id()},
              {"name", framework.info.name()},
              {"user", framework.info.user()},
              {"hostname", framework.info.hostname()},
              {"principal", framework.info.principal()},
              {"webui_url", framework.info.webui_url()},
              {"role", framework.roles.empty() ? "*" : framework.roles.front()},
              {"roles", framework.roles},
              {"capabilities", std::move(capabilities)},
              {"failover_timeout", framework.info.failover_timeout()},
              {"checkpoint", framework.info.checkpoint()},
              {"active", framework.connected()},
              {"connected", framework.connected()},
              {"registered_time", framework.registered_time},
              {"reregistered_time", framework.reregistered_time},
              {"unregistered_time", framework.unregistered_time},
              {"resources", resources_json(used)},
              {"used_resources", resources_json(used)},
              {"offered_resources", resources_json(holdings.offered)},
              {"offers", std::move(offers)},
              {"tasks", std::move(tasks)},
              {"completed_tasks", std::move(completed)},
              {"unreachable_tasks", json::array()}};
  return out;
}

json Master::weights_json() const {
  json out = json::array();
  for (const auto& [role, weight] : options_.weights) out.push_back({{"role", role}, {"weight", weight}});
  return out;
}

json Master::frameworks_json() const {
  json out = json::array();
  for (const auto& [id, framework] : frameworks_.all()) out.push_back(framework_json(framework));
  return out;
}

json Master::completed_frameworks_json() const {
  json out = json::array();
  for (const auto& framework : frameworks_.completed_frameworks()) out.push_back(framework_json(framework));
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
      {"frameworks", frameworks_json()},
      {"completed_frameworks", completed_frameworks_json()},
      {"flags", options_.flags},
      // Not in Mesos' /master/state (its /weights has them): here too, so
      // that one GET shows who should get what share.
      {"weights", weights_json()},
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
      .gauge("dcos_master_frameworks", "Frameworks known (connected or within their failover timeout).",
             frameworks_.all().size())
      .gauge("dcos_master_frameworks_connected", "Frameworks with an open event stream.", connected_frameworks())
      .gauge("dcos_master_tasks_live", "Tasks not yet ended.", frameworks_.live_tasks())
      .gauge("dcos_master_tasks_completed", "Ended tasks kept for /master/state.", frameworks_.completed_tasks())
      .gauge("dcos_master_offers_outstanding", "Offers neither accepted, declined nor rescinded.", offers_.size())
      .counter("dcos_master_offers_total", "Offers made.", offers_.made())
      .counter("dcos_master_offers_declined_total", "Offers declined.", scheduler_counters_.offers_declined)
      .counter("dcos_master_offers_rescinded_total", "Offers rescinded.", scheduler_counters_.offers_rescinded)
      .counter("dcos_master_scheduler_calls_total", "Scheduler API calls.", scheduler_counters_.calls)
      .counter("dcos_master_scheduler_bad_calls_total", "Scheduler API calls refused with a 4xx/5xx.",
               scheduler_counters_.bad_calls)
      .counter("dcos_master_operator_calls_total", "Operator API calls (POST /api/v1).", operator_counters_.calls)
      .counter("dcos_master_operator_bad_calls_total", "Operator API calls refused with a 4xx/5xx.",
               operator_counters_.bad_calls)
      .counter("dcos_master_operator_task_kills_total", "Tasks killed through the operator API.",
               operator_counters_.task_kills)
      .counter("dcos_master_operator_teardowns_total", "Frameworks torn down through the operator API.",
               operator_counters_.teardowns)
      .counter("dcos_master_tasks_launched_total", "Tasks sent to agents.", scheduler_counters_.tasks_launched)
      .counter("dcos_master_tasks_invalid_total", "Tasks refused with TASK_ERROR.", scheduler_counters_.tasks_invalid)
      .counter("dcos_master_status_updates_total", "Status updates received from agents.",
               scheduler_counters_.status_updates)
      .gauge("dcos_master_state_subscribers", "Node services following the state subscription.",
             state_stream_.subscribers())
      .counter("dcos_master_state_changes_total", "State changes published to subscribers.", state_stream_.sequence())
      .counter("dcos_master_state_snapshots_total", "Snapshots sent to state subscribers.",
               state_stream_.snapshots_sent())
      .counter("dcos_master_state_resumes_total", "State subscriptions resumed without a snapshot.",
               state_stream_.resumes())
      .gauge("dcos_master_uptime_seconds", "Seconds since the master started.", wall_seconds() - start_time_);
  return m.text();
}

}  // namespace dcos::master
