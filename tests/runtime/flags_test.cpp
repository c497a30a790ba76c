#include "runtime/flags.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace dcos {
namespace {

using namespace std::chrono_literals;

// A daemon's worth of flags, one of each kind, with Mesos-like defaults.
class FlagsTest : public ::testing::Test {
 protected:
  FlagsTest() {
    flags.add("work_dir", "Where state is kept", &work_dir);
    flags.add("hostname", "Name to advertise", &hostname);
    flags.add("verbose", "Log more", &verbose);
    flags.add("max_agent_ping_timeouts", "Missed pings before an agent is lost", &max_timeouts);
    flags.add("port", "Port to serve HTTP on", &port);
    flags.add("weight", "Share of the cluster", &weight);
    flags.add("agent_ping_timeout", "Time between pings", &ping_timeout);
    flags.add("mode", "auto or manual", "auto", [this](std::string_view text) -> Result<void> {
      if (text != "auto" && text != "manual") {
        return Error{"'" + std::string(text) + "' is not auto or manual"};
      }
      mode = std::string(text);
      return {};
    });
  }

  Result<void> parse(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), "dcos-test");
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    argv.push_back(nullptr);
    std::vector<const char*> envp;
    for (const std::string& entry : env) envp.push_back(entry.c_str());
    envp.push_back(nullptr);
    return flags.parse(static_cast<int>(args.size()), argv.data(), envp.data());
  }

  std::string parse_error(std::vector<std::string> args, std::vector<std::string> env = {}) {
    auto result = parse(std::move(args), std::move(env));
    EXPECT_FALSE(result);
    return result ? "" : result.error().message;
  }

  std::string work_dir = "/var/lib/dcos";
  std::string hostname;
  bool verbose = false;
  int64_t max_timeouts = 5;
  uint16_t port = 5050;
  double weight = 1.5;
  Duration ping_timeout = 15s;
  std::string mode = "auto";
  FlagSet flags{"dcos-test", "A daemon for tests."};
};

TEST_F(FlagsTest, KeepsDefaultsWhenNothingIsGiven) {
  ASSERT_TRUE(parse({}));
  EXPECT_EQ(work_dir, "/var/lib/dcos");
  EXPECT_EQ(port, 5050);
  EXPECT_EQ(ping_timeout, 15s);
  EXPECT_FALSE(flags.was_set("port"));
  EXPECT_FALSE(flags.was_set("no_such_flag"));
  EXPECT_FALSE(flags.help_requested());
  EXPECT_TRUE(flags.positional().empty());
}

TEST_F(FlagsTest, ReadsEveryKindFromTheCommandLine) {
  auto result = parse({"--work_dir=/tmp/w", "--hostname=a.example", "--verbose", "--max_agent_ping_timeouts=-7",
                       "--port=0", "--weight=0.25", "--agent_ping_timeout=1mins", "--mode=manual"});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(work_dir, "/tmp/w");
  EXPECT_EQ(hostname, "a.example");
  EXPECT_TRUE(verbose);
  EXPECT_EQ(max_timeouts, -7);
  EXPECT_EQ(port, 0);
  EXPECT_EQ(weight, 0.25);
  EXPECT_EQ(ping_timeout, 1min);
  EXPECT_EQ(mode, "manual");
  EXPECT_TRUE(flags.was_set("port"));
  EXPECT_TRUE(flags.was_set("mode"));
}

TEST_F(FlagsTest, KeepsEverythingAfterTheFirstEquals) {
  ASSERT_TRUE(parse({"--hostname=zk://a=b:2181/x", "--work_dir="}));
  EXPECT_EQ(hostname, "zk://a=b:2181/x");
  EXPECT_EQ(work_dir, "");
}

