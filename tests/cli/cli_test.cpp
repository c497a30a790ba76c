#include "daemons/cli/cli.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace dcos::cli {
namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome run_dcos(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), "dcos");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  std::vector<const char*> envp;
  for (const std::string& entry : env) envp.push_back(entry.c_str());
  envp.push_back(nullptr);
  std::ostringstream out, err;
  const int code = run(static_cast<int>(args.size()), argv.data(), envp.data(), out, err);
  return {code, out.str(), err.str()};
}

// A loopback port bound but not listening: connecting to it is refused, and
// no other test can take it while this lives.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot bind a loopback port";
    }
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST(CliTest, HelpPrintsUsage) {
  for (const auto& args : {std::vector<std::string>{"--help"}, std::vector<std::string>{"node", "--help"}}) {
    const Outcome o = run_dcos(args);
    EXPECT_EQ(o.code, 0);
    EXPECT_TRUE(o.out.starts_with("Usage: dcos")) << o.out;
    EXPECT_NE(o.out.find("node list"), std::string::npos);
    EXPECT_NE(o.out.find("--master=VALUE"), std::string::npos);
    EXPECT_EQ(o.err, "");
  }
}

TEST(CliTest, UsageErrorsExit2WithAHint) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "dcos: no command given, e.g. 'dcos node list' (see --help)\n"},
      {{"nodes"}, "dcos: unknown command 'nodes' (see --help)\n"},
      {{"node"}, "dcos: 'dcos node' needs a subcommand: diagnostics, list (see --help)\n"},
      {{"node", "show"}, "dcos: unknown command 'node show' (see --help)\n"},
      {{"node", "list", "extra"}, "dcos: unexpected argument 'extra' (see --help)\n"},
      {{"--verbose", "node", "list"}, "dcos: unknown flag '--verbose' (see --help)\n"},
      {{"--master=host:http", "node", "list"},
       "dcos: bad value for --master: 'host:http': 'http' is not a port number (0-65535)\n"},
  };
  for (const auto& [args, message] : cases) {
    const Outcome o = run_dcos(args);
    EXPECT_EQ(o.code, 2) << message;
    EXPECT_EQ(o.err, message);
    EXPECT_EQ(o.out, "");
  }
}

TEST(CliTest, UnreachableMasterExits1NamingIt) {
  const RefusingPort port;
  const Outcome o = run_dcos({"--master=" + port.address(), "node", "list"});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, "dcos: cannot reach master at " + port.address() + ": Connection refused\n");
  EXPECT_EQ(o.out, "");
}

TEST(CliTest, MasterComesFromTheEnvironmentUnlessGiven) {
  const RefusingPort from_env, from_flag;
  Outcome o = run_dcos({"node", "list"}, {"DCOS_MASTER=" + from_env.address()});
  EXPECT_EQ(o.err, "dcos: cannot reach master at " + from_env.address() + ": Connection refused\n");
  o = run_dcos({"--master=" + from_flag.address(), "node", "list"}, {"DCOS_MASTER=" + from_env.address()});
  EXPECT_EQ(o.err, "dcos: cannot reach master at " + from_flag.address() + ": Connection refused\n");
}

}  // namespace
}  // namespace dcos::cli
