// DNS names for what runs in the cluster, as Mesos-DNS makes them, so that
// the names DC/OS users already use keep working.
//
// A task or framework name becomes one or more DNS labels: it is split at
// dots, each piece lower-cased, every character outside [a-z0-9-] turned
// into '-', leading and trailing '-' trimmed, and cut to 63 bytes (RFC 1123
// labels); empty pieces are dropped. A name with nothing left gives "".
//
// These are text; name.hpp holds the wire form the zones keep and look up.
#pragma once

#include <string>
#include <string_view>

namespace dcos::dns {

inline constexpr std::size_t kMaxLabel = 63;

// One label (no dots in the result).
std::string label_of(std::string_view text);
// A dotted name fragment: each dot-separated piece through label_of().
std::string domain_fragment(std::string_view text);

}  // namespace dcos::dns
