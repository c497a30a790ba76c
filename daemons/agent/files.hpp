// GET /files/read: a piece of a file in a task's sandbox, in the shape of
// Mesos' files API, so that `dcos task log` and people with curl can read a
// task's stdout and stderr.
//
//   /files/read?path=<absolute path>&offset=N&length=M
//     200 {"data": "<bytes>", "offset": N}; offset=-1 (or none) with no
//         length answers {"data": "", "offset": <file size>} (Mesos' way to
//         learn where the end is, for tailing)
//     400 no path, a bad offset or length, a directory
//     404 a path that does not exist or lies outside every sandbox
//
// A path is resolved with realpath() and must then lie below the sandboxes'
// root (<work_dir>/slaves), so neither "../" nor a symlink a task left in its
// sandbox reads anything else. Reads are bounded (kMaxReadLength).
#pragma once

#include <string>

#include "runtime/http.hpp"

namespace dcos::agent {

inline constexpr std::size_t kMaxReadLength = 4 * 1024 * 1024;

http::Response read_sandbox_file(const std::string& sandboxes_root, const http::Request& request);

}  // namespace dcos::agent
