#include "isolation/supervisors.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include "isolation/supervisor/supervisor.hpp"

namespace dcos::isolation {
namespace {

// /proc/<pid>/cmdline, whole up to a bound a supervisor's fits in (its
// paths are below PATH_MAX each).
std::optional<std::string> command_line(pid_t pid) {
  char path[32];
  *std::to_chars(path, path + sizeof path - 1, pid).ptr = '\0';
  const std::string file = std::string("/proc/") + path + "/cmdline";
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text(supervisor::kArgc * 4096, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    const ssize_t n = ::read(fd, text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(size);
  return text;
}

// The supervisor a command line is of: its status path and init, if it has
// dcos-supervisor's shape (whatever the binary is called: the options may
// name another; the status path is what no other process has).
std::optional<std::pair<std::string, pid_t>> supervisor_of(std::string_view line) {
  std::vector<std::string_view> args;
  while (!line.empty() && args.size() <= supervisor::kArgc) {
    const auto end = line.find('\0');
    args.push_back(line.substr(0, end));
    line = end == std::string_view::npos ? std::string_view() : line.substr(end + 1);
  }
  if (args.size() != supervisor::kArgc) return std::nullopt;
  const std::string_view init = args[supervisor::kInitArg];
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(init.data(), init.data() + init.size(), pid);
  if (ec != std::errc{} || end != init.data() + init.size() || pid <= 0) return std::nullopt;
  return std::pair{std::string(args[supervisor::kStatusArg]), pid};
}

}  // namespace

std::map<std::string, RunningSupervisor> find_supervisors() {
  std::map<std::string, RunningSupervisor> out;
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (const dirent* entry = ::readdir(proc)) {
    const std::string_view name(entry->d_name);
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc{} || end != name.data() + name.size() || pid <= 0) continue;
    auto line = command_line(pid);
    if (!line) continue;
    if (auto supervisor = supervisor_of(*line)) out[supervisor->first] = RunningSupervisor{pid, supervisor->second};
  }
  ::closedir(proc);
  return out;
}

UniqueFd open_supervisor(pid_t pid, const std::string& status_path) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!fd) return fd;
  auto line = command_line(pid);
  const auto supervisor = line ? supervisor_of(*line) : std::nullopt;
  if (!supervisor || supervisor->first != status_path) fd.reset();
  return fd;
}

}  // namespace dcos::isolation
