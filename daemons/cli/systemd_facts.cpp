#include "daemons/cli/systemd_facts.hpp"

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <set>

namespace dcos::cli {
namespace {

using nlohmann::json;

constexpr const char* kManagerService = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManagerInterface = "org.freedesktop.systemd1.Manager";
constexpr uint64_t kCallTimeoutUsec = 5'000'000;
// D-Bus allows 64 levels of nesting; systemd's properties use a handful.
constexpr int kMaxDepth = 16;

struct BusUnref {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
struct MessageUnref {
  void operator()(sd_bus_message* message) const { sd_bus_message_unref(message); }
};
struct JournalClose {
  void operator()(sd_journal* journal) const { sd_journal_close(journal); }
};
using Bus = std::unique_ptr<sd_bus, BusUnref>;
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;

// An sd_bus_error that frees itself.
struct BusError {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  ~BusError() { sd_bus_error_free(&error); }
  std::string text(int r) const {
    return error.message != nullptr ? std::string(error.message) : std::string(std::strerror(r < 0 ? -r : r));
  }
};

Error bus_error(const std::string& what, int r) { return Error{what + ": " + std::strerror(r < 0 ? -r : r)}; }

// The system bus, or systemd's private socket (root may use it when no
// D-Bus broker runs, as systemctl does).
Result<Bus> connect_manager() {
  sd_bus* raw = nullptr;
  int r = sd_bus_open_system(&raw);
  if (r < 0) {
    r = sd_bus_new(&raw);
    if (r >= 0) r = sd_bus_set_address(raw, "unix:path=/run/systemd/private");
    if (r >= 0) r = sd_bus_start(raw);
    if (r < 0) {
      if (raw != nullptr) sd_bus_unref(raw);
      return bus_error("connect to systemd (the system bus, then /run/systemd/private)", r);
    }
  }
  Bus bus(raw);
  (void)sd_bus_set_method_call_timeout(bus.get(), kCallTimeoutUsec);
  return bus;
}

int read_value(sd_bus_message* m, json& out, int depth);

// A container's members, after its enter: an array, or an object for a
// dictionary (a{..}); returns 0 at its end or a negative errno.
int read_members(sd_bus_message* m, char type, const char* contents, json& out, int depth) {
  const bool dictionary = type == SD_BUS_TYPE_ARRAY && contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN;
  out = dictionary ? json::object() : json::array();
  for (;;) {
    if (dictionary) {
      char entry_type;
      const char* entry_contents;
      int r = sd_bus_message_peek_type(m, &entry_type, &entry_contents);
      if (r <= 0) return r;
      if ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry_contents)) < 0) return r;
      json key, value;
      if ((r = read_value(m, key, depth + 1)) <= 0 || (r = read_value(m, value, depth + 1)) <= 0) return r < 0 ? r : -EBADMSG;
      if ((r = sd_bus_message_exit_container(m)) < 0) return r;
      out[key.is_string() ? key.get<std::string>() : key.dump()] = std::move(value);
    } else {
      json value;
      const int r = read_value(m, value, depth + 1);
      if (r <= 0) return r;
      out.push_back(std::move(value));
    }
  }
}

template <class T>
int read_basic(sd_bus_message* m, char type, json& out) {
  T value{};
  const int r = sd_bus_message_read_basic(m, type, &value);
  if (r > 0) out = value;
  return r;
}

