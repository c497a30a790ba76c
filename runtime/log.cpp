#include "runtime/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <utility>

#include "runtime/journal.hpp"

namespace dcos::log {
namespace {

struct Config {
  std::string program;
  bool journal = false;
};

// The level is read on every call, so it lives in an atomic: a filtered-out
// debug line costs one load, not a lock. The rest changes only in init().
std::atomic<Level> min_level{Level::info};
std::mutex config_mutex;
std::shared_ptr<const Config> config;  // guarded by config_mutex

// systemd sets $JOURNAL_STREAM to "<dev>:<inode>" of the stream it connected
// to our stderr. The variable is inherited by everything the service starts,
// so its mere presence proves nothing: a process whose stderr was redirected
// must keep writing there. systemd.exec(5) recommends this comparison.
bool stderr_is_journal_stream() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  std::string_view text(env);
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long dev = 0, ino = 0;
  auto parse = [](std::string_view part, unsigned long long* out) {
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), *out);
    return ec == std::errc() && end == part.data() + part.size() && !part.empty();
  };
  if (!parse(text.substr(0, colon), &dev) || !parse(text.substr(colon + 1), &ino)) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) < 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

// Checked once, at init, so that a daemon outside systemd (no journald)
// writes to stderr from its first line; a send that fails later falls back
// to stderr line by line.
bool journald_present() { return ::access(std::string(journal::kSocket).c_str(), F_OK) == 0; }

std::shared_ptr<const Config> make_config(std::string_view program, Sink sink) {
  auto made = std::make_shared<Config>();
  made->program = std::string(program);
  bool wanted = sink == Sink::journal || (sink == Sink::automatic && stderr_is_journal_stream());
  made->journal = wanted && journald_present();
  return made;
}

std::shared_ptr<const Config> current_config() {
  std::lock_guard lock(config_mutex);
  // A library may log before main() calls init(); it still gets a name.
  if (!config) config = make_config(program_invocation_short_name, Sink::automatic);
  return config;
}

int syslog_priority(Level level) {
  switch (level) {
    case Level::debug:
      return 7;
    case Level::info:
      return 6;
    case Level::warning:
      return 4;
    case Level::error:
      return 3;
  }
  return 6;
}

char level_letter(Level level) {
  switch (level) {
    case Level::debug:
      return 'D';
    case Level::info:
      return 'I';
    case Level::warning:
      return 'W';
    case Level::error:
      return 'E';
  }
  return '?';
}

bool send_to_journal(const Config& cfg, Level level, std::string_view message, std::initializer_list<Field> fields) {
  std::string entry;
  entry.reserve(64 + cfg.program.size() + message.size() + 32 * fields.size());
  journal::append_field(entry, "MESSAGE", message);
  const char priority[] = {static_cast<char>('0' + syslog_priority(level)), '\0'};
  journal::append_field(entry, "PRIORITY", priority);
  journal::append_field(entry, "SYSLOG_IDENTIFIER", cfg.program);
  for (const Field& field : fields) journal::append_field(entry, field.key, field.value);
  return journal::send(entry) == 0;
}

void append_timestamp(std::string& out) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  ::gmtime_r(&now.tv_sec, &utc);
  char buffer[40];
  size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  int millis = static_cast<int>(now.tv_nsec / 1000000);
  std::snprintf(buffer + length, sizeof buffer - length, ".%03dZ", millis);
  out += buffer;
}

// Control characters are escaped so that one record is always one line: a
// message or value carrying peer input cannot forge a second log line.
void append_escaped(std::string& out, std::string_view text, bool quoted) {
  static constexpr char hex[] = "0123456789abcdef";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (quoted && (c == '"' || c == '\\')) {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += quoted ? "\\t" : "\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    } else {
      out += c;
    }
  }
}

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte == 0x7f || c == '"') return true;
  }
  return false;
}

std::string format_line(const Config& cfg, Level level, std::string_view message, std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(40 + cfg.program.size() + message.size() + 32 * fields.size());
  append_timestamp(line);
  line += ' ';
  line += level_letter(level);
  line += ' ';
  line += cfg.program;
  line += ": ";
  append_escaped(line, message, false);
  for (const Field& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    if (needs_quotes(field.value)) {
      line += '"';
      append_escaped(line, field.value, true);
      line += '"';
    } else {
      line += field.value;
    }
  }
  line += '\n';
  return line;
}

// One write(2) per line keeps concurrent writers from interleaving. The loop
// only matters when the kernel accepts part of a line (a full pipe).
void write_stderr(const std::string& line) {
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      return;  // stderr is the last resort: there is nowhere to report this
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

}  // namespace

void init(std::string_view program, Level level, Sink sink) {
  auto made = make_config(program, sink);
  std::lock_guard lock(config_mutex);
  config = std::move(made);
  min_level.store(level, std::memory_order_relaxed);
}

bool parse_level(std::string_view text, Level* level) {
  // Case-insensitive, so Mesos habits such as --logging_level=INFO work too.
  static constexpr std::pair<std::string_view, Level> names[] = {
      {"debug", Level::debug}, {"info", Level::info}, {"warning", Level::warning}, {"error", Level::error}};
  for (const auto& [name, value] : names) {
    if (equals_ignoring_case(text, name)) {
      *level = value;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (level < min_level.load(std::memory_order_relaxed)) return;
  // Callers often log and then inspect errno; logging must not change it.
  int saved_errno = errno;
  std::shared_ptr<const Config> cfg = current_config();
  if (!cfg->journal || !send_to_journal(*cfg, level, message, fields)) {
    write_stderr(format_line(*cfg, level, message, fields));
  }
  errno = saved_errno;
}

}  // namespace dcos::log
