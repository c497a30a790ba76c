#include "isolation/archive_library.hpp"

#include <dlfcn.h>

#include <memory>
#include <string>

namespace dcos::isolation {
namespace {

// libarchive's soname since 3.0 (2011); ABI changes would rename it.
constexpr const char* kSoname = "libarchive.so.13";

template <class Function>
Result<void> bind(void* handle, Function* target, const char* name) {
  void* symbol = ::dlsym(handle, name);
  if (!symbol) return Error{std::string("dlsym '") + name + "' in '" + kSoname + "': " + ::dlerror()};
  *target = reinterpret_cast<Function>(symbol);
  return {};
}

Result<ArchiveLibrary> open_library() {
  // Closed again if a symbol is missing; kept open for the process's life
  // otherwise, as the functions are used from any thread at any time.
  std::unique_ptr<void, int (*)(void*)> opened(::dlopen(kSoname, RTLD_NOW | RTLD_LOCAL), ::dlclose);
  if (!opened) return Error{std::string("dlopen '") + kSoname + "': " + ::dlerror()};
  void* handle = opened.get();
  ArchiveLibrary lib{};
  // Each member paired with its symbol by the macro, so the two cannot drift.
#define DCOS_BIND(member, symbol) \
  if (auto bound = bind(handle, &lib.member, #symbol); !bound) return bound.error();
  DCOS_BIND(read_new, archive_read_new)
  DCOS_BIND(read_free, archive_read_free)
  DCOS_BIND(read_support_filter_all, archive_read_support_filter_all)
  DCOS_BIND(read_support_format_tar, archive_read_support_format_tar)
  DCOS_BIND(read_support_format_gnutar, archive_read_support_format_gnutar)
  DCOS_BIND(read_open_filename, archive_read_open_filename)
  DCOS_BIND(read_next_header, archive_read_next_header)
  DCOS_BIND(read_data_block, archive_read_data_block)
  DCOS_BIND(write_disk_new, archive_write_disk_new)
  DCOS_BIND(write_disk_set_options, archive_write_disk_set_options)
  DCOS_BIND(write_header, archive_write_header)
  DCOS_BIND(write_data_block, archive_write_data_block)
  DCOS_BIND(write_finish_entry, archive_write_finish_entry)
  DCOS_BIND(write_close, archive_write_close)
  DCOS_BIND(write_free, archive_write_free)
  DCOS_BIND(error_string, archive_error_string)
  DCOS_BIND(entry_size, archive_entry_size)
  DCOS_BIND(entry_pathname, archive_entry_pathname)
  DCOS_BIND(entry_set_pathname, archive_entry_set_pathname)
  DCOS_BIND(entry_filetype, archive_entry_filetype)
  DCOS_BIND(entry_hardlink, archive_entry_hardlink)
  DCOS_BIND(entry_set_hardlink, archive_entry_set_hardlink)
#undef DCOS_BIND
  opened.release();
  return lib;
}

}  // namespace

Result<const ArchiveLibrary*> archive_library() {
  static const Result<ArchiveLibrary> loaded = open_library();
  if (!loaded) return loaded.error();
  return &loaded.value();
}

}  // namespace dcos::isolation