// Reads the next complete value of `m` into `out`, whatever its D-Bus
// type; 1 when read, 0 at the end of the enclosing container, < 0 errno.
int read_value(sd_bus_message* m, json& out, int depth) {
  char type;
  const char* contents = nullptr;
  int r = sd_bus_message_peek_type(m, &type, &contents);
  if (r <= 0) return r;
  switch (type) {
    case SD_BUS_TYPE_ARRAY:
    case SD_BUS_TYPE_STRUCT:
    case SD_BUS_TYPE_DICT_ENTRY:
    case SD_BUS_TYPE_VARIANT:
      if (depth > kMaxDepth) return -EBADMSG;
      if ((r = sd_bus_message_enter_container(m, type, contents)) < 0) return r;
      r = type == SD_BUS_TYPE_VARIANT ? read_value(m, out, depth + 1) : read_members(m, type, contents, out, depth);
      if (r < 0) return r;
      if ((r = sd_bus_message_exit_container(m)) < 0) return r;
      return 1;
    case SD_BUS_TYPE_BOOLEAN: {
      int value = 0;
      r = sd_bus_message_read_basic(m, type, &value);
      if (r > 0) out = value != 0;
      return r;
    }
    case SD_BUS_TYPE_BYTE: return read_basic<uint8_t>(m, type, out);
    case SD_BUS_TYPE_INT16: return read_basic<int16_t>(m, type, out);
    case SD_BUS_TYPE_UINT16: return read_basic<uint16_t>(m, type, out);
    case SD_BUS_TYPE_INT32: return read_basic<int32_t>(m, type, out);
    case SD_BUS_TYPE_UINT32: return read_basic<uint32_t>(m, type, out);
    case SD_BUS_TYPE_INT64: return read_basic<int64_t>(m, type, out);
    case SD_BUS_TYPE_UINT64: return read_basic<uint64_t>(m, type, out);
    case SD_BUS_TYPE_DOUBLE: return read_basic<double>(m, type, out);
    case SD_BUS_TYPE_UNIX_FD: {
      int fd = -1;
      r = sd_bus_message_read_basic(m, type, &fd);
      if (r > 0) out = "(file descriptor)";
      return r;
    }
    case SD_BUS_TYPE_STRING:
    case SD_BUS_TYPE_OBJECT_PATH:
    case SD_BUS_TYPE_SIGNATURE: {
      const char* text = nullptr;
      r = sd_bus_message_read_basic(m, type, &text);
      if (r > 0) out = text != nullptr ? text : "";
      return r;
    }
    default: return -EBADMSG;
  }
}

Result<std::vector<std::string>> loaded_dcos_units(sd_bus* bus) {
  BusError error;
  sd_bus_message* raw_reply = nullptr;
  int r = sd_bus_call_method(bus, kManagerService, kManagerPath, kManagerInterface, "ListUnitsByPatterns",
                             &error.error, &raw_reply, "asas", 0, 1, "dcos-*");
  if (r < 0) return Error{"ListUnitsByPatterns: " + error.text(r)};
  Message reply(raw_reply);
  if ((r = sd_bus_message_enter_container(reply.get(), SD_BUS_TYPE_ARRAY, "(ssssssouso)")) < 0)
    return bus_error("ListUnitsByPatterns: read the reply", r);
  std::vector<std::string> names;
  for (;;) {
    const char *name, *description, *load, *active, *sub, *following, *job_type, *job_path;
    const char* path;
    uint32_t job_id;
    r = sd_bus_message_read(reply.get(), "(ssssssouso)", &name, &description, &load, &active, &sub, &following, &path,
                            &job_id, &job_type, &job_path);
    if (r < 0) return bus_error("ListUnitsByPatterns: read the reply", r);
    if (r == 0) break;
    names.emplace_back(name);
  }
  return names;
}

UnitFacts unit_facts(sd_bus* bus, const std::string& name) {
  UnitFacts facts{name, json::object(), ""};
  BusError load_error;
  sd_bus_message* raw_reply = nullptr;
  int r = sd_bus_call_method(bus, kManagerService, kManagerPath, kManagerInterface, "LoadUnit", &load_error.error,
                             &raw_reply, "s", name.c_str());
  if (r < 0) {
    facts.error = "LoadUnit " + name + ": " + load_error.text(r);
    return facts;
  }
  Message load_reply(raw_reply);
  const char* path = nullptr;
  if ((r = sd_bus_message_read(load_reply.get(), "o", &path)) < 0) {
    facts.error = bus_error("LoadUnit " + name + ": read the reply", r).message;
    return facts;
  }
  // Every interface's properties (the empty name), as systemctl show asks.
  BusError get_error;
  raw_reply = nullptr;
  r = sd_bus_call_method(bus, kManagerService, path, "org.freedesktop.DBus.Properties", "GetAll", &get_error.error,
                         &raw_reply, "s", "");
  if (r < 0) {
    facts.error = "GetAll " + std::string(path) + ": " + get_error.text(r);
    return facts;
  }
  Message properties(raw_reply);
  if ((r = read_value(properties.get(), facts.properties, 0)) <= 0 || !facts.properties.is_object()) {
    facts.error = bus_error("GetAll " + std::string(path) + ": read the reply", r < 0 ? r : EBADMSG).message;
    facts.properties = json::object();
  }
  return facts;
}

