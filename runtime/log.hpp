// Structured logging for every daemon.
//
// Under systemd (when $JOURNAL_STREAM names our stderr), each line goes to
// journald through sd_journal_send with its fields as journal fields
// (MESSAGE=, PRIORITY=, SYSLOG_IDENTIFIER=, plus e.g. AGENT_ID=), so
// `journalctl -u dcos-agent AGENT_ID=...` finds an agent's story. Otherwise
// lines go to stderr as
//   2026-11-27T09:30:01.123Z I dcos-master: agent registered AGENT_ID=... PEER=...
// Field keys are journal field names: upper case letters, digits, '_'.
// Thread-safe: a line is written with one call.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace dcos::log {

enum class Level { debug, info, warning, error };

struct Field {
  std::string_view key;
  std::string value;
};

enum class Sink { automatic, journal, stderr_text };

// Sets the program name (SYSLOG_IDENTIFIER) and the least level written.
// Sink::automatic picks the journal when $JOURNAL_STREAM matches stderr.
void init(std::string_view program, Level min_level = Level::info, Sink sink = Sink::automatic);

// Parses "debug", "info", "warning", "error".
bool parse_level(std::string_view text, Level* level);

void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::info, m, f); }
inline void warning(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::warning, m, f); }
inline void error(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::error, m, f); }

}  // namespace dcos::log
