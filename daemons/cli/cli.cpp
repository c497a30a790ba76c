#include "daemons/cli/cli.hpp"

#include <unistd.h>

#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "daemons/cli/diagnostics.hpp"
#include "daemons/cli/master_client.hpp"
#include "daemons/cli/node_list.hpp"
#include "daemons/cli/task_commands.hpp"
#include "daemons/cli/task_kill.hpp"
#include "daemons/cli/task_log.hpp"
#include "daemons/cli/vip_list.hpp"
#include "runtime/flags.hpp"

namespace dcos::cli {
namespace {

constexpr const char* kSummary =
    "The cluster's command-line tool: tables for people, --json for programs.\n"
    "\n"
    "Commands:\n"
    "  node diagnostics [--output=FILE] [--agent=HOST:PORT] [--dns=HOST:PORT] [--l4lb=HOST:PORT]\n"
    "                   [--lines=N] [--timeout=DURATION]\n"
    "                            Bundle this node's units, journals, daemons' endpoints,\n"
    "                            versions and cgroups in a tar.gz; summarize what is unhealthy\n"
    "  node list                 List the agents: hostname, IP, id, status, resources\n"
    "  task kill ID [--framework=FID] [--grace=DURATION] [--timeout=DURATION]\n"
    "                            Kill a task of any framework, wait until it has ended,\n"
    "                            exit 0 if it was killed (or had already ended)\n"
    "  task list [--all]         List the tasks (--all: with the completed ones)\n"
    "  task log ID [--follow] [--stderr]\n"
    "                            Print a task's stdout (or stderr), read from its agent\n"
    "  task run --name N [--cpus C] [--mem MB] -- CMD [ARGS...]\n"
    "                            Run one task through the master as a one-shot framework,\n"
    "                            print its states, exit 0 if it finished\n"
    "  vip list [--l4lb=HOST:PORT] List the VIPs this node's dcos-l4lb programs: name,\n"
    "                            framework, protocol, address, backends";

struct Options {
  MasterAddress master;
  bool json = false;
  bool all = false;
  TaskRunOptions run;
  TaskLogOptions log;
  TaskKillOptions kill;
  Duration grace{};
  L4lbAddress l4lb;
  DiagnosticsOptions diagnostics;
  int64_t lines = 200;
};

constexpr int64_t kMaxJournalLines = 10000;

// A daemon's "HOST:PORT" (or "HOST", meaning `default_port`) for a flag.
std::function<Result<void>(std::string_view)> address_flag(DaemonAddress* target, uint16_t default_port) {
  return [target, default_port](std::string_view text) -> Result<void> {
    auto split = http::split_host_port(std::string(text), default_port);
    if (!split) return split.error();
    *target = {split->first, split->second};
    return {};
  };
}

int usage_error(std::ostream& err, const std::string& message) {
  err << "dcos: " << message << "\n";
  return 2;
}

int node_list(const Options& options, std::ostream& out, std::ostream& err) {
  auto state = fetch_state(options.master);
  if (!state) {
    err << "dcos: " << state.error().message << "\n";
    return 1;
  }
  auto agents = agents_from_state(*state);
  if (!agents) {
    err << "dcos: bad state from master at " << options.master.text() << ": " << agents.error().message << "\n";
    return 1;
  }
  out << (options.json ? node_json(*agents) : node_table(*agents));
  return 0;
}

int task_list(const Options& options, std::ostream& out, std::ostream& err) {
  auto state = fetch_state(options.master);
  if (!state) {
    err << "dcos: " << state.error().message << "\n";
    return 1;
  }
  auto tasks = tasks_from_state(*state, options.all);
  if (!tasks) {
    err << "dcos: bad state from master at " << options.master.text() << ": " << tasks.error().message << "\n";
    return 1;
  }
  out << (options.json ? task_json(*tasks) : task_table(*tasks));
  return 0;
}

int task(const std::vector<std::string>& words, Options options, std::ostream& out, std::ostream& err) {
  if (words.size() < 2) return usage_error(err, "'dcos task' needs a subcommand: kill, list, log, run (see --help)");
  if (words[1] == "kill") {
    if (words.size() != 3) return usage_error(err, "'dcos task kill' needs one task id (see --help)");
    if (options.kill.timeout <= Duration::zero()) return usage_error(err, "--timeout must be more than 0");
    options.kill.task_id = words[2];
    // Progress rewrites its line only on a terminal, not in a pipe or a log.
    const bool in_place = &out == &std::cout && ::isatty(STDOUT_FILENO);
    return task_kill(options.master, options.kill, options.json, in_place, out, err);
  }
  if (words[1] == "list") {
    if (words.size() > 2) return usage_error(err, "unexpected argument '" + words[2] + "' (see --help)");
    return task_list(options, out, err);
  }
  if (words[1] == "log") {
    if (words.size() != 3) return usage_error(err, "'dcos task log' needs one task id (see --help)");
    options.log.task_id = words[2];
    return task_log(options.master, options.log, out, err);
  }
  if (words[1] != "run") return usage_error(err, "unknown command 'task " + words[1] + "' (see --help)");
  options.run.command.assign(words.begin() + 2, words.end());
  if (options.run.command.empty()) return usage_error(err, "'dcos task run' needs a command after '--'");
  if (options.run.name.empty()) return usage_error(err, "'dcos task run' needs --name");
  if (!(options.run.cpus > 0) || !(options.run.mem > 0))
    return usage_error(err, "--cpus and --mem must be more than 0");
  return task_run(options.master, options.run, options.json, out, err);
}

int vip(const std::vector<std::string>& words, const Options& options, std::ostream& out, std::ostream& err) {
  if (words.size() < 2 || words[1] != "list")
    return usage_error(err, "'dcos vip' needs a subcommand: list (see --help)");
  if (words.size() > 2) return usage_error(err, "unexpected argument '" + words[2] + "' (see --help)");
  auto vips = fetch_vips(options.l4lb);
  if (!vips) {
    err << "dcos: " << vips.error().message << "\n";
    return 1;
  }
  out << (options.json ? vip_json(*vips) : vip_table(*vips));
  return 0;
}

// Runs the command named by the positional words, or says why it cannot.
int dispatch(const std::vector<std::string>& words, const Options& options, std::ostream& out, std::ostream& err) {
  if (words.empty()) return usage_error(err, "no command given, e.g. 'dcos node list' (see --help)");
  if (words[0] == "task") return task(words, options, out, err);
  if (words[0] == "vip") return vip(words, options, out, err);
  if (words[0] != "node") return usage_error(err, "unknown command '" + words[0] + "' (see --help)");
  if (words.size() < 2) return usage_error(err, "'dcos node' needs a subcommand: diagnostics, list (see --help)");
  if (words[1] != "list" && words[1] != "diagnostics")
    return usage_error(err, "unknown command 'node " + words[1] + "' (see --help)");
  if (words.size() > 2) return usage_error(err, "unexpected argument '" + words[2] + "' (see --help)");
  if (words[1] == "list") return node_list(options, out, err);
  if (options.lines < 1 || options.lines > kMaxJournalLines)
    return usage_error(err, "--lines must be 1 to " + std::to_string(kMaxJournalLines));
  if (options.diagnostics.timeout <= std::chrono::milliseconds::zero())
    return usage_error(err, "--timeout must be 1ms or more");
  DiagnosticsOptions diagnostics = options.diagnostics;
  diagnostics.master = {options.master.host, options.master.port};
  diagnostics.l4lb = {options.l4lb.host, options.l4lb.port};
  diagnostics.journal.entries = static_cast<size_t>(options.lines);
  // Progress goes to stderr (stdout is the summary); in place on a terminal.
  const bool in_place = &err == &std::cerr && ::isatty(STDERR_FILENO);
  return node_diagnostics(diagnostics, options.json, in_place, out, err);
}

}  // namespace

int run(int argc, const char* const* argv, const char* const* environment, std::ostream& out, std::ostream& err) {
  Options options;
  FlagSet flags("dcos", kSummary);
  flags.add("master", "The leading master's HOST:PORT (or $DCOS_MASTER)", options.master.text(),
            [&options](std::string_view text) -> Result<void> {
              auto address = parse_master_address(std::string(text));
              if (!address) return address.error();
              options.master = std::move(*address);
              return {};
            });
  flags.add("l4lb", "vip list: the node's dcos-l4lb, HOST:PORT (or $DCOS_L4LB)", options.l4lb.text(),
            [&options](std::string_view text) -> Result<void> {
              auto address = parse_l4lb_address(std::string(text));
              if (!address) return address.error();
              options.l4lb = std::move(*address);
              return {};
            });
  flags.add("json", "Print JSON for programs instead of a table", &options.json);
  flags.add("all", "task list: the completed tasks too", &options.all);
  flags.add("name", "task run: the task's name", &options.run.name);
  flags.add("follow", "task log: keep printing what the task writes, until Ctrl-C", &options.log.follow);
  flags.add("stderr", "task log: the task's stderr instead of its stdout", &options.log.stderr_file);
  flags.add("framework", "task kill: the task's framework id (when the id is in several)", &options.kill.framework_id);
  flags.add("grace", "task kill: time between SIGTERM and SIGKILL (default: the task's kill policy)", &options.grace);
  flags.add("timeout", "task kill: how long to wait for the task to end; node diagnostics: for each endpoint (2secs)",
            &options.kill.timeout);
  flags.add("output", "node diagnostics: the bundle's file (default dcos-diagnostics-HOST-TIME.tar.gz here)",
            &options.diagnostics.output);
  flags.add("agent", "node diagnostics: this node's agent, HOST:PORT", "127.0.0.1:5051",
            address_flag(&options.diagnostics.agent, 5051));
  flags.add("dns", "node diagnostics: this node's dcos-dns HTTP endpoints, HOST:PORT", "127.0.0.1:8123",
            address_flag(&options.diagnostics.dns, 8123));
  flags.add("lines", "node diagnostics: the last N journal entries of each unit", &options.lines);
  flags.add("cpus", "task run: cpus for the task", &options.run.cpus);
  flags.add("mem", "task run: memory for the task, in MiB", &options.run.mem);
  flags.allow_spaced_values();
  if (auto parsed = flags.parse(argc, argv, environment); !parsed) return usage_error(err, parsed.error().message);
  if (flags.was_set("grace")) options.kill.grace = options.grace;
  if (flags.was_set("timeout"))
    options.diagnostics.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.kill.timeout);
  if (flags.help_requested()) {
    out << flags.usage();
    return 0;
  }
  return dispatch(flags.positional(), options, out, err);
}

}  // namespace dcos::cli
