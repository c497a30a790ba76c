#include "daemons/cli/bundle.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace dcos::cli {
namespace {

constexpr const char* kSuffix = ".tar.gz";

// "x/y/bundle.tar.gz" -> "bundle": the folder its files unpack into.
std::string top_folder(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (name.ends_with(kSuffix)) name.resize(name.size() - std::string_view(kSuffix).size());
  else if (const auto dot = name.find('.'); dot != std::string::npos && dot > 0) name.resize(dot);
  return name.empty() ? "dcos-diagnostics" : name;
}

}  // namespace

std::string default_bundle_name(std::string_view host, long long unix_seconds) {
  std::string safe(host.empty() ? "localhost" : host);
  for (char& c : safe) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!keep) c = '_';
  }
  const std::time_t seconds = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return "dcos-diagnostics-" + safe + "-" + stamp + kSuffix;
}

Result<std::unique_ptr<Bundle>> Bundle::create(const std::string& path) {
  const std::string partial = path + ".partial";
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("create '" + partial + "'");
  struct archive* archive = archive_write_new();
  if (archive == nullptr) {
    ::close(fd);
    ::unlink(partial.c_str());
    return Error{"create '" + partial + "': libarchive: out of memory"};
  }
  std::unique_ptr<Bundle> bundle(new Bundle(path, top_folder(path), fd, archive));
  if (archive_write_add_filter_gzip(archive) != ARCHIVE_OK || archive_write_set_format_pax_restricted(archive) != ARCHIVE_OK ||
      archive_write_open_fd(archive, fd) != ARCHIVE_OK)
    return bundle->archive_error("start the archive");
  return bundle;
}

Bundle::Bundle(std::string path, std::string top, int fd, struct archive* archive)
    : path_(std::move(path)), top_(std::move(top)), fd_(fd), archive_(archive) {}

Bundle::~Bundle() {
  if (archive_ != nullptr) archive_write_free(archive_);
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink((path_ + ".partial").c_str());
}

Error Bundle::archive_error(const std::string& what) const {
  const char* why = archive_error_string(archive_);
  return Error{"write '" + path_ + ".partial': " + what + ": " + (why != nullptr ? why : "libarchive failed")};
}

Result<void> Bundle::add(const std::string& name, std::string_view content) {
  struct archive_entry* entry = archive_entry_new();
  if (entry == nullptr) return Error{"write '" + path_ + ".partial': libarchive: out of memory"};
  archive_entry_set_pathname(entry, (top_ + "/" + name).c_str());
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0600);
  archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
  archive_entry_set_mtime(entry, std::time(nullptr), 0);
  const int header = archive_write_header(archive_, entry);
  archive_entry_free(entry);
  if (header != ARCHIVE_OK) return archive_error("add " + name);
  // Bounded: each call writes some bytes or fails.
  while (!content.empty()) {
    const la_ssize_t written = archive_write_data(archive_, content.data(), content.size());
    if (written <= 0) return archive_error("write " + name);
    content.remove_prefix(static_cast<size_t>(written));
  }
  ++files_;
  return {};
}

Result<void> Bundle::finish() {
  if (archive_write_close(archive_) != ARCHIVE_OK) return archive_error("finish the archive");
  archive_write_free(archive_);
  archive_ = nullptr;
  const int fd = fd_;
  fd_ = -1;
  const bool synced = ::fsync(fd) == 0;
  if (::close(fd) != 0 || !synced) return errno_error("write '" + path_ + ".partial'");
  if (::rename((path_ + ".partial").c_str(), path_.c_str()) != 0)
    return errno_error("rename '" + path_ + ".partial' to '" + path_ + "'");
  finished_ = true;
  return {};
}

}  // namespace dcos::cli
