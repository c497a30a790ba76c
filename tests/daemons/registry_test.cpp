// What a restarted master recovers from the registry's files after clean
// shutdowns, snapshots, torn appends, crashes between snapshot and unlink,
// corruption and failing writes (after LevelDB's recovery_test).
#include "runtime/asio.hpp"  // first: see the header

#include "daemons/master/registry.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include <google/protobuf/util/message_differencer.h>
#include <boost/asio/executor_work_guard.hpp>

#include "tests/support/cluster.hpp"

namespace dcos::master {
namespace {

namespace fs = std::filesystem;
using dcos::testing::TempDir;

internal::Registry sorted(internal::Registry state) {
  std::sort(state.mutable_agents()->begin(), state.mutable_agents()->end(),
            [](const auto& a, const auto& b) { return a.info().id().value() < b.info().id().value(); });
  return state;
}

::testing::AssertionResult same_state(const internal::Registry& expected, const internal::Registry& actual) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  if (differencer.Compare(sorted(expected), sorted(actual))) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << differences;
}

std::string encoded_operation(const std::string& agent_id) {
  internal::RegistryOperation operation;
  operation.mutable_admit()->mutable_info()->set_hostname("ghost");
  operation.mutable_admit()->mutable_info()->mutable_id()->set_value(agent_id);
  operation.mutable_admit()->set_registered_time(1);
  operation.set_next_agent_number(1000000);
  return RecordLog::encode(operation.SerializeAsString());
}

void append_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  EXPECT_TRUE(out.good()) << path;
}

class RegistryTest : public ::testing::Test {
 protected:
  std::string work() const { return dir_.path() + "/master"; }
  std::string file(const std::string& name) const { return work() + "/" + name; }

  // Recovers into registry_, as a restarted master would (the old one goes
  // first: one writer per directory).
  void restart() {
    registry_.reset();
    auto recovered = Registry::recover(io_.get_executor(), work());
    ASSERT_TRUE(recovered.ok()) << recovered.error().message;
    registry_ = std::move(*recovered);
  }

  // restart(), expecting exactly `before` (a copy: it may be our own state).
  void restart_expecting(internal::Registry before) {
    ASSERT_NO_FATAL_FAILURE(restart());
    EXPECT_TRUE(same_state(before, registry_->state()));
  }

  std::string recover_error() {  // of a recovery expected to fail
    registry_.reset();
    auto recovered = Registry::recover(io_.get_executor(), work());
    return recovered.ok() ? "recovered" : recovered.error().message;
  }

  // Callbacks count here; wait() runs the io_context until all have fired.
  Registry::Done done() {
    ++issued_;
    return [this](const Result<void>& written) {
      ++fired_;
      if (!written) errors_.push_back(written.error().message);
    };
  }

  // Bounded: a registry that never calls back fails the test, not hangs it.
  ::testing::AssertionResult wait() {
    auto guard = boost::asio::make_work_guard(io_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (fired_ < issued_ && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    if (fired_ == issued_) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << fired_ << " of " << issued_ << " callbacks fired";
  }

  // wait(), and every write succeeded.
  void settle() {
    ASSERT_TRUE(wait());
    ASSERT_TRUE(errors_.empty()) << errors_.front();
  }

  std::string admit(const std::string& hostname, double time) {
    mesos::v1::AgentInfo info;
    info.set_hostname(hostname);
    info.mutable_id()->set_value(registry_->next_agent_id());
    registry_->admit(info, time, done());
    return info.id().value();
  }

  // Issued without waiting, so they batch: the batch past the threshold of
  // a thousand records becomes a snapshot.
  void many_operations(const std::string& id) {
    for (int i = 0; i < 1100; ++i) registry_->mark_unreachable(id, 10 + i, done());
  }

  const internal::Registry::Agent& agent(const std::string& id) const {
    static const internal::Registry::Agent missing;
    for (const auto& agent : registry_->state().agents())
      if (agent.info().id().value() == id) return agent;
    ADD_FAILURE() << "no agent " << id;
    return missing;
  }

  // A read-only directory does not stop root; RLIMIT_FSIZE does: a write
  // past the limit fails with EFBIG (SIGXFSZ is ignored meanwhile).
  void limit_file_size(rlim_t bytes) {
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved_limit_), 0);
    saved_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    limited_ = true;
    const rlimit limited{bytes, saved_limit_.rlim_max};
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  }
  void lift_limit() {
    if (!limited_) return;
    ::setrlimit(RLIMIT_FSIZE, &saved_limit_);
    std::signal(SIGXFSZ, saved_handler_);
    limited_ = false;
  }
  void TearDown() override { lift_limit(); }

