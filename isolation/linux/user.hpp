// The user a container runs as, resolved on the host before anything starts,
// so that a user who does not exist is an error and not a failed child.
// Thread-safe (getpwnam_r and friends).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::isolation {

struct User {
  std::string name;  // "" when given as a bare uid the host does not know
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, from the group database
  std::string home;
};

// "name", "uid" or either followed by ":group" / ":gid". A name that the
// host's user database lacks is an error naming it; a numeric uid is taken
// as it is (with gid = uid unless given), as container runtimes do.
Result<User> resolve_user(std::string_view spec);

}  // namespace dcos::isolation
