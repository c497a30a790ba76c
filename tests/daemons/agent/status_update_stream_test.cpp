// StatusUpdateStream: order, acknowledgements, and replay after a crash.
#include "daemons/agent/status_update_stream.hpp"

#include <fcntl.h>

#include <gtest/gtest.h>

#include "runtime/unique_fd.hpp"
#include "tests/support/cluster.hpp"

namespace dcos::agent {
namespace {

internal::StatusUpdate update(mesos::v1::TaskState state, const std::string& uuid) {
  internal::StatusUpdate out;
  out.mutable_framework_id()->set_value("fw");
  out.mutable_status()->mutable_task_id()->set_value("t");
  out.mutable_status()->set_state(state);
  out.mutable_status()->set_uuid(uuid);
  return out;
}

TEST(StatusUpdateStream, OnlyTheHeadsUuidAdvancesTheStream) {
  testing::TempDir dir;
  auto stream = StatusUpdateStream::open(dir.path() + "/updates");
  ASSERT_TRUE(stream) << stream.error().message;
  auto& s = **stream;
  ASSERT_TRUE(s.append(update(mesos::v1::TASK_STARTING, "u1")));
  ASSERT_TRUE(s.append(update(mesos::v1::TASK_RUNNING, "u2")));
  EXPECT_EQ(s.head()->status().uuid(), "u1");
  EXPECT_FALSE(*s.acknowledge("u2"));  // not the head: ignored
  EXPECT_FALSE(*s.acknowledge("nope"));
  EXPECT_TRUE(*s.acknowledge("u1"));
  EXPECT_FALSE(*s.acknowledge("u1"));  // duplicate
  EXPECT_EQ(s.head()->status().uuid(), "u2");
  EXPECT_EQ(s.latest()->state(), mesos::v1::TASK_RUNNING);
  EXPECT_FALSE(s.done());
}

TEST(StatusUpdateStream, ReplaysWhereItWasAndEndsOnce) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/updates";
  {
    auto stream = StatusUpdateStream::open(path);
    ASSERT_TRUE(stream);
    ASSERT_TRUE((*stream)->append(update(mesos::v1::TASK_STARTING, "u1")));
    ASSERT_TRUE((*stream)->append(update(mesos::v1::TASK_FINISHED, "u2")));
    ASSERT_TRUE(*(*stream)->acknowledge("u1"));
    EXPECT_FALSE((*stream)->append(update(mesos::v1::TASK_FAILED, "u3")));  // already ended
  }
  auto stream = StatusUpdateStream::open(path);
  ASSERT_TRUE(stream) << stream.error().message;
  ASSERT_NE((*stream)->head(), nullptr);
  EXPECT_EQ((*stream)->head()->status().uuid(), "u2");
  EXPECT_EQ((*stream)->pending(), 1u);
  EXPECT_TRUE((*stream)->ended());
  EXPECT_FALSE((*stream)->done());
  ASSERT_TRUE(*(*stream)->acknowledge("u2"));
  EXPECT_TRUE((*stream)->done());
  EXPECT_EQ((*stream)->head(), nullptr);

  auto again = StatusUpdateStream::open(path);
  ASSERT_TRUE(again);
  EXPECT_TRUE((*again)->done());
}

TEST(StatusUpdateStream, RefusesAnUpdateWithoutUuid) {
  testing::TempDir dir;
  auto stream = StatusUpdateStream::open(dir.path() + "/updates");
  ASSERT_TRUE(stream);
  EXPECT_FALSE((*stream)->append(update(mesos::v1::TASK_RUNNING, "")));
}

TEST(FlushLogs, FlushesAGroupTogetherALoneLogAloneAndNamesALogItCannotFlush) {
  testing::TempDir dir;
  std::vector<std::string> paths;
  for (const char* name : {"a", "b", "c"}) {
    paths.push_back(dir.path() + "/" + name);
    auto stream = StatusUpdateStream::open(paths.back());
    ASSERT_TRUE(stream) << stream.error().message;
    ASSERT_TRUE((*stream)->append(update(mesos::v1::TASK_STARTING, name), /*flush=*/false));
  }
  UniqueFd file_system(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(file_system);
  auto group = flush_logs(paths, file_system.get());  // one syncfs
  EXPECT_EQ(group.durable, std::vector<bool>(3, true));
  EXPECT_TRUE(group.errors.empty());
  auto lone = flush_logs({paths[0]}, file_system.get());  // an fdatasync
  EXPECT_EQ(lone.durable, std::vector<bool>{true});
  // Without a file system to sync, each log on its own; a missing one is named.
  auto partly = flush_logs({paths[1], dir.path() + "/missing"}, -1);
  EXPECT_EQ(partly.durable, (std::vector<bool>{true, false}));
  ASSERT_EQ(partly.errors.size(), 1u);
  EXPECT_NE(partly.errors[0].find("missing"), std::string::npos) << partly.errors[0];
}

}  // namespace
}  // namespace dcos::agent