TEST_F(FlagsTest, ReadsBooleansInEveryForm) {
  for (auto [arg, expected] : std::vector<std::pair<std::string, bool>>{{"--verbose", true},
                                                                        {"--no-verbose", false},
                                                                        {"--verbose=true", true},
                                                                        {"--verbose=false", false},
                                                                        {"--verbose=1", true},
                                                                        {"--verbose=0", false}}) {
    verbose = !expected;
    FlagSet fresh("t", "s");
    fresh.add("verbose", "", &verbose);
    const char* argv[] = {"t", arg.c_str(), nullptr};
    ASSERT_TRUE(fresh.parse(2, argv, nullptr)) << arg;
    EXPECT_EQ(verbose, expected) << arg;
  }
  EXPECT_EQ(parse_error({"--verbose=yes"}), "bad value for --verbose: 'yes' is not a boolean (true, false, 1, 0)");
  EXPECT_EQ(parse_error({"--no-verbose=true"}), "flag '--no-verbose' takes no value");
}

TEST_F(FlagsTest, ChecksPortNumbers) {
  ASSERT_TRUE(parse({"--port=65535"}));
  EXPECT_EQ(port, 65535);
  EXPECT_EQ(parse_error({"--port=http"}), "bad value for --port: 'http' is not a port number (0-65535)");
  EXPECT_EQ(parse_error({"--port=65536"}), "bad value for --port: '65536' is not a port number (0-65535)");
  for (const char* bad : {"--port=-1", "--port=", "--port=80x", "--port= 80", "--port=+80"}) {
    EXPECT_FALSE(parse({bad})) << bad;
  }
}

