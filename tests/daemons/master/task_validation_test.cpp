// Launch validation and the offer book, as plain classes.
#include "daemons/master/task_validation.hpp"

#include <gtest/gtest.h>

#include "daemons/master/offer_book.hpp"

namespace dcos::master {
namespace {

mesos::v1::TaskInfo task(const std::string& id, const std::string& resources) {
  mesos::v1::TaskInfo info;
  info.set_name("t-" + id);
  info.mutable_task_id()->set_value(id);
  info.mutable_agent_id()->set_value("agent-1");
  info.mutable_command()->set_value("true");
  const Resources parsed = parse_resources(resources).value();
  for (const auto& resource : parsed) *info.add_resources() = resource;
  return info;
}

struct Fixture {
  Fixture() {
    info.mutable_id()->set_value("fw-1");
    info.set_user("root");
    info.set_name("fw");
    auto parts = compact_by_role(parse_resources("cpus:1;mem:256;ports:[31000-31001]").value()).value();
    for (const auto& part : parts) pool.add(part.role, part.resources);
  }
  mesos::v1::FrameworkInfo info;
  FrameworkRecord framework;
  std::set<std::string> launching;
  ResourcePool pool;
  LaunchCheck check() { return LaunchCheck{framework, "agent-1", launching, pool}; }
};

TEST(TaskValidation, ValidTasksTakeTheirResourcesUntilTheOffersRunOut) {
  Fixture f;
  auto check = f.check();
  EXPECT_TRUE(validate_task(task("a", "cpus:0.5;mem:128;ports:[31000-31000]"), check));
  EXPECT_TRUE(validate_task(task("b", "cpus:0.5;mem:128"), check));
  auto third = validate_task(task("c", "cpus:0.1;mem:1"), check);
  ASSERT_FALSE(third);
  EXPECT_NE(third.error().message.find("not in the offers"), std::string::npos) << third.error().message;
  EXPECT_EQ(format_resources(f.pool.remaining()), "ports:[31001-31001]");
}

TEST(TaskValidation, EachMistakeIsNamedAndTakesNothing) {
  Fixture f;
  auto check = f.check();
  auto no_name = task("a", "cpus:0.1");
  no_name.clear_name();
  auto wrong_agent = task("b", "cpus:0.1");
  wrong_agent.mutable_agent_id()->set_value("agent-2");
  auto no_command = task("c", "cpus:0.1");
  no_command.clear_command();
  auto no_resources = task("d", "cpus:0.1");
  no_resources.clear_resources();
  auto port_not_offered = task("e", "cpus:0.1;ports:[80-80]");
  for (const auto& [info, words] :
       std::vector<std::pair<mesos::v1::TaskInfo, std::string>>{{no_name, "no name"},
                                                                {wrong_agent, "agent-2"},
                                                                {no_command, "no command"},
                                                                {no_resources, "no resources"},
                                                                {port_not_offered, "ports:[80-80]"}}) {
    auto result = validate_task(info, check);
    ASSERT_FALSE(result) << words;
    EXPECT_NE(result.error().message.find(words), std::string::npos) << result.error().message;
  }
  EXPECT_EQ(format_resources(f.pool.remaining()), "cpus:1;mem:256;ports:[31000-31001]");
}

mesos::v1::TaskGroupInfo group(std::vector<mesos::v1::TaskInfo> tasks) {
  mesos::v1::TaskGroupInfo out;
  for (auto& info : tasks) *out.add_tasks() = std::move(info);
  return out;
}

// LAUNCH_GROUP: every task of the group or none.
TEST(TaskValidation, AGroupTakesAllItsResourcesOrNothing) {
  Fixture f;
  auto check = f.check();
  auto too_big = validate_task_group(group({task("a", "cpus:0.5;mem:128"), task("b", "cpus:0.6")}), check);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message.find("task 'b'"), std::string::npos) << too_big.error().message;
  EXPECT_EQ(format_resources(f.pool.remaining()), "cpus:1;mem:256;ports:[31000-31001]");
  EXPECT_TRUE(f.launching.empty());

  auto own_executor = task("c", "cpus:0.1");
  own_executor.mutable_executor()->mutable_executor_id()->set_value("e");
  EXPECT_FALSE(validate_task_group(group({task("d", "cpus:0.1"), own_executor}), check));
  EXPECT_FALSE(validate_task_group(group({}), check));
  EXPECT_FALSE(validate_task_group(group({task("e", "cpus:0.1"), task("e", "cpus:0.1")}), check));
  EXPECT_TRUE(f.launching.empty());

  ASSERT_TRUE(validate_task_group(group({task("a", "cpus:0.5;mem:128"), task("b", "cpus:0.5")}), check));
  EXPECT_EQ(format_resources(f.pool.remaining()), "mem:128;ports:[31000-31001]");
  EXPECT_EQ(f.launching, (std::set<std::string>{"a", "b"}));
}

TEST(TaskValidation, TaskIdsAreUniqueAmongLiveTasksAndWithinOneAccept) {
  Fixture f;
  f.framework.tasks["running"] = mesos::v1::Task();
  auto check = f.check();
  EXPECT_FALSE(validate_task(task("running", "cpus:0.1"), check));
  EXPECT_TRUE(validate_task(task("new", "cpus:0.1"), check));
  EXPECT_FALSE(validate_task(task("new", "cpus:0.1"), check));
}

TEST(OfferBook, IdsAreUniqueAndAnOfferLeavesOnce) {
  OfferBook book("m1");
  Offer allocation;
  allocation.framework_id = "fw-1";
  allocation.agent_id = "agent-1";
  const std::string first = book.add(allocation, {}).offer.id().value();
  const std::string second = book.add(allocation, {}).offer.id().value();
  EXPECT_NE(first, second);
  EXPECT_EQ(book.of_agent("agent-1").size(), 2u);
  EXPECT_EQ(book.of_framework("fw-2").size(), 0u);
  EXPECT_TRUE(book.take(first).has_value());
  EXPECT_FALSE(book.take(first).has_value());
  EXPECT_EQ(book.size(), 1u);
  EXPECT_EQ(book.made(), 2u);
}

}  // namespace
}  // namespace dcos::master

namespace dcos::master {
namespace {

TEST(FrameworkRegistry, TasksAreIndexedByAgentUntilTheyComplete) {
  FrameworkRegistry registry(/*max_completed_tasks=*/1);
  mesos::v1::FrameworkInfo info;
  info.mutable_id()->set_value("fw-1");
  FrameworkRecord& framework = registry.add(info);
  for (const auto& [task_id, agent_id] :
       {std::pair{"a", "agent-1"}, std::pair{"b", "agent-1"}, std::pair{"c", "agent-2"}}) {
    mesos::v1::Task task;
    task.mutable_task_id()->set_value(task_id);
    task.mutable_agent_id()->set_value(agent_id);
    registry.add_task(framework, task);
  }
  EXPECT_EQ(registry.tasks_on("agent-1").size(), 2u);
  registry.complete_task(framework, "a");
  registry.complete_task(framework, "b");
  EXPECT_TRUE(registry.tasks_on("agent-1").empty());
  ASSERT_EQ(framework.completed.size(), 1u);  // bounded: the oldest went
  EXPECT_EQ(framework.completed.front().task_id().value(), "b");
  registry.remove("fw-1");
  EXPECT_TRUE(registry.tasks_on("agent-2").empty());
  ASSERT_EQ(registry.completed_frameworks().size(), 1u);
  EXPECT_EQ(registry.completed_frameworks().front().completed.size(), 1u);
}

}  // namespace
}  // namespace dcos::master
