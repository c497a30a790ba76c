// A task for the dcos-l4lb tests: holds host port `port` and is
// discoverable on it with `labels` (VIP_<n> labels), running `command`.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing {

using Labels = std::vector<std::pair<std::string, std::string>>;

inline nlohmann::json vip_task(const std::string& id, const nlohmann::json& offer, uint64_t port, const Labels& labels,
                               const std::string& protocol = "tcp", const std::string& command = "sleep 1000") {
  using nlohmann::json;
  json task = command_task(id, offer, command);
  task["resources"].push_back(
      {{"name", "ports"}, {"type", "RANGES"}, {"ranges", {{"range", {{{"begin", port}, {"end", port}}}}}}});
  json list = json::array();
  for (const auto& [key, value] : labels) list.push_back({{"key", key}, {"value", value}});
  task["discovery"] = {
      {"visibility", "CLUSTER"},
      {"ports", {{"ports", {{{"number", port}, {"protocol", protocol}, {"labels", {{"labels", list}}}}}}}}};
  return task;
}

}  // namespace dcos::testing
