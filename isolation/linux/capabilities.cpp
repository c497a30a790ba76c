#include "isolation/linux/capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>

#include "runtime/atomic_file.hpp"

namespace dcos::isolation::capabilities {
namespace {

// Indexed by number, as <linux/capability.h> numbers them.
constexpr std::array<std::string_view, kLast + 1> kNames = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
static_assert(CAP_LAST_CAP == kLast, "capability table out of date with <linux/capability.h>");

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view name(int capability) {
  return capability >= 0 && capability <= kLast ? kNames[static_cast<std::size_t>(capability)] : std::string_view{};
}

Result<int> parse(std::string_view text) {
  const std::string_view bare =
      text.size() > 4 && equal_ignoring_case(text.substr(0, 4), "CAP_") ? text.substr(4) : text;
  for (int capability = 0; capability <= kLast; ++capability) {
    if (equal_ignoring_case(bare, name(capability).substr(4))) return capability;
  }
  return Error{"unknown capability '" + std::string(text) + "'"};
}

Result<Set> parse_list(std::string_view list) {
  Set set = 0;
  while (!trimmed(list).empty()) {
    const auto comma = list.find(',');
    const std::string_view item = trimmed(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (equal_ignoring_case(item, "ALL")) {
      set |= (bit(kLast) << 1) - 1;
      continue;
    }
    auto capability = parse(item);
    if (!capability) return capability.error();
    set |= bit(*capability);
  }
  return set;
}

std::vector<std::string> names(Set set) {
  std::vector<std::string> out;
  for (int capability = 0; capability <= kLast; ++capability) {
    if (set & bit(capability)) out.emplace_back(name(capability));
  }
  return out;
}

Set docker_default() {
  return bit(CAP_CHOWN) | bit(CAP_DAC_OVERRIDE) | bit(CAP_FSETID) | bit(CAP_FOWNER) | bit(CAP_MKNOD) |
         bit(CAP_NET_RAW) | bit(CAP_SETGID) | bit(CAP_SETUID) | bit(CAP_SETFCAP) | bit(CAP_SETPCAP) |
         bit(CAP_NET_BIND_SERVICE) | bit(CAP_SYS_CHROOT) | bit(CAP_KILL) | bit(CAP_AUDIT_WRITE);
}

int last_capability() {
  auto text = read_file("/proc/sys/kernel/cap_last_cap");
  int last = kLast;
  if (text) std::from_chars(text->data(), text->data() + text->size(), last);
  return std::clamp(last, 0, 63);
}

int limit_bounding(Set keep, int last) noexcept {
  for (int capability = 0; capability <= last; ++capability) {
    if (capability <= kLast && (keep & bit(capability))) continue;
    if (::prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) < 0 && errno != EINVAL) return errno;
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return errno;
  return 0;
}

int set_process(Set keep) noexcept {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) < 0) return errno;
  const Set held = (Set{data[1].permitted} << 32) | data[0].permitted;
  const Set set = keep & held;
  for (int word = 0; word < 2; ++word) {
    const auto bits = static_cast<uint32_t>(set >> (32 * word));
    data[word].permitted = bits;
    data[word].effective = bits;
    data[word].inheritable = bits;
  }
  if (::syscall(SYS_capset, &header, data) < 0) return errno;
  return 0;
}

}  // namespace dcos::isolation::capabilities