// "FIELD=value" -> the field and its value, the value cut at `limit`.
std::pair<std::string, std::string> split_field(const void* data, size_t length, size_t limit) {
  const std::string_view text(static_cast<const char*>(data), length);
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) return {std::string(text), ""};
  std::string value(text.substr(equals + 1));
  if (value.size() > limit) value = value.substr(0, limit) + "...";
  return {std::string(text.substr(0, equals)), value};
}

}  // namespace

const std::vector<std::string>& known_units() {
  static const std::vector<std::string> units = {"dcos-master.target", "dcos-master.service", "dcos-agent.target",
                                                 "dcos-agent.service", "dcos-dns.service", "dcos-l4lb.service"};
  return units;
}

std::string systemd_absent_reason() {
  const int booted = sd_booted();
  if (booted > 0) return "";
  if (booted < 0) return std::string("cannot tell whether systemd is PID 1 (sd_booted: ") + std::strerror(-booted) + ")";
  return "systemd is not PID 1 on this system (no /run/systemd/system): no unit states";
}

Result<std::vector<UnitFacts>> read_units() {
  auto bus = connect_manager();
  if (!bus) return bus.error();
  auto loaded = loaded_dcos_units(bus->get());
  if (!loaded) return loaded.error();
  std::vector<std::string> names = known_units();
  std::set<std::string> seen(names.begin(), names.end());
  std::sort(loaded->begin(), loaded->end());
  for (const auto& name : *loaded)
    if (seen.insert(name).second) names.push_back(name);
  std::vector<UnitFacts> units;
  for (const auto& name : names) units.push_back(unit_facts(bus->get(), name));
  return units;
}

Result<UnitJournal> read_unit_journal(const std::string& unit, const JournalLimits& limits) {
  sd_journal* raw = nullptr;
  int r = sd_journal_open(&raw, SD_JOURNAL_LOCAL_ONLY);
  if (r < 0) return bus_error("open the journal", r);
  std::unique_ptr<sd_journal, JournalClose> journal(raw);
  const std::string own = "_SYSTEMD_UNIT=" + unit, about = "UNIT=" + unit;
  if ((r = sd_journal_add_match(raw, own.data(), own.size())) < 0 || (r = sd_journal_add_disjunction(raw)) < 0 ||
      (r = sd_journal_add_match(raw, about.data(), about.size())) < 0 || (r = sd_journal_add_match(raw, "_PID=1", 0)) < 0)
    return bus_error("match " + unit + " in the journal", r);
  (void)sd_journal_set_data_threshold(raw, limits.field_bytes + 1);
  if ((r = sd_journal_seek_tail(raw)) < 0) return bus_error("seek the journal's end", r);
  UnitJournal out;
  size_t bytes = 0;
  while (out.entries.size() < limits.entries) {
    r = sd_journal_previous(raw);
    if (r < 0) return bus_error("read the journal of " + unit, r);
    if (r == 0) break;
    json entry = json::object();
    uint64_t usec = 0;
    if (sd_journal_get_realtime_usec(raw, &usec) >= 0) entry["__REALTIME_TIMESTAMP"] = std::to_string(usec);
    const void* data;
    size_t length;
    // Bounded by the entry's fields (the journal caps them).
    SD_JOURNAL_FOREACH_DATA(raw, data, length) {
      auto [field, value] = split_field(data, length, limits.field_bytes);
      entry[field] = std::move(value);
    }
    const size_t size = entry.dump(-1, ' ', false, json::error_handler_t::replace).size() + 1;
    if (bytes + size > limits.bytes) {
      out.cut = true;
      break;
    }
    bytes += size;
    out.entries.push_back(std::move(entry));
  }
  std::reverse(out.entries.begin(), out.entries.end());
  return out;
}

std::string journal_text(const UnitJournal& journal) {
  std::string out;
  if (journal.cut) out += "-- older entries left out (size bound) --\n";
  for (const auto& entry : journal.entries) {
    const std::string usec = entry.value("__REALTIME_TIMESTAMP", "0");
    const std::time_t seconds = static_cast<std::time_t>(std::strtoull(usec.c_str(), nullptr, 10) / 1'000'000);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    out += std::string(stamp) + " " + entry.value("SYSLOG_IDENTIFIER", entry.value("_COMM", "?"));
    if (entry.contains("_PID")) out += "[" + entry.value("_PID", "") + "]";
    out += ": " + entry.value("MESSAGE", "") + "\n";
  }
  return out;
}

}  // namespace dcos::cli
