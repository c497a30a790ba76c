// What cgroup v1 and v2 share: a cgroup is a directory of small text
// control files. These helpers read and write them, one file at a time, and
// walk a cgroup's subtree. cgroup1 and cgroup2 build their named functions
// on these; nothing else should need them.
//
// Every error names the operation, the file and the errno:
//   "write '/sys/fs/cgroup/memory/x/memory.limit_in_bytes': Device or resource busy".
// Thread-safe (no state of its own).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::isolation::cgroupfs {

// "<cgroup>/<file>".
std::string path_of(const std::string& cgroup, std::string_view file);

// One write(2) of `value`: the kernel parses what one call brings.
Result<void> write_control(const std::string& cgroup, std::string_view file, std::string_view value);
Result<std::string> read_control(const std::string& cgroup, std::string_view file);

// A decimal number, trailing newline and spaces ignored; `where` names the
// source in the error.
Result<uint64_t> parse_number(std::string_view text, const std::string& where);
Result<uint64_t> read_number(const std::string& cgroup, std::string_view file);

// "key value" lines (cgroup.events, memory.events, cpu.stat, v1
// memory.oom_control) as a map. A line that is not a key and a number is an
// error naming it.
Result<std::map<std::string, uint64_t, std::less<>>> parse_flat_keyed(std::string_view text);
Result<std::map<std::string, uint64_t, std::less<>>> read_flat_keyed(const std::string& cgroup, std::string_view file);
// One key of such a file; its absence is an error naming the file and key.
Result<uint64_t> read_key(const std::string& cgroup, std::string_view file, std::string_view key);

// The pids in cgroup.procs (this cgroup only, not its children).
Result<std::vector<pid_t>> processes(const std::string& cgroup);

bool exists(const std::string& path);

// mkdir / rmdir of one cgroup (rmdir: it must be empty, without children).
Result<void> create(const std::string& cgroup);
Result<void> remove(const std::string& cgroup);

// `cgroup` and every cgroup below it, children before their parents (the
// order rmdir needs). An error names the directory that could not be read.
Result<std::vector<std::string>> subtree(const std::string& cgroup);

// The processes of every cgroup in subtree(cgroup).
Result<std::vector<pid_t>> subtree_processes(const std::string& cgroup);

// rmdir of every cgroup in subtree(cgroup); all must be empty.
Result<void> remove_subtree(const std::string& cgroup);

}  // namespace dcos::isolation::cgroupfs
