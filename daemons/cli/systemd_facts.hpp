// What systemd knows of the node's units, for `dcos node diagnostics`:
// each unit's properties as `systemctl show` lists them (every interface's,
// read with sd-bus from the manager) and the last entries of its journal
// (read with sd-journal from the journal files, as `journalctl -u UNIT -o
// json` would give them).
//
// Blocking; each call opens its own connection or journal, so calls are
// thread-safe. Sizes are bounded (see JournalLimits).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/result.hpp"

namespace dcos::cli {

// The units diagnostics looks at whether they are loaded or not.
const std::vector<std::string>& known_units();

// Whether systemd is this system's init (sd_booted()); "" if it is, else
// a sentence saying it is not, for the bundle and the summary.
std::string systemd_absent_reason();

struct UnitFacts {
  std::string name;
  nlohmann::json properties;  // property name -> value; an object
  std::string error;          // why the properties could not be read
};

// The names of the loaded units matching "dcos-*" together with
// known_units(), each unit once, then the properties of each; an error
// only when the manager cannot be reached at all.
Result<std::vector<UnitFacts>> read_units();

struct JournalLimits {
  size_t entries = 200;             // the last this many entries
  size_t bytes = 4 * 1024 * 1024;   // of JSON, at most (older entries go first)
  size_t field_bytes = 8 * 1024;    // each field's value, at most (then cut, "...")
};

struct UnitJournal {
  std::vector<nlohmann::json> entries;  // oldest first; field -> value (strings)
  bool cut = false;                     // older entries were left out for `bytes`
};

// The unit's own entries (_SYSTEMD_UNIT=) and systemd's about it (UNIT=
// from PID 1), newest last.
Result<UnitJournal> read_unit_journal(const std::string& unit, const JournalLimits& limits);

// One line per entry: "<time> <identifier>[<pid>]: <message>", as
// `journalctl -o short-iso` shows it.
std::string journal_text(const UnitJournal& journal);

}  // namespace dcos::cli
