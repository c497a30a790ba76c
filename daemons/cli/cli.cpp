#include "daemons/cli/cli.hpp"

#include <string>
#include <vector>

#include "daemons/cli/master_client.hpp"
#include "daemons/cli/node_list.hpp"
#include "runtime/flags.hpp"

namespace dcos::cli {
namespace {

constexpr const char* kSummary =
    "The cluster's command-line tool: tables for people, --json for programs.\n"
    "\n"
    "Commands:\n"
    "  node list    List the agents: hostname, IP, id, status, resources";

struct Options {
  MasterAddress master;
  bool json = false;
};

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

// Runs the command named by the positional words, or says why it cannot.
int dispatch(const std::vector<std::string>& words, const Options& options, std::ostream& out, std::ostream& err) {
  if (words.empty()) return usage_error(err, "no command given, e.g. 'dcos node list' (see --help)");
  if (words[0] != "node") return usage_error(err, "unknown command '" + words[0] + "' (see --help)");
  if (words.size() < 2) return usage_error(err, "'dcos node' needs a subcommand: list (see --help)");
  if (words[1] != "list") return usage_error(err, "unknown command 'node " + words[1] + "' (see --help)");
  if (words.size() > 2) return usage_error(err, "unexpected argument '" + words[2] + "' (see --help)");
  return node_list(options, out, err);
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
  flags.add("json", "Print JSON for programs instead of a table", &options.json);
  if (auto parsed = flags.parse(argc, argv, environment); !parsed) return usage_error(err, parsed.error().message);
  if (flags.help_requested()) {
    out << flags.usage();
    return 0;
  }
  return dispatch(flags.positional(), options, out, err);
}

}  // namespace dcos::cli
