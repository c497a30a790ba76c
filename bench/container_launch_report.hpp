// What container-launch-bench reports: one Row per way of launching, the
// table for people, the JSON for programs, and the goal lines (ours
// against the floor, crun and runc). Pure functions of the rows; not
// thread-safe.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dcos::bench {

struct Row {
  std::string key;    // "floor", "library", ... (JSON and --rows)
  std::string label;  // for people
  std::vector<double> ms;  // one wall time per launch
  // CPU time of the launches (user + system, of this process's threads and
  // of the children it reaped, with what they reaped): the work a launch
  // costs the machine, wherever it ran. Kernel threads' share is not in it.
  double cpu_ms_total = 0;
  std::string skipped;     // why the row was not measured ("crun not found on PATH")
  std::string failed;      // why it stopped (the first failed launch)
  std::string note;        // said under the table
  // A row computed from two others (median of one minus the other's); no samples.
  bool derived = false;
  double derived_median = 0, derived_p90 = 0;
  std::size_t derived_count = 0;

  bool measured() const { return derived ? derived_median > 0 : !ms.empty(); }
  double median() const;
  double p90() const;
  std::size_t count() const { return derived ? derived_count : ms.size(); }
  // Sequential launches per second: count over the sum of the launch times
  // (for a derived row, 1000 / median).
  double per_second() const;
  // Mean CPU milliseconds per measured launch; 0 for a derived row.
  double cpu_per_launch() const { return derived || ms.empty() ? 0 : cpu_ms_total / static_cast<double>(ms.size()); }
};

struct Report {
  std::string host;  // "kernel 6.1, cgroup v1 (hybrid host), 2 CPUs"
  std::string limits;
  int warmup = 0;
  int rounds = 1;  // each row's launches in this many slices, rows taking turns
  std::vector<Row> rows;

  const Row* find(const std::string& key) const;
};

void print_table(std::ostream& out, const Report& report);
nlohmann::json to_json(const Report& report);

}  // namespace dcos::bench
