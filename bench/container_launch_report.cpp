#include "bench/container_launch_report.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <optional>
#include <ostream>

namespace dcos::bench {
namespace {

using nlohmann::json;

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(rank, values.size() - 1)];
}

// A comparison the brief sets a goal for (or, with goal 0, one for scale).
struct Comparison {
  std::string name;     // "library vs crun"
  std::string ours;     // row keys
  std::string theirs;
  bool faster = false;  // "N.NNx faster" (theirs / ours) rather than "N.NNx" (ours / theirs)
  double goal = 0;      // faster: at least; else at most; 0: none
  std::string what;     // which rows, for people
};

std::vector<Comparison> comparisons(const Report& report) {
  const std::string crun = report.find("crun-net") ? "crun-net" : "crun";
  const std::string crun_what = crun == "crun-net" ? "crun run minus the unshare wrapper" : "crun run";
  return {
      {"library vs floor", "library", "floor", false, 1.5, "ours on the host's file system vs the floor"},
      {"library vs crun", "rootfs", crun, true, 3, "ours with a root file system vs " + crun_what},
      {"library vs runc", "rootfs", "runc", true, 10, "ours with a root file system vs runc run"},
      {"CLI vs floor", "cli", "floor", false, 0, "a dcos-container process per launch vs the floor"},
      {"CLI vs crun", "cli", crun, true, 0, "a dcos-container process per launch vs " + crun_what},
      {"CLI vs runc", "cli", "runc", true, 0, "a dcos-container process per launch vs runc run"},
  };
}

// The ratio, or a reason why there is none.
std::optional<double> ratio_of(const Report& report, const Comparison& c, std::string& why) {
  const Row* ours = report.find(c.ours);
  const Row* theirs = report.find(c.theirs);
  for (const Row* row : {ours, theirs}) {
    if (!row) {
      why = "not measured (see --rows)";
      return std::nullopt;
    }
    if (!row->measured()) {
      why = row->label + " " + (row->skipped.empty() ? "failed" : "skipped") + ": " +
            (row->skipped.empty() ? row->failed : row->skipped);
      return std::nullopt;
    }
  }
  return c.faster ? theirs->median() / ours->median() : ours->median() / theirs->median();
}

std::string comparison_line(const Report& report, const Comparison& c) {
  std::string why;
  const auto ratio = ratio_of(report, c, why);
  char text[512];
  if (!ratio) {
    std::snprintf(text, sizeof text, "%s: n/a (%s)", c.name.c_str(), why.c_str());
    return text;
  }
  std::string goal;
  if (c.goal > 0) {
    const bool met = c.faster ? *ratio >= c.goal : *ratio <= c.goal;
    char goal_text[64];
    std::snprintf(goal_text, sizeof goal_text, " (goal %s %gx): %s", c.faster ? ">=" : "<=", c.goal,
                  met ? "met" : "MISSED");
    goal = goal_text;
  }
  // Two decimals, so that a ratio just below its goal does not print as the goal.
  if (c.faster)
    std::snprintf(text, sizeof text, "%s: %.2fx %s%s; %s", c.name.c_str(), *ratio >= 1 ? *ratio : 1 / *ratio,
                  *ratio >= 1 ? "faster" : "slower", goal.c_str(), c.what.c_str());
  else
    std::snprintf(text, sizeof text, "%s: %.2fx%s; %s", c.name.c_str(), *ratio, goal.c_str(), c.what.c_str());
  return text;
}

}  // namespace

double Row::median() const { return derived ? derived_median : percentile(ms, 0.5); }
double Row::p90() const { return derived ? derived_p90 : percentile(ms, 0.9); }
double Row::per_second() const {
  if (derived) return derived_median > 0 ? 1000.0 / derived_median : 0;
  const double total = std::accumulate(ms.begin(), ms.end(), 0.0);
  return total > 0 ? 1000.0 * static_cast<double>(ms.size()) / total : 0;
}

const Row* Report::find(const std::string& key) const {
  for (const auto& row : rows)
    if (row.key == key) return &row;
  return nullptr;
}

