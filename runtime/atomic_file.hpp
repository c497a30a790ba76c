// Files that are replaced whole or not at all: write a temporary file in the
// same directory, fsync it, rename it over the old one, fsync the directory.
// A crash at any point leaves either the old or the new content.
#pragma once

#include <string>
#include <string_view>

#include "runtime/result.hpp"

namespace dcos {

// With durable=false the fsyncs are skipped: still whole-or-nothing for
// readers and across a process crash, not across a power loss. For runtime
// state that does not outlive a reboot anyway (/run).
Result<void> write_file_atomically(const std::string& path, std::string_view content, int mode = 0644,
                                   bool durable = true);

// The whole content of a file. An error names the path and errno.
Result<std::string> read_file(const std::string& path);

// mkdir -p with `mode` for the directories it creates.
Result<void> make_directories(const std::string& path, int mode = 0755);

}  // namespace dcos
