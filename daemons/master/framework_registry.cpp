#include "daemons/master/framework_registry.hpp"

#include "runtime/task_states.hpp"

namespace dcos::master {

bool is_terminal(mesos::v1::TaskState state) {
  return leaves_cluster_state(state);
}

// `role` is deprecated in the .proto (so its accessors warn); it is still
// what pre-MULTI_ROLE frameworks send, so it is read through reflection.
static const google::protobuf::FieldDescriptor* legacy_role_field() {
  return mesos::v1::FrameworkInfo::descriptor()->FindFieldByName("role");
}

bool has_legacy_role(const mesos::v1::FrameworkInfo& info) {
  return info.GetReflection()->HasField(info, legacy_role_field());
}

std::vector<std::string> roles_of(const mesos::v1::FrameworkInfo& info) {
  if (info.roles_size() > 0) return {info.roles().begin(), info.roles().end()};
  return {info.GetReflection()->GetString(info, legacy_role_field())};
}

std::string FrameworkRecord::task_role(const mesos::v1::Task& task) const {
  for (const auto& resource : task.resources())
    if (resource.has_allocation_info() && resource.allocation_info().has_role())
      return resource.allocation_info().role();
  return roles.empty() ? "*" : roles.front();
}

FrameworkRecord* FrameworkRegistry::find(const std::string& framework_id) {
  auto it = frameworks_.find(framework_id);
  return it == frameworks_.end() ? nullptr : &it->second;
}

const FrameworkRecord* FrameworkRegistry::find(const std::string& framework_id) const {
  auto it = frameworks_.find(framework_id);
  return it == frameworks_.end() ? nullptr : &it->second;
}

FrameworkRecord& FrameworkRegistry::add(const mesos::v1::FrameworkInfo& info) {
  auto& record = frameworks_[info.id().value()];
  record.info = info;
  record.roles = roles_of(info);
  record.partition_aware = false;
  for (const auto& capability : info.capabilities())
    if (capability.type() == mesos::v1::FrameworkInfo::Capability::PARTITION_AWARE) record.partition_aware = true;
  if (observer_.framework_changed) observer_.framework_changed(info.id().value());
  return record;
}

void FrameworkRegistry::remove(const std::string& framework_id) {
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end()) return;
  std::vector<std::string> live;
  for (const auto& [task_id, task] : it->second.tasks) live.push_back(task_id);
  for (const auto& task_id : live) complete_task(it->second, task_id);
  it->second.stream.reset();
  completed_frameworks_.push_back(std::move(it->second));
  frameworks_.erase(it);
  if (observer_.framework_changed) observer_.framework_changed(framework_id);
  while (completed_frameworks_.size() > max_completed_frameworks_) completed_frameworks_.pop_front();
}

mesos::v1::Task* FrameworkRegistry::find_task(const std::string& framework_id, const std::string& task_id) {
  auto* framework = find(framework_id);
  if (!framework) return nullptr;
  auto it = framework->tasks.find(task_id);
  return it == framework->tasks.end() ? nullptr : &it->second;
}

mesos::v1::Task& FrameworkRegistry::add_task(FrameworkRecord& framework, mesos::v1::Task task) {
  const std::string task_id = task.task_id().value();
  auto [it, inserted] = framework.tasks.try_emplace(task_id);
  if (!inserted) by_agent_[it->second.agent_id().value()].erase({framework.id(), task_id});
  it->second = std::move(task);
  by_agent_[it->second.agent_id().value()].emplace(framework.id(), task_id);
  if (observer_.task_added) observer_.task_added(framework, task_id);
  return it->second;
}

std::vector<std::pair<std::string, std::string>> FrameworkRegistry::tasks_on(const std::string& agent_id) const {
  auto it = by_agent_.find(agent_id);
  if (it == by_agent_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

const mesos::v1::Task* FrameworkRegistry::find_task(const std::string& framework_id, const std::string& task_id) const {
  const auto* framework = find(framework_id);
  if (!framework) return nullptr;
  auto it = framework->tasks.find(task_id);
  return it == framework->tasks.end() ? nullptr : &it->second;
}

void FrameworkRegistry::complete_task(FrameworkRecord& framework, const std::string& task_id) {
  auto it = framework.tasks.find(task_id);
  if (it == framework.tasks.end()) return;
  if (auto agent = by_agent_.find(it->second.agent_id().value()); agent != by_agent_.end()) {
    agent->second.erase({framework.id(), task_id});
    if (agent->second.empty()) by_agent_.erase(agent);
  }
  if (observer_.task_left) observer_.task_left(framework, it->second);
  framework.killing.erase(task_id);
  framework.completed.push_back(std::move(it->second));
  framework.tasks.erase(it);
  while (framework.completed.size() > max_completed_) framework.completed.pop_front();
}

std::size_t FrameworkRegistry::live_tasks() const {
  std::size_t n = 0;
  for (const auto& [id, framework] : frameworks_) n += framework.tasks.size();
  return n;
}

std::size_t FrameworkRegistry::completed_tasks() const {
  std::size_t n = 0;
  for (const auto& [id, framework] : frameworks_) n += framework.completed.size();
  return n;
}

}  // namespace dcos::master