  TempDir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<Registry> registry_;  // declared after io_: destroyed first
  int issued_ = 0;
  int fired_ = 0;
  std::vector<std::string> errors_;
  bool limited_ = false;
  rlimit saved_limit_{};
  void (*saved_handler_)(int) = SIG_DFL;
};

TEST_F(RegistryTest, EmptyRecoverCreatesAClusterIdAndTheFiles) {
  ASSERT_NO_FATAL_FAILURE(restart());
  const std::string cluster_id = registry_->cluster_id();
  EXPECT_FALSE(cluster_id.empty());
  EXPECT_EQ(registry_->state().agents_size(), 0);
  EXPECT_EQ(registry_->state().log_sequence(), 0u);
  ASSERT_TRUE(fs::exists(file("registry")));
  ASSERT_TRUE(fs::exists(file("registry.log.0")));
  EXPECT_EQ(fs::file_size(file("registry.log.0")), 0u);
  EXPECT_EQ(fs::status(file("registry")).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  ASSERT_NO_FATAL_FAILURE(restart());
  EXPECT_EQ(registry_->cluster_id(), cluster_id);
  EXPECT_EQ(registry_->next_agent_id(), cluster_id + "-S0");
}

TEST_F(RegistryTest, AdmittedAgentsSurviveRecoveryAndIdsAreNeverReused) {
  ASSERT_NO_FATAL_FAILURE(restart());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(admit("host" + std::to_string(i), 100.0 + i));
  ASSERT_NO_FATAL_FAILURE(settle());
  const internal::Registry before = registry_->state();
  ASSERT_NO_FATAL_FAILURE(restart_expecting(before));
  ASSERT_EQ(registry_->state().agents_size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ids[i], before.cluster_id() + "-S" + std::to_string(i));
    EXPECT_EQ(agent(ids[i]).registered_time(), 100.0 + i);
    EXPECT_EQ(agent(ids[i]).info().hostname(), "host" + std::to_string(i));
    EXPECT_FALSE(agent(ids[i]).has_unreachable_time());
  }
  EXPECT_EQ(registry_->next_agent_id(), before.cluster_id() + "-S5");
}

TEST_F(RegistryTest, MarkUnreachableSurvivesRecovery) {
  ASSERT_NO_FATAL_FAILURE(restart());
  const std::string lost = admit("lost", 10), kept = admit("kept", 11);
  registry_->mark_unreachable(lost, 20, done());
  registry_->mark_unreachable("no-such-agent", 21, done());  // ignored, not an error
  ASSERT_NO_FATAL_FAILURE(settle());
  ASSERT_NO_FATAL_FAILURE(restart_expecting(registry_->state()));
  EXPECT_EQ(agent(lost).unreachable_time(), 20);
  EXPECT_FALSE(agent(kept).has_unreachable_time());
}

