// `dcos node diagnostics`: what it calls unhealthy in units' properties and
// daemons' answers, its summary, its bundle file (written with libarchive,
// read back with tar), its usage errors, and then the command itself
// against a real dcos-master and dcos-agent on loopback (root), with the
// dcos-dns and dcos-l4lb it is pointed at not running: the bundle holds both
// daemons' health and state, records the other two as not answering, and
// the summary (table and --json) lists them and nothing else.
// The systemd part (units through sd-bus, journals through sd-journal) is
// checked under systemd as PID 1: scripts/packages/check-diagnostics.sh.
#include "daemons/cli/diagnostics.hpp"

#include <gtest/gtest.h>
#include <systemd/sd-daemon.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemons/cli/bundle.hpp"
#include "tests/cli/run_dcos.hpp"
#include "tests/support/task_cluster_test.hpp"

namespace dcos::cli {
namespace {

using nlohmann::json;

UnitFacts unit(const std::string& name, json properties) { return {name, std::move(properties), ""}; }

TEST(DiagnosticsTest, FailedRestartingAndRestartedUnitsAreUnhealthy) {
  const std::vector<UnitFacts> units = {
      unit("dcos-master.service", {{"LoadState", "loaded"}, {"ActiveState", "active"}, {"SubState", "running"},
                                   {"NRestarts", 0}, {"ExecMainStatus", 0}, {"Result", "success"}}),
      unit("dcos-agent.service", {{"LoadState", "loaded"}, {"ActiveState", "failed"}, {"SubState", "failed"},
                                  {"NRestarts", 0}, {"ExecMainStatus", 2}, {"Result", "exit-code"}}),
      unit("dcos-dns.service", {{"LoadState", "loaded"}, {"ActiveState", "activating"}, {"SubState", "auto-restart"},
                                {"NRestarts", 3}, {"ExecMainStatus", 1}, {"Result", "exit-code"},
                                {"StatusText", "bad"}}),
      unit("dcos-l4lb.service", {{"LoadState", "not-found"}, {"ActiveState", "inactive"}}),
      unit("dcos-agent.target", {{"LoadState", "bad-setting"}, {"ActiveState", "inactive"}}),
      {"dcos-x.service", json::object(), "GetAll: Access denied"}};
  const auto problems = unit_problems(units);
  ASSERT_EQ(problems.size(), 5u);
  EXPECT_EQ(problems[0].what, "dcos-agent.service");
  EXPECT_EQ(problems[0].problem, "failed, result exit-code, exit status 2");
  EXPECT_EQ(problems[1].problem, "restarting after a failure, result exit-code, exit status 1, status \"bad\"");
  EXPECT_EQ(problems[2].problem, "restarted 3 times by systemd since it was started");
  EXPECT_EQ(problems[3].what, "dcos-agent.target");
  EXPECT_EQ(problems[3].problem, "cannot be loaded (bad-setting)");
  EXPECT_EQ(problems[4].problem, "cannot read its state: GetAll: Access denied");
}

Probe answered(const std::string& daemon, const std::string& path, unsigned status, const std::string& body) {
  Probe probe;
  probe.daemon = daemon;
  probe.address = "127.0.0.1:1";
  probe.path = path;
  probe.answered = true;
  probe.status = status;
  probe.body = body;
  return probe;
}

TEST(DiagnosticsTest, SilentFailingAndSelfReportedUnhealthyDaemons) {
  Probe silent;
  silent.daemon = "dcos-dns";
  silent.address = "127.0.0.1:8123";
  silent.path = "/health";
  silent.error = "Connection refused";
  const std::vector<Probe> probes = {
      answered("dcos-master", "/health", 200, R"({"healthy":true})"),
      answered("dcos-master", "/master/state", 503, "busy"),
      answered("dcos-agent", "/health", 200, R"({"healthy":true,"registered":false})"),
      answered("dcos-agent", "/state", 200, "{}"),
      silent,
      answered("other", "/health", 200, R"({"healthy":false,"message":"disk full"})"),
      answered("more", "/health", 200, "<html>"),
      answered("dcos-dns", "/health", 200, R"({"healthy":true,"master_reachable":false,"message":"no master"})")};
  const auto problems = probe_problems(probes);
  ASSERT_EQ(problems.size(), 6u);
  EXPECT_EQ(problems[0].problem, "GET /master/state answered HTTP 503");
  EXPECT_EQ(problems[1].problem, "not registered with a master");
  EXPECT_EQ(problems[2].what, "dcos-dns");
  EXPECT_EQ(problems[2].problem, "not answering at 127.0.0.1:8123/health: Connection refused");
  EXPECT_EQ(problems[3].problem, "reports itself unhealthy: disk full");
  EXPECT_EQ(problems[4].problem, "GET /health answered something that is not a JSON object");
  EXPECT_EQ(problems[5].problem, "cannot reach the master: no master");
  // Not installed on this node (systemd says so): a silent daemon is no problem.
  const std::vector<UnitFacts> units = {unit("dcos-dns.service", {{"LoadState", "not-found"}}),
                                        unit("dcos-agent.service", {{"LoadState", "loaded"}})};
  EXPECT_EQ(probe_problems(probes, units).size(), 4u);
}

TEST(DiagnosticsTest, TheSummaryAsATableAndAsJson) {
  Summary summary;
  summary.bundle = "b.tar.gz";
  summary.host = "h";
  summary.time = "2026-11-27T21:00:00Z";
  summary.files = 12;
  summary.systemd_absent = "systemd is not PID 1";
  EXPECT_EQ(summary_text(summary), "bundle b.tar.gz (12 files)\nunits: systemd is not PID 1\nnothing unhealthy found\n");
  summary.unhealthy = {{"dcos-dns", "not answering\x1b"}, {"dcos-agent.service", "failed"}};
  EXPECT_EQ(summary_text(summary),
            "bundle b.tar.gz (12 files)\nunits: systemd is not PID 1\n"
            "UNHEALTHY           WHY\n"
            "dcos-dns            not answering?\n"
            "dcos-agent.service  failed\n");
  const json out = summary_json(summary);
  EXPECT_FALSE(out["healthy"].get<bool>());
  EXPECT_FALSE(out["systemd"]["available"].get<bool>());
  EXPECT_EQ(out["unhealthy"][1], json({{"what", "dcos-agent.service"}, {"problem", "failed"}}));
  EXPECT_EQ(out["files"], 12);
}

TEST(DiagnosticsTest, TheDefaultNameHasTheHostAndTheTime) {
  EXPECT_EQ(default_bundle_name("node-1.example", 0), "dcos-diagnostics-node-1.example-19700101T000000Z.tar.gz");
  EXPECT_EQ(default_bundle_name("a/b c", 1'795'900'000), "dcos-diagnostics-a_b_c-20261128T210640Z.tar.gz");
}

// Unpacks a tar.gz with tar(1) into `dir`: its exit status and output.
std::pair<int, std::string> untar(const std::string& bundle, const std::string& dir) {
  return dcos::testing::run_program({"/bin/tar", "-xzf", bundle, "-C", dir});
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DiagnosticsTest, ABundleUnpacksIntoOneFolderAndAnUnfinishedOneIsRemoved) {
  dcos::testing::TempDir dir;
  const std::string path = dir.path() + "/b.tar.gz";
  {
    auto bundle = Bundle::create(path);
    ASSERT_TRUE(bundle) << bundle.error().message;
    ASSERT_TRUE((*bundle)->add("a.json", "{}\n"));
    ASSERT_TRUE((*bundle)->add("sub/b.txt", std::string(100000, 'x')));
    ASSERT_TRUE((*bundle)->finish());
    EXPECT_EQ((*bundle)->files(), 2u);
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  auto [code, output] = untar(path, dir.path());
  ASSERT_EQ(code, 0) << output;
  EXPECT_EQ(read_text(dir.path() + "/b/a.json"), "{}\n");
  EXPECT_EQ(read_text(dir.path() + "/b/sub/b.txt").size(), 100000u);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  {
    auto bundle = Bundle::create(dir.path() + "/c.tar.gz");
    ASSERT_TRUE(bundle);
    ASSERT_TRUE((*bundle)->add("a.json", "{}"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/c.tar.gz.partial"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/c.tar.gz"));
  auto missing = Bundle::create(dir.path() + "/no/such/dir/d.tar.gz");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "create '" + dir.path() + "/no/such/dir/d.tar.gz.partial': No such file or directory");
}

TEST(DiagnosticsTest, UsageErrors) {
  using testing::run_dcos;
  std::string out, err;
  EXPECT_EQ(run_dcos({"node", "diagnostics", "extra"}, out, err), 2);
  EXPECT_EQ(err, "dcos: unexpected argument 'extra' (see --help)\n");
  EXPECT_EQ(run_dcos({"--lines=0", "node", "diagnostics"}, out, err), 2);
  EXPECT_EQ(err, "dcos: --lines must be 1 to 10000\n");
  EXPECT_EQ(run_dcos({"--timeout=0secs", "node", "diagnostics"}, out, err), 2);
  EXPECT_EQ(run_dcos({"--agent=x:y", "node", "diagnostics"}, out, err), 2);
  EXPECT_EQ(run_dcos({"--output=/no/such/dir/b.tar.gz", "node", "diagnostics"}, out, err), 1);
  EXPECT_EQ(err, "dcos: cannot write the bundle: create '/no/such/dir/b.tar.gz.partial': No such file or directory\n");
}

}  // namespace
}  // namespace dcos::cli

namespace dcos::testing {
namespace {

using nlohmann::json;

using DcosNodeDiagnosticsTest = TaskClusterTest;

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, false);
}

TEST_F(DcosNodeDiagnosticsTest, TheBundleHoldsBothDaemonsAndRecordsTheSilentDns) {
  const AgentNode& agent = start_agent("agent-d");
  auto scheduler = subscribe("diag");
  std::size_t offers = 0, updates = 0;
  ASSERT_TRUE(run_task(*scheduler, &offers, &updates, agent.id, "sleeper"));
  TempDir out;
  const uint16_t silent = free_port();  // nothing listens there
  const uint16_t silent_l4lb = free_port();
  const std::string bundle = out.path() + "/bundle.tar.gz";
  const std::vector<std::string> flags = {master_flag(), "--agent=127.0.0.1:" + std::to_string(agent.port),
                                          "--dns=127.0.0.1:" + std::to_string(silent),
                                          "--l4lb=127.0.0.1:" + std::to_string(silent_l4lb), "--timeout=2secs"};
  std::vector<std::string> argv = {cli_binary()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"--output=" + bundle, "node", "diagnostics"});
  auto [code, output] = run_program(argv);
  ASSERT_EQ(code, 0) << output;
  // Progress (stderr, plain lines here) and the summary table.
  EXPECT_NE(output.find("GET dcos-agent /health\n"), std::string::npos) << output;
  EXPECT_NE(output.find("bundle " + bundle + " ("), std::string::npos) << output;
  EXPECT_NE(output.find("\nUNHEALTHY  WHY\ndcos-dns   not answering at 127.0.0.1:" + std::to_string(silent) +
                        "/health: Connection refused\n"),
            std::string::npos)
      << output;

  ASSERT_EQ(run_program({"/bin/tar", "-xzf", bundle, "-C", out.path()}).first, 0);
  const std::string top = out.path() + "/bundle/";
  const json summary = read_json(top + "summary.json");
  ASSERT_TRUE(summary.is_object()) << output;
  ASSERT_EQ(summary["unhealthy"].size(), 2u) << summary.dump(2);
  EXPECT_EQ(summary["unhealthy"][0]["what"], "dcos-dns");
  EXPECT_EQ(summary["unhealthy"][1]["what"], "dcos-l4lb");
  EXPECT_FALSE(summary["healthy"].get<bool>());
  EXPECT_EQ(read_json(top + "endpoints/dcos-master_health.json").value("healthy", false), true);
  const json agent_health = read_json(top + "endpoints/dcos-agent_health.json");
  EXPECT_TRUE(agent_health.value("healthy", false));
  EXPECT_TRUE(agent_health.value("registered", false));
  EXPECT_EQ(read_json(top + "endpoints/dcos-master_master_state.json")["slaves"][0].value("id", ""), agent.id);
  EXPECT_EQ(read_json(top + "endpoints/dcos-agent_state.json").value("hostname", ""), "agent-d");
  EXPECT_NE(cli::read_text(top + "endpoints/dcos-master_metrics.txt").find("# TYPE"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(top + "endpoints/dcos-dns_health.json"));
  const json endpoints = read_json(top + "endpoints.json");
  ASSERT_TRUE(endpoints.is_array());
  ASSERT_EQ(endpoints.size(), 8u) << endpoints.dump(2);  // the master's 3, the agent's 3, each silent one's /health
  const json& dns = endpoints[6];
  EXPECT_EQ(dns["daemon"], "dcos-dns");
  EXPECT_FALSE(dns["answered"].get<bool>());
  EXPECT_EQ(dns["error"], "Connection refused");
  EXPECT_EQ(read_json(top + "versions.json")["daemons"].value("dcos-master", ""), DCOS_VERSION);
  EXPECT_EQ(read_json(top + "host.json").value("dcos_cli_version", ""), DCOS_VERSION);
  EXPECT_NE(read_json(top + "cgroups/layout.json").value("layout", ""), "");
  // The agent's --cgroups_root, with the task's container below it.
  const std::string subtree = cli::read_text(top + "cgroups/agent-subtree.txt");
  EXPECT_NE(subtree.find(agent.cgroups_root + "/"), std::string::npos) << subtree;
  EXPECT_NE(subtree.find("procs="), std::string::npos) << subtree;
  EXPECT_NE(cli::read_text(top + "cgroups/agent-processes.txt").find("pid " + std::to_string(agent.process->pid())),
            std::string::npos);
  if (sd_booted() <= 0) {
    EXPECT_NE(cli::read_text(top + "units/README.txt").find("systemd is not PID 1"), std::string::npos);
    EXPECT_EQ(summary["systemd"]["available"], false);
  }

  // --json: the summary alone on stdout, the progress on the other stream.
  const std::string second = out.path() + "/second.tar.gz";
  std::vector<std::string> args = flags;
  args.insert(args.end(), {"--json", "--output=" + second, "node", "diagnostics"});
  std::string stdout_text, stderr_text;
  ASSERT_EQ(cli::testing::run_dcos(args, stdout_text, stderr_text), 0) << stderr_text;
  const json parsed = json::parse(stdout_text, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << stdout_text;
  EXPECT_EQ(parsed["bundle"], second);
  ASSERT_EQ(parsed["unhealthy"].size(), 2u) << stdout_text;
  EXPECT_EQ(parsed["unhealthy"][0]["problem"],
            "not answering at 127.0.0.1:" + std::to_string(silent) + "/health: Connection refused");
  EXPECT_NE(stderr_text.find("cgroups\n"), std::string::npos) << stderr_text;
  EXPECT_TRUE(std::filesystem::exists(second));
}

}  // namespace
}  // namespace dcos::testing
