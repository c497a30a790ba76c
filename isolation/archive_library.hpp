// libarchive, opened with dlopen the first time an image is unpacked rather
// than linked. Linking it maps libarchive and what it links (libxml2, ICU,
// nettle, acl, bz2) into every process that uses the containerizer: about
// 2 MB of resident memory in an idle agent, which unpacks a tarball image
// rarely, if ever (the brief's bar: an idle agent under 10 MB). systemd
// opens its optional libraries the same way.
//
// The functions keep libarchive's names without the "archive_" prefix.
// Thread-safe: opened once, on first use, and never closed.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "runtime/result.hpp"

namespace dcos::isolation {

struct ArchiveLibrary {
  decltype(&::archive_read_new) read_new;
  decltype(&::archive_read_free) read_free;
  decltype(&::archive_read_support_filter_all) read_support_filter_all;
  decltype(&::archive_read_support_format_tar) read_support_format_tar;
  decltype(&::archive_read_support_format_gnutar) read_support_format_gnutar;
  decltype(&::archive_read_open_filename) read_open_filename;
  decltype(&::archive_read_next_header) read_next_header;
  decltype(&::archive_read_data_block) read_data_block;
  decltype(&::archive_write_disk_new) write_disk_new;
  decltype(&::archive_write_disk_set_options) write_disk_set_options;
  decltype(&::archive_write_header) write_header;
  decltype(&::archive_write_data_block) write_data_block;
  decltype(&::archive_write_finish_entry) write_finish_entry;
  decltype(&::archive_write_close) write_close;
  decltype(&::archive_write_free) write_free;
  decltype(&::archive_error_string) error_string;
  decltype(&::archive_entry_size) entry_size;
  decltype(&::archive_entry_pathname) entry_pathname;
  decltype(&::archive_entry_set_pathname) entry_set_pathname;
  decltype(&::archive_entry_filetype) entry_filetype;
  decltype(&::archive_entry_hardlink) entry_hardlink;
  decltype(&::archive_entry_set_hardlink) entry_set_hardlink;
};

// libarchive's functions, or why they are not there
// ("dlopen 'libarchive.so.13': <dlerror>", "dlsym 'archive_read_new': ...").
// A failure is remembered: the library is not looked for again.
Result<const ArchiveLibrary*> archive_library();

}  // namespace dcos::isolation
