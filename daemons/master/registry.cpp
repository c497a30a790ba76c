#include "daemons/master/registry.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>

#include "runtime/atomic_file.hpp"
#include "runtime/ids.hpp"

namespace dcos::master {

namespace asio = boost::asio;

Result<std::unique_ptr<Registry>> Registry::recover(asio::any_io_executor io, const std::string& work_dir) {
  if (auto made = make_directories(work_dir, 0755); !made) return made.error();
  const std::string path = work_dir + "/registry";
  internal::Registry state;
  if (::access(path.c_str(), F_OK) == 0) {
    auto bytes = read_file(path);
    if (!bytes) return bytes.error();
    if (!state.ParseFromString(*bytes) || !state.has_cluster_id())
      return Error{"registry '" + path + "' is corrupt (not a registry protobuf); move it away to start afresh"};
  } else {
    state.set_cluster_id(random_uuid());
    state.set_next_agent_number(0);
    if (auto written = write_file_atomically(path, state.SerializeAsString()); !written) return written.error();
  }
  return std::make_unique<Registry>(io, path, std::move(state));
}

Registry::Registry(asio::any_io_executor io, std::string path, internal::Registry state)
    : io_(std::move(io)), path_(std::move(path)), state_(std::move(state)) {
  for (int i = 0; i < state_.agents_size(); ++i) index_[state_.agents(i).info().id().value()] = i;
}

Registry::~Registry() { writer_.join(); }

std::string Registry::next_agent_id() {
  const uint64_t number = state_.next_agent_number();
  state_.set_next_agent_number(number + 1);
  return state_.cluster_id() + "-S" + std::to_string(number);
}

internal::Registry::Agent* Registry::find(const std::string& agent_id) {
  auto it = index_.find(agent_id);
  return it == index_.end() ? nullptr : state_.mutable_agents(it->second);
}

void Registry::admit(const mesos::v1::AgentInfo& info, double time, Done done) {
  auto* agent = find(info.id().value());
  if (agent == nullptr) {
    index_[info.id().value()] = state_.agents_size();
    agent = state_.add_agents();
    agent->set_registered_time(time);
  }
  *agent->mutable_info() = info;
  agent->clear_unreachable_time();
  changed(std::move(done));
}

void Registry::mark_unreachable(const std::string& agent_id, double time, Done done) {
  if (auto* agent = find(agent_id)) agent->set_unreachable_time(time);
  changed(std::move(done));
}

void Registry::changed(Done done) {
  waiting_.push_back(std::move(done));
  if (!writing_) flush();
}

void Registry::flush() {
  writing_ = true;
  auto callbacks = std::make_shared<std::vector<Done>>(std::move(waiting_));
  waiting_.clear();
  asio::post(writer_, [this, callbacks, bytes = state_.SerializeAsString()] {
    auto result = write_file_atomically(path_, bytes, 0600);
    asio::post(io_, [this, callbacks, result] {
      ++writes_;
      if (!result) ++write_failures_;
      for (auto& done : *callbacks)
        if (done) done(result);
      writing_ = false;
      if (!waiting_.empty()) flush();
    });
  });
}

}  // namespace dcos::master
