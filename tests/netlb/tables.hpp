// Builders of VIP tables for the load balancer's tests.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "netlb/vip.hpp"

namespace dcos::netlb::testing {

inline Service service(ServiceKey key, std::vector<Destination> destinations, std::string scheduler = "wlc") {
  Service s{key, std::move(scheduler), std::move(destinations)};
  normalize(s);
  return s;
}

inline VipTable table(std::initializer_list<Service> services) {
  VipTable t;
  for (const auto& s : services) t[s.key] = s;
  return t;
}

}  // namespace dcos::netlb::testing
