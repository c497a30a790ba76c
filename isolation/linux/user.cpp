#include "isolation/linux/user.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace dcos::isolation {
namespace {

// Buffers for the *_r lookups: sysconf's hint, grown on ERANGE, bounded.
constexpr std::size_t kMaxBuffer = 1 << 20;

// A uid or gid as a number; not (uid_t)-1, which setresuid(2) reads as
// "leave unchanged" (so that "4294967295" would keep root).
bool parse_id(std::string_view text, unsigned& id) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size() && id != static_cast<unsigned>(-1);
}

template <class Entry, class Lookup>
Result<bool> lookup(Lookup call, Entry& entry, std::string& buffer, const std::string& what) {
  for (std::size_t size = 1024; size <= kMaxBuffer; size *= 4) {
    buffer.resize(size);
    Entry* found = nullptr;
    const int error = call(&entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE) continue;
    if (error != 0) return Error{"look up " + what + ": " + std::strerror(error)};
    return found != nullptr;
  }
  return Error{"look up " + what + ": entry larger than 1 MiB"};
}

Result<gid_t> resolve_group(std::string_view spec) {
  unsigned id = 0;
  if (parse_id(spec, id)) return static_cast<gid_t>(id);
  const std::string name(spec);
  group entry{};
  std::string buffer;
  auto found =
      lookup<group>([&](group* g, char* b, std::size_t n, group** r) { return ::getgrnam_r(name.c_str(), g, b, n, r); },
                    entry, buffer, "group '" + name + "'");
  if (!found) return found.error();
  if (!*found) return Error{"group '" + name + "' does not exist"};
  return entry.gr_gid;
}

}  // namespace

Result<User> resolve_user(std::string_view spec) {
  if (spec.empty()) return Error{"empty user"};
  const auto colon = spec.find(':');
  const std::string_view user_part = spec.substr(0, colon);
  User user;
  passwd entry{};
  std::string buffer;
  unsigned id = 0;
  const bool numeric = parse_id(user_part, id);
  const std::string name(user_part);
  auto found = lookup<passwd>(
      [&](passwd* p, char* b, std::size_t n, passwd** r) {
        return numeric ? ::getpwuid_r(static_cast<uid_t>(id), p, b, n, r) : ::getpwnam_r(name.c_str(), p, b, n, r);
      },
      entry, buffer, "user '" + name + "'");
  if (!found) return found.error();
  if (*found) {
    user.name = entry.pw_name;
    user.uid = entry.pw_uid;
    user.gid = entry.pw_gid;
    user.home = entry.pw_dir;
  } else if (numeric) {
    user.uid = static_cast<uid_t>(id);
    user.gid = static_cast<gid_t>(id);
    user.home = "/";
  } else {
    return Error{"user '" + name + "' does not exist"};
  }
  if (colon != std::string_view::npos) {
    auto gid = resolve_group(spec.substr(colon + 1));
    if (!gid) return gid.error();
    user.gid = *gid;
  }
  if (!user.name.empty()) {
    int count = 64;
    user.groups.resize(static_cast<std::size_t>(count));
    if (::getgrouplist(user.name.c_str(), user.gid, user.groups.data(), &count) < 0) {
      user.groups.resize(static_cast<std::size_t>(count));
      ::getgrouplist(user.name.c_str(), user.gid, user.groups.data(), &count);
    }
    user.groups.resize(static_cast<std::size_t>(count));
  } else {
    user.groups = {user.gid};
  }
  return user;
}

}  // namespace dcos::isolation
