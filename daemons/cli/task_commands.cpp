#include "daemons/cli/task_commands.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>

#include "daemons/cli/scheduler_session.hpp"
#include "daemons/cli/terminal.hpp"
#include "runtime/proto_json.hpp"
#include "runtime/task_states.hpp"

namespace dcos::cli {
namespace {

using Clock = std::chrono::steady_clock;
using mesos::v1::Offer;
using mesos::v1::TaskStatus;
using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;

// Set by SIGINT/SIGTERM: the run stops following and tears the framework
// down, which ends the task.
volatile sig_atomic_t interrupted = 0;

double scalar(const Offer& offer, const std::string& name) {
  double total = 0;
  for (const auto& resource : offer.resources())
    if (resource.name() == name && resource.has_scalar()) total += resource.scalar().value();
  return total;
}

mesos::v1::Resource scalar_resource(const std::string& name, double value) {
  mesos::v1::Resource resource;
  resource.set_name(name);
  resource.set_type(mesos::v1::Value::SCALAR);
  resource.mutable_scalar()->set_value(value);
  return resource;
}

std::string current_user() {
  if (const passwd* entry = ::getpwuid(::geteuid())) return entry->pw_name;
  return "root";
}

mesos::v1::TaskInfo task_info(const TaskRunOptions& options, const Offer& offer) {
  mesos::v1::TaskInfo task;
  std::random_device random;
  task.set_name(options.name);
  task.mutable_task_id()->set_value(options.name + "." + std::to_string(random() % 1000000));
  *task.mutable_agent_id() = offer.agent_id();
  *task.add_resources() = scalar_resource("cpus", options.cpus);
  *task.add_resources() = scalar_resource("mem", options.mem);
  auto& command = *task.mutable_command();
  if (options.command.size() == 1) {
    command.set_value(options.command[0]);  // through /bin/sh -c
  } else {
    command.set_shell(false);
    command.set_value(options.command[0]);
    for (const auto& word : options.command) command.add_arguments(word);
  }
  return task;
}

Call decline(const Offer& offer) {
  Call call;
  call.set_type(Call::DECLINE);
  *call.mutable_decline()->add_offer_ids() = offer.id();
  call.mutable_decline()->mutable_filters()->set_refuse_seconds(5);
  return call;
}

// Waits for an offer big enough, launches the task on it, declines the rest.
Result<mesos::v1::TaskInfo> launch(SchedulerSession& session, const TaskRunOptions& options) {
  const auto deadline = Clock::now() + options.offer_timeout;
  while (Clock::now() < deadline) {
    auto event = session.next(std::chrono::milliseconds(200));
    if (!event) return event.error();
    if (interrupted) return Error{"interrupted before the task was launched"};
    if (!*event || (*event)->type() != Event::OFFERS) continue;
    std::optional<mesos::v1::TaskInfo> launched;
    for (const Offer& offer : (*event)->offers().offers()) {
      if (launched || scalar(offer, "cpus") < options.cpus || scalar(offer, "mem") < options.mem) {
        if (auto declined = session.call(decline(offer)); !declined) return declined.error();
        continue;
      }
      Call accept;
      accept.set_type(Call::ACCEPT);
      *accept.mutable_accept()->add_offer_ids() = offer.id();
      auto& operation = *accept.mutable_accept()->add_operations();
      operation.set_type(Offer::Operation::LAUNCH);
      *operation.mutable_launch()->add_task_infos() = task_info(options, offer);
      if (auto accepted = session.call(accept); !accepted) return accepted.error();
      launched = operation.launch().task_infos(0);
    }
    if (launched) return *launched;
  }
  return Error{"no offer with cpus " + format_amount(options.cpus) + " and mem " + format_amount(options.mem) +
               " MiB came within " + std::to_string(options.offer_timeout.count()) + " s"};
}

// Follows the task's updates to a terminal one, acknowledging each.
Result<std::vector<TaskStatus>> follow(SchedulerSession& session, const mesos::v1::TaskInfo& task, bool json,
                                       std::ostream& out) {
  std::vector<TaskStatus> statuses;
  for (;;) {
    auto event = session.next(std::chrono::milliseconds(200));
    if (!event) return event.error();
    if (interrupted) return Error{"interrupted: tearing the framework down, which kills the task"};
    if (!*event || (*event)->type() != Event::UPDATE) continue;
    const TaskStatus& status = (*event)->update().status();
    if (status.task_id().value() != task.task_id().value()) continue;
    statuses.push_back(status);
    if (!json) {
      out << printable(mesos::v1::TaskState_Name(status.state()))
          << (status.message().empty() ? "" : "  " + printable(status.message())) << "\n";
      out.flush();
    }
    if (status.has_uuid()) {
      Call ack;
      ack.set_type(Call::ACKNOWLEDGE);
      *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
      *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
      ack.mutable_acknowledge()->set_uuid(status.uuid());
      if (auto acked = session.call(ack); !acked) return acked.error();
    }
    if (is_terminal(status.state())) return statuses;
  }
}

nlohmann::json run_report(const mesos::v1::TaskInfo& task, const std::vector<TaskStatus>& statuses) {
  nlohmann::json report = {{"task_id", task.task_id().value()},
                           {"agent_id", task.agent_id().value()},
                           {"statuses", nlohmann::json::array()}};
  for (const auto& status : statuses) {
    auto value = proto_json::to_value(status);
    report["statuses"].push_back(value ? nlohmann::json::parse(value->dump()) : nlohmann::json());
  }
  report["state"] = statuses.empty() ? "" : mesos::v1::TaskState_Name(statuses.back().state());
  return report;
}

}  // namespace

int task_run(const MasterAddress& master, const TaskRunOptions& options, bool json, std::ostream& out,
             std::ostream& err) {
  mesos::v1::FrameworkInfo framework;
  framework.set_user(current_user());
  framework.set_name("dcos task run " + options.name);
  framework.set_failover_timeout(0);
  struct sigaction on_signal {};
  on_signal.sa_handler = [](int) { interrupted = 1; };
  ::sigaction(SIGINT, &on_signal, nullptr);
  ::sigaction(SIGTERM, &on_signal, nullptr);
  auto session = SchedulerSession::subscribe(master, framework);
  if (!session) {
    err << "dcos: " << session.error().message << "\n";
    return 1;
  }
  auto task = launch(**session, options);
  std::optional<std::vector<TaskStatus>> statuses;
  if (task) {
    if (!json)
      out << "launched " << printable(task->task_id().value()) << " on agent " << printable(task->agent_id().value())
          << "\n";
    auto followed = follow(**session, *task, json, out);
    if (followed)
      statuses = std::move(*followed);
    else
      err << "dcos: " << followed.error().message << "\n";
  } else {
    err << "dcos: " << task.error().message << "\n";
  }
  Call teardown;
  teardown.set_type(Call::TEARDOWN);
  if (auto done = (*session)->call(teardown); !done) err << "dcos: teardown: " << done.error().message << "\n";
  if (!task || !statuses) return 1;
  if (json) out << run_report(*task, *statuses).dump(2) << "\n";
  return !statuses->empty() && statuses->back().state() == mesos::v1::TASK_FINISHED ? 0 : 1;
}

namespace {

// The rows of one task list (`where`: its place in the state, for errors).
Result<void> add_rows(const nlohmann::json& tasks, const std::string& where, const std::string& framework,
                      const std::map<std::string, std::string>& hostnames, std::vector<TaskRow>& rows) {
  if (!tasks.is_array()) return Error{where + " is not an array"};
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const auto& task = tasks[t];
    if (!task.is_object() || !task.value("id", nlohmann::json()).is_string())
      return Error{where + "[" + std::to_string(t) + "].id is not a string"};
    const std::string agent = task.value("slave_id", "");
    const auto host = hostnames.find(agent);
    rows.push_back({task.value("id", ""), task.value("name", ""), task.value("state", ""), framework,
                    host != hostnames.end() && !host->second.empty() ? host->second : agent, task});
  }
  return {};
}

}  // namespace

