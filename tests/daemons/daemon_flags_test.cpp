// The daemons' flags: Mesos' names, DCOS_<FLAG> from the environment, and a
// one-line error naming the flag for a bad value.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "daemons/agent/flags.hpp"
#include "daemons/agent/node_resources.hpp"
#include "daemons/master/flags.hpp"
#include "tests/support/cluster.hpp"

namespace dcos {
namespace {

Result<void> parse(FlagSet& flags, std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), "daemon");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  std::vector<const char*> envp;
  for (const auto& entry : env) envp.push_back(entry.c_str());
  envp.push_back(nullptr);
  return flags.parse(static_cast<int>(args.size()), argv.data(), envp.data());
}

std::string error_of(FlagSet& flags, std::vector<std::string> args, std::vector<std::string> env = {}) {
  auto parsed = parse(flags, std::move(args), std::move(env));
  return parsed ? "" : parsed.error().message;
}

TEST(MasterFlags, ReadsMesosNamesFromArgumentsAndEnvironment) {
  master::Options options;
  log::Level level = log::Level::info;
  FlagSet flags = master::make_flags(&options, &level);
  ASSERT_TRUE(parse(flags, {"--ip=::1", "--port=6050", "--max_agent_ping_timeouts=3", "--log_level=debug"},
                    {"DCOS_AGENT_PING_TIMEOUT=2secs", "DCOS_WORK_DIR=/srv/m", "DCOS_PORT=7000"}));
  EXPECT_EQ(options.ip, "::1");
  EXPECT_EQ(options.port, 6050);  // the command line wins over the environment
  EXPECT_EQ(options.max_missed_pings, 3u);
  EXPECT_EQ(options.ping_interval, std::chrono::seconds(2));
  EXPECT_EQ(options.work_dir, "/srv/m");
  EXPECT_EQ(level, log::Level::debug);
}

TEST(MasterFlags, BadValuesAreOneLineErrorsNamingTheFlag) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--ip=foo", "bad value for --ip: 'foo' is not an IP address"},
      {"--max_agent_ping_timeouts=0", "bad value for --max_agent_ping_timeouts: '0' is not a count from 1 to 1000"},
      {"--agent_ping_timeout=0secs", "bad value for --agent_ping_timeout: must be longer than zero"},
      {"--log_level=loud", "bad value for --log_level: 'loud' is not one of debug, info, warning, error"},
  };
  for (const auto& [arg, expected] : cases) {
    master::Options options;
    log::Level level;
    FlagSet flags = master::make_flags(&options, &level);
    EXPECT_EQ(error_of(flags, {arg}), expected);
  }
  master::Options options;
  log::Level level;
  FlagSet flags = master::make_flags(&options, &level);
  EXPECT_EQ(error_of(flags, {}, {"DCOS_MAX_AGENT_PING_TIMEOUTS=x"}),
            "bad value for DCOS_MAX_AGENT_PING_TIMEOUTS: 'x' is not a count from 1 to 1000");
}

TEST(MasterFlags, WeightsAreRoleEqualsWeightPairsFromArgumentsOrEnvironment) {
  master::Options options;
  log::Level level;
  FlagSet flags = master::make_flags(&options, &level);
  ASSERT_TRUE(parse(flags, {"--weights=a=2,b/c=0.5,*=1"}));
  EXPECT_EQ(options.weights, (std::map<std::string, double>{{"a", 2}, {"b/c", 0.5}, {"*", 1}}));

  master::Options from_env;
  FlagSet env_flags = master::make_flags(&from_env, &level);
  ASSERT_TRUE(parse(env_flags, {}, {"DCOS_WEIGHTS=ads=3"}));
  EXPECT_EQ(from_env.weights, (std::map<std::string, double>{{"ads", 3}}));
}

