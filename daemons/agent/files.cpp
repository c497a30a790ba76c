#include "daemons/agent/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "runtime/unique_fd.hpp"

namespace dcos::agent {

namespace {

std::optional<int64_t> parse_int(const std::string& text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::string> real_path(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return std::nullopt;
  return std::string(resolved);
}

bool is_below(const std::string& path, const std::string& root) {
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/';
}

http::Response data(std::string bytes, int64_t offset) {
  nlohmann::json body = {{"data", std::move(bytes)}, {"offset", offset}};
  // Task output need not be UTF-8; JSON strings must be.
  return http::Response::json(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

http::Response read_sandbox_file(const std::string& sandboxes_root, const http::Request& request) {
  auto path_arg = request.query.find("path");
  if (path_arg == request.query.end() || path_arg->second.empty())
    return http::Response::error(400, "Expecting 'path=value' in query");
  std::optional<int64_t> offset = -1;
  // -1: to the end of the file (bounded by kMaxReadLength).
  int64_t length = -1;
  if (auto found = request.query.find("offset"); found != request.query.end()) offset = parse_int(found->second);
  if (!offset || *offset < -1) return http::Response::error(400, "Failed to parse offset: not a number >= -1");
  if (auto found = request.query.find("length"); found != request.query.end()) {
    const auto parsed = parse_int(found->second);
    if (!parsed || *parsed < -1) return http::Response::error(400, "Failed to parse length: not a number >= -1");
    length = *parsed;
  }

  const auto root = real_path(sandboxes_root);
  const auto path = real_path(path_arg->second);
  // One answer for "missing" and "not yours": a probe learns nothing about
  // files outside the sandboxes.
  if (!root || !path || !is_below(*path, *root))
    return http::Response::error(404, "No file or directory found at path '" + path_arg->second + "'");
  UniqueFd fd(::open(path->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat info {};
  if (!fd || ::fstat(fd.get(), &info) != 0)
    return http::Response::error(404, "No file or directory found at path '" + path_arg->second + "'");
  if (S_ISDIR(info.st_mode)) return http::Response::error(400, "Cannot read a directory");
  if (!S_ISREG(info.st_mode)) return http::Response::error(400, "Not a regular file");

  const int64_t size = info.st_size;
  if (*offset == -1) return data("", size);
  if (*offset >= size) return data("", *offset);
  const auto want = static_cast<std::size_t>(std::min<int64_t>(length == -1 ? size - *offset : length, kMaxReadLength));
  std::string bytes(want, '\0');
  const ssize_t got = ::pread(fd.get(), bytes.data(), bytes.size(), *offset);
  if (got < 0) return http::Response::error(500, "Failed to read '" + path_arg->second + "'");
  bytes.resize(static_cast<std::size_t>(got));
  return data(std::move(bytes), *offset);
}

}  // namespace dcos::agent