TEST_F(RegistryTest, AdmitOfAKnownIdClearsUnreachableAndKeepsRegisteredTime) {
  ASSERT_NO_FATAL_FAILURE(restart());
  const std::string id = admit("old-name", 100);
  registry_->mark_unreachable(id, 200, done());
  ASSERT_NO_FATAL_FAILURE(settle());
  mesos::v1::AgentInfo info;
  info.set_hostname("new-name");
  info.mutable_id()->set_value(id);
  registry_->admit(info, 300, done());
  // In memory at once, before the write.
  EXPECT_EQ(agent(id).registered_time(), 100);
  EXPECT_FALSE(agent(id).has_unreachable_time());
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_EQ(registry_->state().next_agent_number(), 1u);

  ASSERT_NO_FATAL_FAILURE(restart_expecting(registry_->state()));
  ASSERT_EQ(registry_->state().agents_size(), 1);
  EXPECT_EQ(agent(id).registered_time(), 100);
  EXPECT_EQ(agent(id).info().hostname(), "new-name");
  EXPECT_FALSE(agent(id).has_unreachable_time());
}

TEST_F(RegistryTest, ManyOperationsTakeASnapshotThatRecoveryReads) {
  ASSERT_NO_FATAL_FAILURE(restart());
  const std::string id = admit("h0", 0);
  admit("h1", 1);
  ASSERT_NO_FATAL_FAILURE(settle());
  many_operations(id);
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_GT(registry_->snapshots(), 0u);
  EXPECT_EQ(registry_->write_failures(), 0u);
  EXPECT_LT(registry_->writes(), 1100u);
  EXPECT_EQ(registry_->state().log_sequence(), 1u);
  EXPECT_TRUE(fs::exists(file("registry.log.1")));
  EXPECT_FALSE(fs::exists(file("registry.log.0")));
  admit("late", 5000);  // goes to the new log
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_GT(fs::file_size(file("registry.log.1")), 0u);

  const internal::Registry before = registry_->state();
  ASSERT_NO_FATAL_FAILURE(restart_expecting(before));
  EXPECT_EQ(registry_->state().agents_size(), 3);
  EXPECT_EQ(registry_->next_agent_id(), before.cluster_id() + "-S3");
}

TEST_F(RegistryTest, TornTailOfTheLogIsIgnoredAndEarlierRecordsKept) {
  ASSERT_NO_FATAL_FAILURE(restart());
  for (int i = 0; i < 3; ++i) admit("h" + std::to_string(i), i);
  ASSERT_NO_FATAL_FAILURE(settle());
  const internal::Registry before = registry_->state();
  registry_.reset();
  const std::string log = file("registry.log.0");
  const auto good_size = fs::file_size(log);
  const std::string record = encoded_operation("torn");
  append_bytes(log, record.substr(0, record.size() / 2));  // a crash mid-append

  ASSERT_NO_FATAL_FAILURE(restart_expecting(before));
  EXPECT_EQ(fs::file_size(log), good_size);
  admit("after", 9);  // appended after the last whole record
  ASSERT_NO_FATAL_FAILURE(settle());
  ASSERT_NO_FATAL_FAILURE(restart_expecting(registry_->state()));
  EXPECT_EQ(registry_->state().agents_size(), 4);
}

// A crash after the snapshot was renamed into place but before the old log
// was unlinked leaves the old log behind; its records are in the snapshot.
TEST_F(RegistryTest, LeftoverLogOfAnOlderSequenceIsIgnored) {
  ASSERT_NO_FATAL_FAILURE(restart());
  const std::string id = admit("h", 1);
  ASSERT_NO_FATAL_FAILURE(settle());
  const std::string saved = dir_.path() + "/saved.log.0";
  fs::copy_file(file("registry.log.0"), saved);
  many_operations(id);
  ASSERT_NO_FATAL_FAILURE(settle());
  ASSERT_EQ(registry_->state().log_sequence(), 1u);
  const internal::Registry before = registry_->state();
  registry_.reset();

  fs::copy_file(saved, file("registry.log.0"));
  // Were it replayed, these would clear the unreachable mark and add an agent.
  append_bytes(file("registry.log.0"), encoded_operation(id) + encoded_operation("ghost"));
  ASSERT_NO_FATAL_FAILURE(restart_expecting(before));
  EXPECT_TRUE(agent(id).has_unreachable_time());
}

