// The diagnostics bundle: a tar.gz written with libarchive, each file under
// one top folder (the bundle's name without .tar.gz), so that unpacking it
// makes one folder.
//
// The archive is written to "<path>.partial" and renamed to `path` by
// finish(), so a bundle that exists is whole; a writer destroyed before
// finish() removes the partial file. Files are mode 0600 (journals and
// settings are the operator's business). Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "runtime/result.hpp"

struct archive;

namespace dcos::cli {

class Bundle {
 public:
  // Creates "<path>.partial"; an error names the path and why.
  static Result<std::unique_ptr<Bundle>> create(const std::string& path);
  ~Bundle();
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;

  // Adds "<top>/<name>" holding `content`.
  Result<void> add(const std::string& name, std::string_view content);
  // Closes the archive and renames it to its path.
  Result<void> finish();

  const std::string& path() const { return path_; }
  const std::string& top() const { return top_; }
  size_t files() const { return files_; }

 private:
  Bundle(std::string path, std::string top, int fd, struct archive* archive);
  Error archive_error(const std::string& what) const;

  std::string path_;
  std::string top_;
  int fd_;
  struct archive* archive_;
  size_t files_ = 0;
  bool finished_ = false;
};

// "dcos-diagnostics-<host>-<YYYYmmddTHHMMSSZ>.tar.gz" for a time in seconds
// since the epoch; the host's bytes outside [A-Za-z0-9.-] become '_'.
std::string default_bundle_name(std::string_view host, long long unix_seconds);

}  // namespace dcos::cli