void print_table(std::ostream& out, const Report& report) {
  const Row* floor = report.find("floor");
  const double floor_ms = floor && floor->measured() ? floor->median() : 0;
  char line[512];
  out << "container launch of /bin/true, sequential; " << report.limits << "\n" << report.host << "\n";
  std::snprintf(line, sizeof line, "%-46s %6s %10s %9s %11s %9s %11s\n", "row", "count", "median ms", "p90 ms",
                "launches/s", "vs floor", "cpu ms mean");
  out << line;
  for (const auto& row : report.rows) {
    if (!row.measured()) {
      const std::string why = row.skipped.empty() ? "failed: " + row.failed : "skipped: " + row.skipped;
      std::snprintf(line, sizeof line, "%-46s %s\n", row.label.c_str(), why.c_str());
      out << line;
      continue;
    }
    char ratio[32] = "-";
    if (floor_ms > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", row.median() / floor_ms);
    char cpu[32] = "-";
    if (row.cpu_per_launch() > 0) std::snprintf(cpu, sizeof cpu, "%.2f", row.cpu_per_launch());
    std::snprintf(line, sizeof line, "%-46s %6zu %10.2f %9.2f %11.1f %9s %11s\n", row.label.c_str(), row.count(),
                  row.median(), row.p90(), row.per_second(), ratio, cpu);
    out << line;
    if (!row.failed.empty()) out << "  (stopped early: " << row.failed << ")\n";
  }
  for (const auto& row : report.rows)
    if (!row.note.empty() && row.measured()) out << "* " << row.label << ": " << row.note << "\n";
  out << "* launches one at a time; each row's in " << report.rounds << " slice" << (report.rounds == 1 ? "" : "s")
      << (report.rounds > 1 ? ", the rows taking turns (same background load for all)" : "");
  if (report.warmup > 0) out << "; " << report.warmup << " unmeasured warm-up launches before each row's first";
  out << "\n* cpu ms mean: user + system time per launch, of this process and the children it reaped (the\n"
         "  runtimes, supervisors, containers), kernel threads not counted\n";
  for (const auto& c : comparisons(report)) out << comparison_line(report, c) << "\n";
}

json to_json(const Report& report) {
  const Row* floor = report.find("floor");
  const double floor_ms = floor && floor->measured() ? floor->median() : 0;
  json rows = json::array();
  for (const auto& row : report.rows) {
    json entry = {{"row", row.key}, {"label", row.label}};
    if (!row.skipped.empty()) entry["skipped"] = row.skipped;
    if (!row.failed.empty()) entry["failed"] = row.failed;
    if (row.measured()) {
      entry["count"] = row.count();
      entry["median_ms"] = row.median();
      entry["p90_ms"] = row.p90();
      entry["launches_per_second"] = row.per_second();
      if (floor_ms > 0) entry["ratio_vs_floor"] = row.median() / floor_ms;
      if (row.cpu_per_launch() > 0) entry["cpu_ms_per_launch"] = row.cpu_per_launch();
    }
    if (row.derived) entry["derived"] = true;
    if (!row.note.empty()) entry["note"] = row.note;
    rows.push_back(entry);
  }
  json goals = json::array();
  for (const auto& c : comparisons(report)) {
    std::string why;
    const auto ratio = ratio_of(report, c, why);
    json entry = {{"name", c.name}, {"ours", c.ours}, {"theirs", c.theirs}, {"what", c.what}};
    entry["ratio"] = ratio ? json(*ratio) : json();
    entry["ratio_is"] = c.faster ? "theirs/ours (times faster)" : "ours/theirs";
    if (!ratio) entry["why_none"] = why;
    if (c.goal > 0) {
      entry["goal"] = c.goal;
      entry["met"] = ratio ? json(c.faster ? *ratio >= c.goal : *ratio <= c.goal) : json();
    }
    goals.push_back(entry);
  }
  return {{"benchmark", "container-launch"}, {"host", report.host},   {"limits", report.limits},
          {"warmup", report.warmup}, {"rounds", report.rounds},          {"rows", rows},          {"comparisons", goals}};
}

}  // namespace dcos::bench
