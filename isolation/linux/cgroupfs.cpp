#include "isolation/linux/cgroupfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>

#include "runtime/atomic_file.hpp"

namespace dcos::isolation::cgroupfs {

std::string path_of(const std::string& cgroup, std::string_view file) { return cgroup + "/" + std::string(file); }

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

// Control files are small and report no size (st_size 0): read into a
// buffer until end of file, without the fstat a general read_file makes.
Result<std::string> read_control(const std::string& cgroup, std::string_view file) {
  const std::string path = path_of(cgroup, file);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open '" + path + "'");
  std::string content(4096, '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == content.size()) content.resize(content.size() * 2);
    const ssize_t got = ::read(fd, content.data() + used, content.size() - used);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      const int saved = errno;
      ::close(fd);
      if (got < 0) {
        errno = saved;
        return errno_error("read '" + path + "'");
      }
      break;
    }
    used += static_cast<std::size_t>(got);
  }
  content.resize(used);
  return content;
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
  auto text = read_control(cgroup, file);
  if (!text) return text.error();
  return parse_number(*text, path_of(cgroup, file));
}

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

Result<std::map<std::string, uint64_t, std::less<>>> read_flat_keyed(const std::string& cgroup, std::string_view file) {
  auto text = read_control(cgroup, file);
  if (!text) return text.error();
  auto values = parse_flat_keyed(*text);
  const std::string path = path_of(cgroup, file);
  if (!values) return Error{"'" + path + "': " + values.error().message};
  return values;
}

Result<uint64_t> read_key(const std::string& cgroup, std::string_view file, std::string_view key) {
  auto values = read_flat_keyed(cgroup, file);
  if (!values) return values.error();
  auto it = values->find(key);
  const std::string path = path_of(cgroup, file);
  if (it == values->end()) return Error{"'" + path + "' has no '" + std::string(key) + "'"};
  return it->second;
}

Result<std::vector<pid_t>> processes(const std::string& cgroup) {
  auto text = read_control(cgroup, "cgroup.procs");
  if (!text) return text.error();
  std::vector<pid_t> out;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    const auto line = rest.substr(0, newline);
    if (!line.empty()) {
      auto pid = parse_number(line, path_of(cgroup, "cgroup.procs"));
      if (!pid) return pid.error();
      out.push_back(static_cast<pid_t>(*pid));
    }
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }
  return out;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Result<void> create(const std::string& cgroup) {
  if (::mkdir(cgroup.c_str(), 0755) != 0) return errno_error("mkdir '" + cgroup + "'");
  return {};
}

Result<void> remove(const std::string& cgroup) {
  if (::rmdir(cgroup.c_str()) != 0) return errno_error("rmdir '" + cgroup + "'");
  return {};
}

namespace {

Result<void> collect(const std::string& cgroup, std::vector<std::string>& out) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(cgroup.c_str()), &::closedir);
  if (!dir) return errno_error("opendir '" + cgroup + "'");
  std::vector<std::string> children;
  errno = 0;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (entry->d_type == DT_DIR && name != "." && name != "..") children.push_back(cgroup + "/" + std::string(name));
  }
  if (errno != 0) return errno_error("readdir '" + cgroup + "'");
  for (const auto& child : children)
    if (auto done = collect(child, out); !done) return done;
  out.push_back(cgroup);
  return {};
}

}  // namespace

Result<std::vector<std::string>> subtree(const std::string& cgroup) {
  std::vector<std::string> out;
  if (auto done = collect(cgroup, out); !done) return done.error();
  return out;
}

Result<std::vector<pid_t>> subtree_processes(const std::string& cgroup) {
  auto cgroups = subtree(cgroup);
  if (!cgroups) return cgroups.error();
  std::vector<pid_t> out;
  for (const auto& each : *cgroups) {
    auto pids = processes(each);
    if (!pids) return pids.error();
    out.insert(out.end(), pids->begin(), pids->end());
  }
  return out;
}

Result<void> remove_subtree(const std::string& cgroup) {
  // Usually there are no children: one rmdir, no directory walk.
  if (::rmdir(cgroup.c_str()) == 0) return {};
  auto cgroups = subtree(cgroup);
  if (!cgroups) return cgroups.error();
  for (const auto& each : *cgroups)
    if (::rmdir(each.c_str()) != 0) return errno_error("rmdir '" + each + "'");
  return {};
}

}  // namespace dcos::isolation::cgroupfs
