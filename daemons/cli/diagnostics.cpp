#include "daemons/cli/diagnostics.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <set>

#include "daemons/cli/bundle.hpp"
#include "daemons/cli/terminal.hpp"

namespace dcos::cli {
namespace {

using nlohmann::json;

// Data from the network or the journal may hold any bytes: bad UTF-8 is
// replaced, not an exception.
std::string dump(const json& value) { return value.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

std::string property(const json& properties, const char* name) {
  const auto it = properties.find(name);
  if (it == properties.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// "endpoints/dcos-master_master_state.json" for GET /master/state.
std::string endpoint_file(const Probe& probe) {
  std::string name = probe.path;
  for (char& c : name)
    if (c == '/') c = '_';
  return "endpoints/" + probe.daemon + name + (probe.path == "/metrics" ? ".txt" : ".json");
}

std::string iso_time(std::time_t seconds) {
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return stamp;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

json host_json(const std::string& host, const std::string& time) {
  json out = {{"hostname", host}, {"time", time}, {"dcos_cli_version", DCOS_VERSION}};
  struct utsname names {};
  if (::uname(&names) == 0)
    out["kernel"] = std::string(names.sysname) + " " + names.release + " " + names.version + " " + names.machine;
  return out;
}

// The problem a daemon's /health body tells of, "" if none.
std::string health_problem(const Probe& probe) {
  const json body = json::parse(probe.body, nullptr, false);
  if (!body.is_object()) return "GET /health answered something that is not a JSON object";
  if (!body.value("healthy", false)) return "reports itself unhealthy: " + body.value("message", std::string("(no message)"));
  if (probe.daemon == "dcos-agent" && body.contains("registered") && !body.value("registered", true))
    return "not registered with a master";
  if (probe.daemon == "dcos-dns" && body.contains("master_reachable") && !body.value("master_reachable", true))
    return "cannot reach the master: " + body.value("message", std::string("(no message)"));
  return "";
}

class Collector {
 public:
  Collector(const DiagnosticsOptions& options, Bundle& bundle, StatusLine& progress)
      : options_(options), bundle_(bundle), progress_(progress) {}

  Result<void> add(const std::string& name, const std::string& content) { return bundle_.add(name, content); }

  // Units and their journals; the units' facts for the summary.
  Result<std::vector<UnitFacts>> units(std::string& absent) {
    absent = systemd_absent_reason();
    std::vector<UnitFacts> units;
    std::vector<std::string> names = known_units();
    if (absent.empty()) {
      progress_.show("systemd: the dcos units");
      auto read = read_units();
      if (!read) absent = "cannot read the units from systemd: " + read.error().message;
      else units = std::move(*read);
    }
    std::string readme = absent.empty() ? "" : absent + "\n";
    if (absent.empty()) {
      names.clear();
      for (const auto& unit : units) {
        names.push_back(unit.name);
        json facts = unit.properties;
        if (!unit.error.empty()) facts = {{"error", unit.error}};
        if (auto added = add("units/" + unit.name + ".json", dump(facts)); !added) return added.error();
      }
    }
    for (const auto& name : names) {
      progress_.show("journal: " + name);
      auto journal = read_unit_journal(name, options_.journal);
      if (!journal) {
        readme += "journal of " + name + ": " + journal.error().message + "\n";
        continue;
      }
      if (journal->entries.empty()) {
        readme += "journal of " + name + ": no entries\n";
        continue;
      }
      std::string lines;
      for (const auto& entry : journal->entries) lines += entry.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
      if (auto added = add("journal/" + name + ".jsonl", lines); !added) return added.error();
      if (auto added = add("journal/" + name + ".txt", journal_text(*journal)); !added) return added.error();
    }
    if (!readme.empty())
      if (auto added = add("units/README.txt", readme); !added) return added.error();
    return units;
  }

  Result<std::vector<Probe>> endpoints() {
    const struct {
      const char* daemon;
      DaemonAddress address;
      std::vector<std::string> paths;
    } daemons[] = {{"dcos-master", options_.master, {"/health", "/master/state", "/metrics"}},
                   {"dcos-agent", options_.agent, {"/health", "/state", "/metrics"}},
                   {"dcos-dns", options_.dns, {"/health", "/metrics"}},
                   {"dcos-l4lb", options_.l4lb, {"/health", "/vips", "/metrics"}}};
    std::vector<Probe> probes;
    json listing = json::array();
    for (const auto& daemon : daemons) {
      for (const auto& path : daemon.paths) {
        progress_.show("GET " + std::string(daemon.daemon) + " " + path);
        probes.push_back(probe(daemon.daemon, daemon.address.host, daemon.address.port, path, options_.timeout));
        listing.push_back(probe_json(probes.back()));
        // A daemon that does not answer /health is not asked the rest.
        if (!probes.back().answered) break;
        if (auto added = add(endpoint_file(probes.back()), probes.back().body); !added) return added.error();
      }
    }
    if (auto added = add("endpoints.json", dump(listing)); !added) return added.error();
    return probes;
  }

  Result<void> versions(const std::vector<Probe>& probes) {
    progress_.show("versions: dpkg-query");
    json daemons = json::object();
    for (const auto& probe : probes) {
      if (!probe.answered || probe.path.find("state") == std::string::npos) continue;
      const json state = json::parse(probe.body, nullptr, false);
      if (state.is_object() && state.contains("version")) daemons[probe.daemon] = state["version"];
    }
    const json out = {{"dcos", DCOS_VERSION}, {"daemons", daemons}, {"packages", package_versions()}};
    return add("versions.json", dump(out));
  }

  Result<void> cgroups(const std::vector<UnitFacts>& units, const std::vector<Probe>& probes) {
    progress_.show("cgroups");
    auto layout = cgroup_layout_json();
    if (auto added = add("cgroups/layout.json", layout ? dump(*layout) : layout.error().message + "\n"); !added)
      return added.error();
    // The agent's cgroups: its --cgroups_root, its unit's cgroup, else the default.
    std::vector<std::string> roots;
    for (const auto& probe : probes) {
      if (probe.daemon != "dcos-agent" || probe.path != "/state" || !probe.answered) continue;
      const json state = json::parse(probe.body, nullptr, false);
      if (state.is_object() && state.contains("flags") && state["flags"].is_object())
        if (const std::string root = state["flags"].value("cgroups_root", ""); !root.empty()) roots.push_back(root);
    }
    for (const auto& unit : units)
      if (unit.name == "dcos-agent.service")
        if (const std::string group = property(unit.properties, "ControlGroup"); !group.empty())
          roots.push_back(group);
    if (roots.empty()) roots.push_back("/dcos");
    if (auto added = add("cgroups/agent-subtree.txt", cgroup_subtree_text(roots)); !added) return added.error();
    return add("cgroups/agent-processes.txt", process_cgroups_text("dcos-agent"));
  }

 private:
  const DiagnosticsOptions& options_;
  Bundle& bundle_;
  StatusLine& progress_;
};

}  // namespace

std::vector<Problem> unit_problems(const std::vector<UnitFacts>& units) {
  std::vector<Problem> out;
  for (const auto& unit : units) {
    if (!unit.error.empty()) {
      out.push_back({unit.name, "cannot read its state: " + unit.error});
      continue;
    }
    const json& p = unit.properties;
    const std::string load = property(p, "LoadState"), active = property(p, "ActiveState"),
                      sub = property(p, "SubState"), restarts = property(p, "NRestarts");
    if (load == "not-found") continue;  // not installed on this node
    std::string detail;
    if (const std::string result = property(p, "Result"); !result.empty() && result != "success")
      detail += ", result " + result;
    if (const std::string status = property(p, "ExecMainStatus"); !status.empty() && status != "0")
      detail += ", exit status " + status;
    if (const std::string text = property(p, "StatusText"); !text.empty()) detail += ", status \"" + text + "\"";
    if (load != "loaded") out.push_back({unit.name, "cannot be loaded (" + load + ")"});
    else if (active == "failed") out.push_back({unit.name, "failed" + detail});
    else if (sub == "auto-restart") out.push_back({unit.name, "restarting after a failure" + detail});
    if (!restarts.empty() && restarts != "0")
      out.push_back({unit.name, "restarted " + restarts + " times by systemd since it was started"});
  }
  return out;
}

std::vector<Problem> probe_problems(const std::vector<Probe>& probes, const std::vector<UnitFacts>& units) {
  std::set<std::string> not_installed;
  for (const auto& unit : units)
    if (property(unit.properties, "LoadState") == "not-found") not_installed.insert(unit.name);
  std::vector<Problem> out;
  for (const auto& probe : probes) {
    if (not_installed.contains(probe.daemon + ".service")) continue;
    if (!probe.answered) {
      out.push_back({probe.daemon, "not answering at " + probe.address + probe.path + ": " + probe.error});
      continue;
    }
    if (probe.status != 200) {
      out.push_back({probe.daemon, "GET " + probe.path + " answered HTTP " + std::to_string(probe.status)});
      continue;
    }
    if (probe.path != "/health") continue;
    if (const std::string problem = health_problem(probe); !problem.empty()) out.push_back({probe.daemon, problem});
  }
  return out;
}

json summary_json(const Summary& summary) {
  json unhealthy = json::array();
  for (const auto& problem : summary.unhealthy) unhealthy.push_back({{"what", problem.what}, {"problem", problem.problem}});
  json systemd = {{"available", summary.systemd_absent.empty()}};
  if (!summary.systemd_absent.empty()) systemd["reason"] = summary.systemd_absent;
  return {{"bundle", summary.bundle}, {"host", summary.host},     {"time", summary.time},
          {"files", summary.files},   {"systemd", systemd},       {"healthy", summary.unhealthy.empty()},
          {"unhealthy", unhealthy}};
}

std::string summary_text(const Summary& summary) {
  std::string out = "bundle " + printable(summary.bundle) + " (" + std::to_string(summary.files) + " files)\n";
  if (!summary.systemd_absent.empty()) out += "units: " + printable(summary.systemd_absent) + "\n";
  if (summary.unhealthy.empty()) return out + "nothing unhealthy found\n";
  Table table({{"UNHEALTHY"}, {"WHY"}});
  for (const auto& problem : summary.unhealthy) table.add_row({problem.what, problem.problem});
  return out + table.text();
}

int node_diagnostics(const DiagnosticsOptions& options, bool json_output, bool in_place, std::ostream& out,
                     std::ostream& progress_stream) {
  const std::time_t now = std::time(nullptr);
  Summary summary;
  summary.host = host_name();
  summary.time = iso_time(now);
  summary.bundle = options.output.empty() ? default_bundle_name(summary.host, now) : options.output;
  auto bundle = Bundle::create(summary.bundle);
  if (!bundle) {
    progress_stream << "dcos: cannot write the bundle: " << bundle.error().message << "\n";
    return 1;
  }
  StatusLine progress(progress_stream, in_place);
  Collector collect(options, **bundle, progress);
  const auto failed = [&](const Error& error) {
    progress.clear();
    progress_stream << "dcos: cannot write the bundle: " << error.message << "\n";
    return 1;
  };
  if (auto added = collect.add("host.json", dump(host_json(summary.host, summary.time))); !added)
    return failed(added.error());
  auto units = collect.units(summary.systemd_absent);
  if (!units) return failed(units.error());
  auto probes = collect.endpoints();
  if (!probes) return failed(probes.error());
  if (auto added = collect.versions(*probes); !added) return failed(added.error());
  if (auto added = collect.cgroups(*units, *probes); !added) return failed(added.error());

  summary.unhealthy = unit_problems(*units);
  for (auto& problem : probe_problems(*probes, *units)) summary.unhealthy.push_back(std::move(problem));
  summary.files = (*bundle)->files() + 1;
  progress.show("writing " + summary.bundle);
  if (auto added = collect.add("summary.json", dump(summary_json(summary))); !added) return failed(added.error());
  if (auto finished = (*bundle)->finish(); !finished) return failed(finished.error());
  progress.clear();
  out << (json_output ? dump(summary_json(summary)) : summary_text(summary));
  return 0;
}

}  // namespace dcos::cli