TEST(MasterFlags, BadWeightsAreOneLineErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a", "'a' is not role=weight"},
      {"a=0", "the weight of role 'a', '0', is not a number above zero"},
      {"a=-1", "the weight of role 'a', '-1', is not a number above zero"},
      {"a=2x", "the weight of role 'a', '2x', is not a number above zero"},
      {"a=inf", "the weight of role 'a', 'inf', is not a number above zero"},
      {"a=", "the weight of role 'a', '', is not a number above zero"},
      {"=2", "a role name must have 1 to 255 characters"},
      {"a=1,a=2", "role 'a' has two weights"},
      {"a=1,,b=2", "an empty role=weight item"},
      {"a=1,", "an empty role=weight item"},
      {"-a=1", "role '-a' has the component '-a'"},
      {"a b=1", "role 'a b' holds a space or a control character"},
      {"a//b=1", "role 'a//b' has an empty component"},
      {"../a=1", "role '../a' has the component '..'"},
  };
  for (const auto& [value, expected] : cases) {
    master::Options options;
    log::Level level;
    FlagSet flags = master::make_flags(&options, &level);
    EXPECT_EQ(error_of(flags, {"--weights=" + value}), "bad value for --weights: " + expected);
  }
}

TEST(AgentFlags, MasterAddressResourcesAndAttributes) {
  agent::Config config;
  FlagSet flags = agent::make_flags(&config);
  ASSERT_TRUE(parse(flags, {"--master=10.0.0.5:5055", "--resources=cpus:3;ports:[4000-4010]", "--attributes=rack:r1",
                            "--default_role=slave_public"}));
  EXPECT_EQ(config.options.master_host, "10.0.0.5");
  EXPECT_EQ(config.options.master_port, 5055);
  EXPECT_EQ(config.options.default_role, "slave_public");
  ASSERT_EQ(config.attributes.size(), 1u);
  EXPECT_EQ(config.attributes[0].name(), "rack");

  testing::TempDir dir;
  config.options.work_dir = dir.path();
  auto offered = agent::offered_resources(config);
  ASSERT_TRUE(offered) << offered.error().message;
  EXPECT_EQ(scalar_total(*offered, "cpus"), 3);  // overridden
  EXPECT_GT(scalar_total(*offered, "mem"), 0);   // detected
  EXPECT_GT(scalar_total(*offered, "disk"), 0);
  for (const auto& resource : *offered) EXPECT_EQ(role_of(resource), "slave_public") << resource.name();
  EXPECT_NE(format_resources(*offered).find("ports(slave_public):[4000-4010]"), std::string::npos)
      << format_resources(*offered);
}

TEST(AgentFlags, BadValuesAreOneLineErrorsNamingTheFlag) {
  agent::Config config;
  FlagSet flags = agent::make_flags(&config);
  EXPECT_EQ(error_of(flags, {"--master=:5050"}), "bad value for --master: ':5050' has no host");
  agent::Config config2;
  FlagSet flags2 = agent::make_flags(&config2);
  EXPECT_NE(error_of(flags2, {"--resources=cpus:-1"}).find("bad value for --resources: "), std::string::npos);
  agent::Config config3;
  FlagSet flags3 = agent::make_flags(&config3);
  EXPECT_NE(error_of(flags3, {"--registration_backoff_factor=0ms"}).find("must be longer than zero"),
            std::string::npos);
}

TEST(NodeResources, DetectsCpusMemoryDiskAndPorts) {
  testing::TempDir dir;
  auto detected = agent::detect_resources(dir.path(), "*");
  ASSERT_TRUE(detected) << detected.error().message;
  EXPECT_GE(scalar_total(*detected, "cpus"), 1);
  EXPECT_GT(scalar_total(*detected, "mem"), 0);
  EXPECT_GT(scalar_total(*detected, "disk"), 0);
  EXPECT_NE(format_resources(*detected).find("ports:[31000-32000]"), std::string::npos);
  EXPECT_FALSE(agent::detect_resources(dir.path() + "/missing", "*"));
}

}  // namespace
}  // namespace dcos
