// The agent's HTTP endpoints: /state (the shape of Mesos' agent /state for
// the parts that exist), /files/read, /health and /metrics.
#include <nlohmann/json.hpp>

#include "daemons/agent/agent.hpp"
#include "daemons/agent/files.hpp"
#include "runtime/metrics.hpp"
#include "runtime/resources.hpp"
#include "runtime/service.hpp"

namespace dcos::agent {

using nlohmann::json;

void Agent::install_routes(http::Router& router) {
  router.get("/state", [this](const http::Request&) { return http::Response::json(state_json().dump()); });
  router.get("/files/read", [this](const http::Request& request) {
    return read_sandbox_file(options_.work_dir + "/slaves", request);
  });
  router.get("/health", [this](const http::Request&) {
    return http::Response::json(json{{"healthy", true}, {"registered", registered_}}.dump());
  });
  router.get("/metrics", [this](const http::Request&) {
    auto response = http::Response::text(metrics_text());
    response.content_type = std::string(MetricsText::kContentType);
    return response;
  });
}

json Agent::state_json() const {
  const Resources resources(info_.resources().begin(), info_.resources().end());
  const Attributes attributes(info_.attributes().begin(), info_.attributes().end());
  json out = {
      {"version", DCOS_VERSION},
      {"hostname", info_.hostname()},
      {"port", info_.port()},
      {"start_time", start_time_},
      {"resources", resources_json(resources)},
      {"attributes", attributes_json(attributes)},
      {"registered", registered_},
      {"master_hostname", options_.master_host},
      {"master", options_.master_host + ":" + std::to_string(options_.master_port)},
      {"frameworks", json::array()},
      {"completed_frameworks", json::array()},
      {"flags", options_.flags},
  };
  if (tasks_) tasks_->add_state(out);
  if (info_.has_id()) out["id"] = info_.id().value();
  if (!master_pid_.empty() && registered_) out["master_pid"] = master_pid_;
  return out;
}

std::string Agent::metrics_text() const {
  MetricsText m;
  m.gauge("dcos_agent_registered", "1 while registered with a master.", registered_ ? 1 : 0)
      .counter("dcos_agent_registrations_total", "Successful (re-)registrations.", registrations_)
      .counter("dcos_agent_frames_received_total", "Frames received from the master.", counters_.frames_in)
      .counter("dcos_agent_frames_sent_total", "Frames sent to the master.", counters_.frames_out)
      .counter("dcos_agent_bad_frames_total", "Frames rejected as malformed.", counters_.bad_frames)
      .gauge("dcos_agent_uptime_seconds", "Seconds since the agent started.", wall_seconds() - start_time_);
  if (tasks_) tasks_->metrics(m);
  return m.text();
}

}  // namespace dcos::agent
