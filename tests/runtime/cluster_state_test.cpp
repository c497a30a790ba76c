#include "runtime/cluster_state.hpp"

#include <gtest/gtest.h>

namespace dcos {
namespace {

internal::StateSubscribed fresh(const std::string& stream, uint64_t sequence) {
  internal::StateSubscribed answer;
  answer.set_stream_id(stream);
  answer.set_sequence(sequence);
  answer.mutable_leader()->set_id("master-1");
  return answer;
}

internal::StateTask task(const std::string& framework, const std::string& id, mesos::v1::TaskState state) {
  internal::StateTask out;
  out.mutable_framework_id()->set_value(framework);
  out.mutable_id()->set_value(id);
  out.set_state(state);
  return out;
}

internal::StateChange change_of(uint64_t sequence, const internal::StateTask& changed) {
  internal::StateChange change;
  change.set_sequence(sequence);
  *change.mutable_task() = changed;
  return change;
}

// A state holding one agent, framework "f" and its running task "t", at change 7 of stream "s".
ClusterState ready_state() {
  ClusterState state;
  EXPECT_TRUE(state.subscribed(fresh("s", 7)));
  internal::StateSnapshot part;
  part.add_agents()->mutable_id()->set_value("a");
  part.add_frameworks()->mutable_id()->set_value("f");
  *part.add_tasks() = task("f", "t", mesos::v1::TASK_RUNNING);
  part.set_last(true);
  EXPECT_TRUE(state.add_snapshot(part));
  return state;
}

TEST(ClusterStateTest, ASnapshotInPartsIsUsedOnlyOnceComplete) {
  ClusterState state = ready_state();
  ASSERT_TRUE(state.subscribed(fresh("s2", 3)));
  internal::StateSnapshot first;
  first.add_agents()->mutable_id()->set_value("b");
  auto complete = state.add_snapshot(first);
  ASSERT_TRUE(complete);
  EXPECT_FALSE(*complete);
  // Still the old state while the new one streams in.
  EXPECT_NE(state.agent("a"), nullptr);
  EXPECT_EQ(state.stream_id(), "s");
  internal::StateSnapshot last;
  last.set_last(true);
  complete = state.add_snapshot(last);
  ASSERT_TRUE(complete);
  EXPECT_TRUE(*complete);
  EXPECT_EQ(state.agent("a"), nullptr);
  EXPECT_NE(state.agent("b"), nullptr);
  EXPECT_TRUE(state.tasks().empty());
  EXPECT_EQ(state.stream_id(), "s2");
  EXPECT_EQ(state.sequence(), 3u);
}

TEST(ClusterStateTest, ChangesApplyInSequenceAndATerminalTaskLeaves) {
  ClusterState state = ready_state();
  ASSERT_TRUE(state.apply(change_of(8, task("f", "u", mesos::v1::TASK_STAGING))));
  EXPECT_EQ(state.tasks().size(), 2u);
  ASSERT_TRUE(state.apply(change_of(9, task("f", "t", mesos::v1::TASK_FINISHED))));
  ASSERT_EQ(state.tasks().size(), 1u);
  EXPECT_EQ(state.tasks().begin()->first.second, "u");
  ASSERT_TRUE(state.apply(change_of(10, task("f", "u", mesos::v1::TASK_UNREACHABLE))));
  EXPECT_TRUE(state.tasks().empty());
  EXPECT_EQ(state.sequence(), 10u);
}

TEST(ClusterStateTest, AChangeOutOfSequenceIsAnErrorAndChangesNothing) {
  ClusterState state = ready_state();
  auto skipped = state.apply(change_of(9, task("f", "u", mesos::v1::TASK_RUNNING)));
  ASSERT_FALSE(skipped);
  EXPECT_NE(skipped.error().message.find("arrived after 7"), std::string::npos) << skipped.error().message;
  EXPECT_FALSE(state.apply(change_of(7, task("f", "u", mesos::v1::TASK_RUNNING))));
  EXPECT_EQ(state.tasks().size(), 1u);
  EXPECT_EQ(state.sequence(), 7u);
}

TEST(ClusterStateTest, ARemovedFrameworkTakesItsTasksAndARemovedAgentGoes) {
  ClusterState state = ready_state();
  internal::StateChange change;
  change.set_sequence(8);
  change.mutable_framework_removed()->set_value("f");
  ASSERT_TRUE(state.apply(change));
  EXPECT_EQ(state.framework("f"), nullptr);
  EXPECT_TRUE(state.tasks().empty());
  change.set_sequence(9);
  change.mutable_agent_removed()->set_value("a");
  ASSERT_TRUE(state.apply(change));
  EXPECT_EQ(state.agent("a"), nullptr);
}

TEST(ClusterStateTest, AChangeOfAKindThisSubscriberDoesNotKnowIsSkipped) {
  ClusterState state = ready_state();
  internal::StateChange change;
  change.set_sequence(8);  // no known change set: what a newer master's new kind looks like here
  ASSERT_TRUE(state.apply(change));
  EXPECT_EQ(state.sequence(), 8u);
  EXPECT_EQ(state.tasks().size(), 1u);
}

TEST(ClusterStateTest, AResumeMustContinueTheStreamHeld) {
  ClusterState state = ready_state();
  auto resumed = fresh("s", 7);
  resumed.set_resumed(true);
  EXPECT_TRUE(state.subscribed(resumed));
  resumed.set_sequence(6);
  EXPECT_FALSE(state.subscribed(resumed));
  resumed.set_stream_id("other");
  resumed.set_sequence(7);
  EXPECT_FALSE(state.subscribed(resumed));
  ClusterState empty;
  EXPECT_FALSE(empty.subscribed(resumed));
}

TEST(ClusterStateTest, BadInputIsRefused) {
  ClusterState state;
  EXPECT_FALSE(state.subscribed(fresh("", 1))) << "no stream id";
  internal::StateSnapshot part;
  part.set_last(true);
  EXPECT_FALSE(state.add_snapshot(part)) << "a snapshot nobody announced";
  EXPECT_FALSE(state.apply(change_of(1, task("f", "t", mesos::v1::TASK_RUNNING)))) << "a change before a snapshot";
  ASSERT_TRUE(state.subscribed(fresh("s", 1)));
  *part.add_tasks() = task("f", "", mesos::v1::TASK_RUNNING);
  EXPECT_FALSE(state.add_snapshot(part)) << "a task without an id";
  part.Clear();
  *part.add_tasks() = task("f", std::string(2000, 'x'), mesos::v1::TASK_RUNNING);
  part.set_last(true);
  EXPECT_FALSE(state.add_snapshot(part)) << "an id over the bound";
}

}  // namespace
}  // namespace dcos
