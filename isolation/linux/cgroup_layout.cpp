#include "isolation/linux/cgroup_layout.hpp"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <charconv>
#include <set>

#include "runtime/atomic_file.hpp"

namespace dcos::isolation {

namespace {

// Options of a v1 cgroup mount that name controllers (others, such as
// "rw" or "clone_children", are mount flags).
const std::set<std::string_view> kV1Controllers = {"blkio",    "cpu",        "cpuacct", "cpuset", "devices",
                                                   "freezer",  "hugetlb",    "memory",  "misc",   "net_cls",
                                                   "net_prio", "perf_event", "pids",    "rdma"};

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  while (true) {
    const auto at = text.find(separator);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo (octal).
std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' && text[i + 2] >= '0' &&
        text[i + 2] <= '7' && text[i + 3] >= '0' && text[i + 3] <= '7') {
      out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::string_view layout_name(CgroupLayout layout) {
  switch (layout) {
    case CgroupLayout::unified:
      return "unified";
    case CgroupLayout::hybrid:
      return "hybrid";
    case CgroupLayout::legacy:
      return "legacy";
  }
  return "unknown";
}

Result<CgroupMounts> parse_cgroup_mounts(std::string_view mountinfo) {
  CgroupMounts mounts;
  std::size_t number = 0;
  for (std::string_view line : split(mountinfo, '\n')) {
    ++number;
    if (line.empty()) continue;
    // ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER-OPTIONS
    const auto fields = split(line, ' ');
    std::size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (fields.size() < 6 || dash + 3 >= fields.size())
      return Error{"mountinfo line " + std::to_string(number) + " is malformed: '" + std::string(line) + "'"};
    const std::string_view type = fields[dash + 1];
    const std::string mount_point = unescape(fields[4]);
    if (type == "cgroup2") {
      mounts.unified = mount_point;
    } else if (type == "cgroup") {
      for (std::string_view option : split(fields[dash + 3], ','))
        if (kV1Controllers.contains(option) || option.starts_with("name="))
          mounts.v1.emplace(std::string(option), mount_point);
    }
  }
  return mounts;
}

Result<std::vector<ProcessCgroup>> parse_process_cgroups(std::string_view text) {
  std::vector<ProcessCgroup> out;
  std::size_t number = 0;
  for (std::string_view line : split(text, '\n')) {
    ++number;
    if (line.empty()) continue;
    const auto first = line.find(':');
    const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    ProcessCgroup entry;
    const std::string_view id = line.substr(0, first);
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), entry.hierarchy);
    if (second == std::string_view::npos || ec != std::errc{} || end != id.data() + id.size() ||
        !line.substr(second + 1).starts_with('/'))
      return Error{"cgroup line " + std::to_string(number) + " is malformed: '" + std::string(line) + "'"};
    const std::string_view list = line.substr(first + 1, second - first - 1);
    if (!list.empty())
      for (std::string_view controller : split(list, ',')) entry.controllers.emplace_back(controller);
    entry.path = std::string(line.substr(second + 1));
    out.push_back(std::move(entry));
  }
  return out;
}

Result<HostCgroups> detect_host_cgroups(const std::string& root) {
  struct statfs fs {};
  if (::statfs(root.c_str(), &fs) != 0) return errno_error("statfs '" + root + "'");
  auto mountinfo = read_file("/proc/self/mountinfo");
  if (!mountinfo) return mountinfo.error();
  auto mounts = parse_cgroup_mounts(*mountinfo);
  if (!mounts) return Error{"/proc/self/mountinfo: " + mounts.error().message};

  HostCgroups host;
  host.mounts = std::move(*mounts);
  if (static_cast<unsigned long>(fs.f_type) == CGROUP2_SUPER_MAGIC) {
    host.layout = CgroupLayout::unified;
  } else if (static_cast<unsigned long>(fs.f_type) == TMPFS_MAGIC) {
    host.layout = host.mounts.unified.empty() ? CgroupLayout::legacy : CgroupLayout::hybrid;
  } else {
    return Error{"'" + root + "' is neither cgroup2 nor tmpfs: no cgroup hierarchy this agent knows"};
  }
  if (host.layout != CgroupLayout::legacy && host.mounts.unified.empty())
    return Error{"'" + root + "' is cgroup2 but /proc/self/mountinfo lists no cgroup2 mount"};
  return host;
}

}  // namespace dcos::isolation
