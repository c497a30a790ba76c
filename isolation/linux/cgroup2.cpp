#include "isolation/linux/cgroup2.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <thread>

#include "runtime/atomic_file.hpp"

namespace dcos::isolation::cgroup2 {

namespace {

std::string path_of(const std::string& cgroup, std::string_view file) { return cgroup + "/" + std::string(file); }

// Control files take one write(2) each: the kernel parses what one call brings.
Result<void> write_control(const std::string& cgroup, std::string_view file, std::string_view value) {
  const std::string path = path_of(cgroup, file);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open '" + path + "'");
  ssize_t written;
  do {
    written = ::write(fd, value.data(), value.size());
  } while (written < 0 && errno == EINTR);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (written < 0) return errno_error("write '" + path + "'");
  if (static_cast<std::size_t>(written) != value.size()) return Error{"write '" + path + "': short write"};
  return {};
}

Result<uint64_t> parse_number(std::string_view text, const std::string& where) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return Error{"'" + where + "' holds '" + std::string(text) + "', not a number"};
  return value;
}

Result<uint64_t> read_number(const std::string& cgroup, std::string_view file) {
  auto text = read_file(path_of(cgroup, file));
  if (!text) return text.error();
  return parse_number(*text, path_of(cgroup, file));
}

Result<uint64_t> read_key(const std::string& cgroup, std::string_view file, std::string_view key) {
  auto text = read_file(path_of(cgroup, file));
  if (!text) return text.error();
  auto values = parse_flat_keyed(*text);
  if (!values) return Error{"'" + path_of(cgroup, file) + "': " + values.error().message};
  auto it = values->find(key);
  if (it == values->end()) return Error{"'" + path_of(cgroup, file) + "' has no '" + std::string(key) + "'"};
  return it->second;
}

std::string limit_text(std::optional<uint64_t> value) { return value ? std::to_string(*value) : "max"; }

}  // namespace

Result<std::map<std::string, uint64_t, std::less<>>> parse_flat_keyed(std::string_view text) {
  std::map<std::string, uint64_t, std::less<>> out;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const auto newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (line.empty()) continue;
    const auto space = line.find(' ');
    if (space == std::string_view::npos || space == 0)
      return Error{"line " + std::to_string(number) + " is not 'key value': '" + std::string(line) + "'"};
    auto value = parse_number(line.substr(space + 1), "line " + std::to_string(number));
    if (!value) return value.error();
    out.emplace(std::string(line.substr(0, space)), *value);
  }
  return out;
}

Result<void> create(const std::string& cgroup) {
  if (::mkdir(cgroup.c_str(), 0755) != 0) return errno_error("mkdir '" + cgroup + "'");
  return {};
}

Result<void> remove(const std::string& cgroup) {
  if (::rmdir(cgroup.c_str()) != 0) return errno_error("rmdir '" + cgroup + "'");
  return {};
}

Result<std::set<std::string>> controllers(const std::string& cgroup) {
  auto text = read_file(path_of(cgroup, file::kControllers));
  if (!text) return text.error();
  std::set<std::string> out;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const auto end = rest.find_first_of(" \n");
    if (end != 0) out.emplace(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return out;
}

Result<void> enable_controllers(const std::string& cgroup, const std::set<std::string>& names) {
  std::string request;
  for (const auto& name : names) request += (request.empty() ? "+" : " +") + name;
  return write_control(cgroup, file::kSubtreeControl, request);
}

Result<void> add_process(const std::string& cgroup, pid_t pid) {
  return write_control(cgroup, file::kProcs, std::to_string(pid));
}

Result<std::vector<pid_t>> processes(const std::string& cgroup) {
  auto text = read_file(path_of(cgroup, file::kProcs));
  if (!text) return text.error();
  std::vector<pid_t> out;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    const auto line = rest.substr(0, newline);
    if (!line.empty()) {
      auto pid = parse_number(line, path_of(cgroup, file::kProcs));
      if (!pid) return pid.error();
      out.push_back(static_cast<pid_t>(*pid));
    }
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }
  return out;
}

Result<bool> populated(const std::string& cgroup) {
  auto value = read_key(cgroup, file::kEvents, "populated");
  if (!value) return value.error();
  return *value != 0;
}

Result<void> freeze(const std::string& cgroup, bool frozen) {
  return write_control(cgroup, file::kFreeze, frozen ? "1" : "0");
}

Result<bool> frozen(const std::string& cgroup) {
  auto value = read_key(cgroup, file::kEvents, "frozen");
  if (!value) return value.error();
  return *value != 0;
}

Result<void> kill(const std::string& cgroup) { return write_control(cgroup, file::kKill, "1"); }

Result<void> destroy(const std::string& cgroup, std::chrono::milliseconds timeout) {
  const bool has_kill = ::access(path_of(cgroup, file::kKill).c_str(), F_OK) == 0;
  if (has_kill) {
    if (auto killed = kill(cgroup); !killed) return killed;
  } else {
    // Frozen, nothing can fork between our reading the list and the kills.
    if (auto done = freeze(cgroup, true); !done) return done;
    auto pids = processes(cgroup);
    if (!pids) return pids.error();
    for (pid_t pid : *pids) ::kill(pid, SIGKILL);
    if (auto done = freeze(cgroup, false); !done) return done;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto busy = populated(cgroup);
    if (!busy) return busy.error();
    if (!*busy) break;
    if (std::chrono::steady_clock::now() >= deadline)
      return Error{"destroy '" + cgroup + "': processes remain after " + std::to_string(timeout.count()) + "ms"};
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return remove(cgroup);
}

namespace memory {
Result<void> set_max(const std::string& cgroup, std::optional<uint64_t> bytes) {
  return write_control(cgroup, file::kMemoryMax, limit_text(bytes));
}
Result<void> set_high(const std::string& cgroup, std::optional<uint64_t> bytes) {
  return write_control(cgroup, file::kMemoryHigh, limit_text(bytes));
}
Result<uint64_t> current(const std::string& cgroup) { return read_number(cgroup, file::kMemoryCurrent); }
Result<uint64_t> peak(const std::string& cgroup) { return read_number(cgroup, file::kMemoryPeak); }
Result<uint64_t> oom_kills(const std::string& cgroup) { return read_key(cgroup, file::kMemoryEvents, "oom_kill"); }
}  // namespace memory

namespace cpu {
Result<void> set_weight(const std::string& cgroup, uint32_t weight) {
  if (weight < 1 || weight > 10000) return Error{"cpu weight " + std::to_string(weight) + " is outside 1-10000"};
  return write_control(cgroup, file::kCpuWeight, std::to_string(weight));
}
Result<void> set_max(const std::string& cgroup, std::optional<std::chrono::microseconds> quota,
                     std::chrono::microseconds period) {
  const std::string value =
      (quota ? std::to_string(quota->count()) : std::string("max")) + " " + std::to_string(period.count());
  return write_control(cgroup, file::kCpuMax, value);
}
Result<std::chrono::microseconds> usage(const std::string& cgroup) {
  auto value = read_key(cgroup, file::kCpuStat, "usage_usec");
  if (!value) return value.error();
  return std::chrono::microseconds(*value);
}
}  // namespace cpu

namespace pids {
Result<void> set_max(const std::string& cgroup, std::optional<uint64_t> max) {
  return write_control(cgroup, file::kPidsMax, limit_text(max));
}
Result<uint64_t> current(const std::string& cgroup) { return read_number(cgroup, file::kPidsCurrent); }
}  // namespace pids

}  // namespace dcos::isolation::cgroup2