// A crash after the next log was created but before the snapshot naming it
// was renamed into place leaves a log of a newer sequence: recovery ignores
// it and the next snapshot starts that log afresh.
TEST_F(RegistryTest, LeftoverLogOfANewerSequenceNeverComesBack) {
  ASSERT_NO_FATAL_FAILURE(restart());
  const std::string id = admit("h", 1);
  ASSERT_NO_FATAL_FAILURE(settle());
  registry_.reset();
  append_bytes(file("registry.log.1"), encoded_operation("ghost"));
  ASSERT_NO_FATAL_FAILURE(restart());
  EXPECT_EQ(registry_->state().agents_size(), 1);
  many_operations(id);
  ASSERT_NO_FATAL_FAILURE(settle());
  ASSERT_EQ(registry_->state().log_sequence(), 1u);
  ASSERT_NO_FATAL_FAILURE(restart_expecting(registry_->state()));
  EXPECT_EQ(registry_->state().agents_size(), 1);
}

TEST_F(RegistryTest, CorruptFilesFailRecoveryNamingTheFile) {
  ASSERT_NO_FATAL_FAILURE(restart());
  // A record with a good CRC that is not an operation: damage, not a crash.
  append_bytes(file("registry.log.0"), RecordLog::encode(std::string(11, '\xff')));
  std::string error = recover_error();
  EXPECT_NE(error.find("'" + file("registry.log.0") + "'"), std::string::npos) << error;
  for (const std::string& bytes : {std::string(11, '\xff'), std::string()}) {
    SCOPED_TRACE("snapshot of " + std::to_string(bytes.size()) + " bytes");
    { std::ofstream(file("registry"), std::ios::binary | std::ios::trunc) << bytes; }
    error = recover_error();
    EXPECT_NE(error.find("'" + file("registry") + "'"), std::string::npos) << error;
  }
}

TEST_F(RegistryTest, FailedAppendIsReportedAndLeavesNoTornRecord) {
  ASSERT_NO_FATAL_FAILURE(restart());
  const std::string first = admit("first", 1);
  ASSERT_NO_FATAL_FAILURE(settle());
  const std::string log = file("registry.log.0");
  const auto size = fs::file_size(log);
  ASSERT_NO_FATAL_FAILURE(limit_file_size(size));
  admit("refused", 2);
  ASSERT_TRUE(wait());
  lift_limit();
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_NE(errors_[0].find("write '" + log + "'"), std::string::npos) << errors_[0];
  EXPECT_EQ(registry_->write_failures(), 1u);
  EXPECT_EQ(fs::file_size(log), size);
  errors_.clear();

  const std::string later = admit("later", 3);
  ASSERT_NO_FATAL_FAILURE(settle());
  ASSERT_NO_FATAL_FAILURE(restart());
  EXPECT_EQ(agent(first).registered_time(), 1);
  EXPECT_EQ(agent(later).registered_time(), 3);
  // The refused admission stays in the old registry's memory but not on
  // disk (reported as a bug): nothing is asserted about it here.
  EXPECT_EQ(registry_->next_agent_id(), registry_->cluster_id() + "-S3");
}

TEST_F(RegistryTest, FailedSnapshotIsRetriedByTheNextWrite) {
  ASSERT_NO_FATAL_FAILURE(restart());
  const std::string id = admit("h", 1);
  ASSERT_NO_FATAL_FAILURE(settle());
  ASSERT_NO_FATAL_FAILURE(limit_file_size(1));  // below the log's size and any snapshot's
  many_operations(id);
  ASSERT_TRUE(wait());
  lift_limit();
  EXPECT_EQ(errors_.size(), 1100u);
  EXPECT_GE(registry_->write_failures(), 2u);  // the append, then the snapshot
  EXPECT_EQ(registry_->state().log_sequence(), 0u);
  errors_.clear();

  admit("after", 2);
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_EQ(registry_->state().log_sequence(), 1u);
  EXPECT_FALSE(fs::exists(file("registry.log.0")));
  ASSERT_NO_FATAL_FAILURE(restart_expecting(registry_->state()));
}

}  // namespace
}  // namespace dcos::master