Result<std::vector<TaskRow>> tasks_from_state(const nlohmann::json& state, bool completed) {
  if (!state.is_object()) return Error{"the state is not a JSON object"};
  std::map<std::string, std::string> hostnames;
  for (const auto& agent : state.value("slaves", nlohmann::json::array()))
    if (agent.is_object()) hostnames[agent.value("id", "")] = agent.value("hostname", "");
  std::vector<std::string> groups = {"frameworks"}, lists = {"tasks"};
  if (completed) {
    groups.push_back("completed_frameworks");
    lists.push_back("completed_tasks");
  }
  std::vector<TaskRow> rows;
  for (const auto& group : groups) {
    const auto frameworks = state.value(group, nlohmann::json::array());
    if (!frameworks.is_array()) return Error{group + " is not an array"};
    for (std::size_t f = 0; f < frameworks.size(); ++f) {
      const std::string where = group + "[" + std::to_string(f) + "]";
      if (!frameworks[f].is_object()) return Error{where + " is not an object"};
      for (const auto& list : lists) {
        auto added = add_rows(frameworks[f].value(list, nlohmann::json::array()), where + "." + list,
                              frameworks[f].value("name", ""), hostnames, rows);
        if (!added) return added.error();
      }
    }
  }
  std::sort(rows.begin(), rows.end(), [](const TaskRow& a, const TaskRow& b) {
    return std::tie(a.framework, a.id) < std::tie(b.framework, b.id);
  });
  return rows;
}

std::string task_table(const std::vector<TaskRow>& tasks) {
  Table table({{"ID"}, {"NAME"}, {"STATE"}, {"FRAMEWORK"}, {"AGENT"}});
  for (const auto& task : tasks) table.add_row({task.id, task.name, task.state, task.framework, task.agent});
  return table.text() + (tasks.empty() ? "no tasks\n" : "");
}

std::string task_json(const std::vector<TaskRow>& tasks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& task : tasks) out.push_back(task.object);
  return out.dump(2) + "\n";
}

}  // namespace dcos::cli
