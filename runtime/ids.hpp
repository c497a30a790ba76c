// Identifiers: random UUIDs (for cluster and master ids).
#pragma once

#include <string>

namespace dcos {

// A random (version 4) UUID in its 36-character text form.
std::string random_uuid();

}  // namespace dcos