TEST_F(FlagsTest, ChecksIntegers) {
  ASSERT_TRUE(parse({"--max_agent_ping_timeouts=-9223372036854775808"}));
  EXPECT_EQ(max_timeouts, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(parse_error({"--max_agent_ping_timeouts=12x"}),
            "bad value for --max_agent_ping_timeouts: '12x' is not an integer");
  EXPECT_EQ(parse_error({"--max_agent_ping_timeouts=9223372036854775808"}),
            "bad value for --max_agent_ping_timeouts: '9223372036854775808' is out of range "
            "for a 64-bit integer");
  EXPECT_FALSE(parse({"--max_agent_ping_timeouts="}));
  EXPECT_FALSE(parse({"--max_agent_ping_timeouts=1.5"}));
}

TEST_F(FlagsTest, AcceptsOnlyFiniteDoubles) {
  EXPECT_EQ(parse_error({"--weight=nan"}), "bad value for --weight: 'nan' is not a finite number");
  EXPECT_EQ(parse_error({"--weight=inf"}), "bad value for --weight: 'inf' is not a finite number");
  EXPECT_EQ(parse_error({"--weight=1e999"}), "bad value for --weight: '1e999' is out of range");
  EXPECT_EQ(parse_error({"--weight=heavy"}), "bad value for --weight: 'heavy' is not a number");
  EXPECT_FALSE(parse({"--weight=1.5kg"}));
  ASSERT_TRUE(parse({"--weight=-2e3"}));
  EXPECT_EQ(weight, -2000);
}

TEST_F(FlagsTest, ChecksDurations) {
  EXPECT_EQ(parse_error({"--agent_ping_timeout=15"}),
            "bad value for --agent_ping_timeout: '15' has no unit (e.g. 15secs)");
}

TEST_F(FlagsTest, PrefixesCustomParserErrors) {
  EXPECT_EQ(parse_error({"--mode=fast"}), "bad value for --mode: 'fast' is not auto or manual");
  EXPECT_FALSE(flags.was_set("mode"));
}

TEST_F(FlagsTest, RejectsUnknownFlags) {
  EXPECT_EQ(parse_error({"--prot=5051"}), "unknown flag '--prot' (see --help)");
  EXPECT_EQ(parse_error({"--prot"}), "unknown flag '--prot' (see --help)");
  EXPECT_EQ(parse_error({"--no-port"}), "unknown flag '--no-port' (see --help)");
  EXPECT_EQ(parse_error({"--=1"}), "unknown flag '--' (see --help)");
}

TEST_F(FlagsTest, NeedsAValueForNonBooleans) {
  // Mesos does not take "--port 5051" either: the value must follow '='.
  EXPECT_EQ(parse_error({"--port", "5051"}), "flag '--port' needs a value (--port=VALUE)");
}

TEST_F(FlagsTest, ToolsTakeSpacedValuesForNonBooleansOnly) {
  flags.allow_spaced_values();
  ASSERT_TRUE(parse({"--port", "5051", "--verbose", "word", "--", "--port", "x"}));
  EXPECT_EQ(port, 5051);
  EXPECT_TRUE(verbose);
  EXPECT_EQ(flags.positional(), (std::vector<std::string>{"word", "--port", "x"}));
  EXPECT_EQ(parse_error({"--port"}), "flag '--port' needs a value (--port=VALUE)");
}

TEST_F(FlagsTest, RejectsAFlagGivenTwice) {
  EXPECT_EQ(parse_error({"--port=1", "--port=2"}), "flag '--port' is given more than once");
  EXPECT_EQ(parse_error({"--verbose", "--no-verbose"}), "flag '--verbose' is given more than once");
}

TEST_F(FlagsTest, ReadsTheEnvironment) {
  auto result = parse({}, {"DCOS_WORK_DIR=/env/dir", "DCOS_AGENT_PING_TIMEOUT=30secs", "DCOS_VERBOSE=1", "PATH=/bin",
                           "DCOS_SOMEONE_ELSES_FLAG=x", "DCOS_PORT", "dcos_port=1"});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(work_dir, "/env/dir");
  EXPECT_EQ(ping_timeout, 30s);
  EXPECT_TRUE(verbose);
  EXPECT_EQ(port, 5050);
  EXPECT_TRUE(flags.was_set("work_dir"));
  EXPECT_FALSE(flags.was_set("port"));
  // A repeated variable of a flag is not unknown; one that names no flag is.
  EXPECT_EQ(flags.unknown_variables(), std::vector<std::string>{"DCOS_SOMEONE_ELSES_FLAG"});
}

TEST_F(FlagsTest, NamesUnknownVariablesOfTheLastParseOnly) {
  ASSERT_TRUE(parse({}, {"DCOS_PROT=1", "DCOS_PORT=1", "DCOS_PORT=2", "DCOS_VERBOSE=1", "DCOS_X="}));
  EXPECT_EQ(flags.unknown_variables(), (std::vector<std::string>{"DCOS_PROT", "DCOS_X"}));
  ASSERT_TRUE(parse({}, {"DCOS_PORT=1"}));
  EXPECT_TRUE(flags.unknown_variables().empty());
}

TEST_F(FlagsTest, PrefersTheCommandLineOverTheEnvironment) {
  ASSERT_TRUE(parse({"--port=6000"}, {"DCOS_PORT=7000"}));
  EXPECT_EQ(port, 6000);
}

TEST_F(FlagsTest, TakesTheFirstOfRepeatedVariablesLikeGetenv) {
  ASSERT_TRUE(parse({}, {"DCOS_PORT=7000", "DCOS_PORT=bad"}));
  EXPECT_EQ(port, 7000);
}

TEST_F(FlagsTest, NamesTheVariableWithABadValue) {
  EXPECT_EQ(parse_error({}, {"DCOS_AGENT_PING_TIMEOUT=15"}),
            "bad value for DCOS_AGENT_PING_TIMEOUT: '15' has no unit (e.g. 15secs)");
  EXPECT_EQ(parse_error({}, {"DCOS_PORT=http"}), "bad value for DCOS_PORT: 'http' is not a port number (0-65535)");
}

TEST_F(FlagsTest, CollectsPositionalArguments) {
  ASSERT_TRUE(parse({"run", "--port=1", "-x", "--", "--port=2", "--help", "tail"}));
  EXPECT_EQ(flags.positional(), (std::vector<std::string>{"run", "-x", "--port=2", "--help", "tail"}));
  EXPECT_EQ(port, 1);
  EXPECT_FALSE(flags.help_requested());
}

TEST_F(FlagsTest, HelpWinsOverOtherMistakes) {
  ASSERT_TRUE(parse({"--prot=1", "--help", "--port=http"}, {"DCOS_PORT=http"}));
  EXPECT_TRUE(flags.help_requested());
}

TEST_F(FlagsTest, AcceptsNoEnvironmentAtAll) {
  const char* argv[] = {"t", "--port=81", nullptr};
  ASSERT_TRUE(flags.parse(2, argv, nullptr));
  EXPECT_EQ(port, 81);
  EXPECT_TRUE(flags.parse(0, argv, nullptr));
}

TEST(FlagSetUsage, ListsFlagsSortedAndAlignedWithDefaults) {
  std::string master = "127.0.0.1:5050";
  std::string secret;
  bool verbose = false;
  uint16_t port = 5051;
  double weight = 0.5;
  Duration timeout = 90s;
  FlagSet flags("dcos-agent", "Runs tasks on this node.");
  flags.add("port", "Port to serve HTTP on", &port);
  flags.add("master", "Where the master is", &master);
  flags.add("secret", "Token file", &secret);
  flags.add("verbose", "Log more", &verbose);
  flags.add("weight", "", &weight);
  flags.add("ping_timeout", "Time between pings", &timeout);
  EXPECT_EQ(flags.usage(),
            "Usage: dcos-agent [flags]\n"
            "\n"
            "Runs tasks on this node.\n"
            "\n"
            "Flags:\n"
            "  --help                Print this help and exit\n"
            "  --master=VALUE        Where the master is (default: 127.0.0.1:5050)\n"
            "  --ping_timeout=VALUE  Time between pings (default: 90secs)\n"
            "  --port=VALUE          Port to serve HTTP on (default: 5051)\n"
            "  --secret=VALUE        Token file\n"
            "  --verbose=VALUE       Log more (default: false)\n"
            "  --weight=VALUE        (default: 0.5)\n");
}

}  // namespace
}  // namespace dcos

