// Resources and attributes in Mesos' text notation, and in the JSON shape of
// Mesos' /master/state.
//
//   resources:  "cpus:2;mem:1024;disk:20000;ports:[31000-32000,40000-40010]"
//               a name may carry a role: "cpus(slave_public):2"
//               values: scalar (2, 0.5), ranges ([a-b,c-d]), set ({a,b,c})
//   attributes: "rack:r1;zone:z2;level:3;slots:[1-4]"
//               values: scalar, ranges, or text (anything else)
// Both accept ';' between entries (and ',' between entries that are not
// inside [] or {}), ignore surrounding whitespace, and reject duplicates of a
// name (resources: of a name and role), empty names, NaN or negative
// scalars, and ranges whose begin is past their end.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mesos.pb.h"
#include "runtime/result.hpp"

namespace dcos {

using Resources = std::vector<mesos::v1::Resource>;
using Attributes = std::vector<mesos::v1::Attribute>;

// `default_role` is used for entries without "(role)"; "*" is unreserved.
Result<Resources> parse_resources(std::string_view text, std::string_view default_role = "*");
Result<Attributes> parse_attributes(std::string_view text);

// Text notation, the inverse of the parsers: "cpus:2;mem:1024;ports:[31000-32000]".
std::string format_resources(const Resources& resources);
std::string format_attributes(const Attributes& attributes);

// The role a resource is reserved for ("*": unreserved), from its
// reservation stack (the last entry) or Mesos' older `role` field.
std::string role_of(const mesos::v1::Resource& resource);

// The scalar value of the resources named `name` (summed over roles), 0 if none.
double scalar_total(const Resources& resources, std::string_view name);

// Replaces or adds each resource of `overrides` (matched by name) in `base`.
Resources override_resources(Resources base, const Resources& overrides);

// Mesos' JSON model: {"cpus": 2, "mem": 1024, "ports": "[31000-32000]"}
// scalars are numbers, ranges and sets are strings in text notation; roles
// are summed per name. Attributes: {"rack": "r1", "level": 3}.
nlohmann::json resources_json(const Resources& resources);
nlohmann::json attributes_json(const Attributes& attributes);

}  // namespace dcos
