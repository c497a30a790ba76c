#include "daemons/cli/task_log.hpp"

#include <signal.h>

#include <thread>

#include "daemons/cli/terminal.hpp"
#include "runtime/http_client.hpp"

namespace dcos::cli {
namespace {

using nlohmann::json;

volatile sig_atomic_t stop_following = 0;

constexpr int64_t kPiece = 64 * 1024;

// `value` with everything but unreserved characters as %XX, for a query.
std::string url_encoded(const std::string& value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Calls `visit(task)` for every task of `frameworks` lists in `state`,
// running or completed, until it returns true.
template <class Visit>
bool any_task(const json& state, const std::vector<std::string>& groups, const std::vector<std::string>& lists,
              Visit visit) {
  for (const auto& group : groups) {
    for (const auto& framework : state.value(group, json::array())) {
      if (!framework.is_object()) continue;
      for (const auto& list : lists)
        for (const auto& task : framework.value(list, json::array()))
          if (task.is_object() && visit(framework, task)) return true;
    }
  }
  return false;
}

Result<json> get_json(const std::string& address, const std::string& target) {
  auto split = http::split_host_port(address, 5051);
  if (!split) return split.error();
  auto reply = http::get(split->first, split->second, target);
  if (!reply) return Error{"cannot reach " + address + ": " + reply.error().message};
  if (reply->status != 200)
    return Error{address + target.substr(0, target.find('?')) + " answered " + std::to_string(reply->status) + ": " +
                 printable(reply->body)};
  auto parsed = json::parse(reply->body, nullptr, false);
  if (parsed.is_discarded()) return Error{address + " sent a body that is not JSON"};
  return parsed;
}

}  // namespace

Result<std::string> agent_of_task(const json& state, const std::string& task_id) {
  std::string agent_id;
  any_task(state, {"frameworks", "completed_frameworks"}, {"tasks", "completed_tasks"},
           [&](const json&, const json& task) {
             if (task.value("id", "") != task_id) return false;
             agent_id = task.value("slave_id", "");
             return true;
           });
  if (agent_id.empty()) return Error{"the master knows no task '" + printable(task_id) + "'"};
  for (const auto& agent : state.value("slaves", json::array())) {
    if (!agent.is_object() || agent.value("id", "") != agent_id) continue;
    const std::string pid = agent.value("pid", "");
    const auto at = pid.rfind('@');
    if (at == std::string::npos) break;
    return pid.substr(at + 1);
  }
  return Error{"task '" + printable(task_id) + "' ran on agent " + printable(agent_id) +
               ", which the master cannot reach now"};
}

Result<std::string> sandbox_of_task(const json& state, const std::string& task_id) {
  for (const std::string group : {"frameworks", "completed_frameworks"}) {
    for (const auto& framework : state.value(group, json::array())) {
      if (!framework.is_object()) continue;
      for (const std::string list : {"executors", "completed_executors"}) {
        for (const auto& executor : framework.value(list, json::array())) {
          if (!executor.is_object()) continue;
          for (const std::string tasks : {"tasks", "completed_tasks"})
            for (const auto& task : executor.value(tasks, json::array()))
              if (task.is_object() && task.value("id", "") == task_id) return executor.value("directory", "");
        }
      }
    }
  }
  return Error{"the agent has no sandbox of task '" + printable(task_id) + "' (it may have been removed)"};
}

int task_log(const MasterAddress& master, const TaskLogOptions& options, std::ostream& out, std::ostream& err) {
  const auto fail = [&](const std::string& message) {
    err << "dcos: " << message << "\n";
    return 1;
  };
  auto state = fetch_state(master);
  if (!state) return fail(state.error().message);
  auto agent = agent_of_task(*state, options.task_id);
  if (!agent) return fail(agent.error().message);
  auto agent_state = get_json(*agent, "/state");
  if (!agent_state) return fail(agent_state.error().message);
  auto sandbox = sandbox_of_task(*agent_state, options.task_id);
  if (!sandbox) return fail(sandbox.error().message);
  const std::string path = *sandbox + (options.stderr_file ? "/stderr" : "/stdout");

  struct sigaction on_signal {};
  on_signal.sa_handler = [](int) { stop_following = 1; };
  if (options.follow) {
    ::sigaction(SIGINT, &on_signal, nullptr);
    ::sigaction(SIGTERM, &on_signal, nullptr);
  }
  int64_t offset = 0;
  while (!stop_following) {
    auto piece = get_json(*agent, "/files/read?path=" + url_encoded(path) + "&offset=" + std::to_string(offset) +
                                      "&length=" + std::to_string(kPiece));
    if (!piece) return fail(piece.error().message);
    const std::string data = piece->value("data", "");
    out << data;
    out.flush();
    offset += static_cast<int64_t>(data.size());
    if (!data.empty()) continue;
    if (!options.follow) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return 0;
}

}  // namespace dcos::cli