namespace dcos {
namespace {

TEST(FlagSetValues, GivenValuesAsWrittenAndDefaultsForTheRest) {
  std::string work_dir = "/var/lib/x";
  Duration timeout = std::chrono::seconds(15);
  uint16_t port = 5050;
  FlagSet flags("dcos-test", "test");
  flags.add("work_dir", "", &work_dir);
  flags.add("agent_ping_timeout", "", &timeout);
  flags.add("port", "", &port);
  const char* argv[] = {"dcos-test", "--agent_ping_timeout=2mins", nullptr};
  const char* env[] = {"DCOS_PORT=6060", nullptr};
  ASSERT_TRUE(flags.parse(2, argv, env));
  const auto values = flags.values();
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values.at("agent_ping_timeout"), "2mins");
  EXPECT_EQ(values.at("port"), "6060");
  EXPECT_EQ(values.at("work_dir"), "/var/lib/x");
}

}  // namespace
}  // namespace dcos

namespace dcos {
namespace {

TEST(FlagSetRepeatable, EachOccurrenceAppends) {
  std::vector<std::string> env;
  FlagSet flags("test", "summary");
  flags.add("env", "A variable", &env);
  const char* argv[] = {"test", "--env=A=1", "--env=B=2"};
  const char* const environment[] = {nullptr};
  auto parsed = flags.parse(3, argv, environment);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(env, (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_NE(flags.usage().find("(repeatable)"), std::string::npos);
}

TEST(FlagSetRepeatable, TheFirstOccurrenceReplacesTheDefault) {
  std::vector<std::string> generators = {"dnsperf", "dns-load"};
  FlagSet flags("test", "summary");
  flags.add("generators", "Load generators", &generators);
  EXPECT_NE(flags.usage().find("dnsperf,dns-load"), std::string::npos) << flags.usage();
  const char* argv[] = {"test", "--generators=dns-load", "--generators=x"};
  const char* const environment[] = {nullptr};
  auto parsed = flags.parse(3, argv, environment);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(generators, (std::vector<std::string>{"dns-load", "x"}));

  std::vector<std::string> kept = {"a"};
  FlagSet unset("test", "summary");
  unset.add("kept", "Kept", &kept);
  ASSERT_TRUE(unset.parse(1, argv, environment));
  EXPECT_EQ(kept, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace dcos
