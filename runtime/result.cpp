#include "runtime/result.hpp"

#include <cerrno>
#include <cstring>

namespace dcos {

Error errno_error(const std::string& what) { return Error{what + ": " + std::strerror(errno)}; }

}  // namespace dcos
