// libFuzzer target for dcos::isolation::seccomp::parse_profile (a profile
// is user input: it comes with a task), and compile on what it accepts.
//
// Checked on every input (a failed check aborts, which libFuzzer reports):
//   - nothing throws out of parse_profile or compile;
//   - a refusal always says why;
//   - parsing is deterministic (the same input gives an equal Profile);
//   - an accepted profile keeps the parser's bounds (arg index <= 5, errno
//     <= 4095, at most kMaxRules entries and kMaxNames names);
//   - compile either refuses with a message or yields a program the kernel
//     could load (1..4096 instructions); unknown names are listed once each.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "isolation/linux/seccomp.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

namespace seccomp = dcos::isolation::seccomp;

// Asserts that survive NDEBUG (RelWithDebInfo builds the replay driver).
void check_bounds(const seccomp::Profile& profile) {
  FUZZ_CHECK(profile.syscalls.size() <= seccomp::kMaxRules, "more entries than kMaxRules");
  std::size_t names = 0;
  for (const auto& rule : profile.syscalls) {
    names += rule.names.size();
    for (const auto& name : rule.names) FUZZ_CHECK(!name.empty(), "an empty syscall name was accepted");
    for (const auto& arg : rule.args) FUZZ_CHECK(arg.index <= 5, "an argument index over 5 was accepted");
    FUZZ_CHECK(!rule.errno_ret || *rule.errno_ret <= seccomp::kMaxErrno, "errnoRet over 4095 was accepted");
  }
  FUZZ_CHECK(names <= seccomp::kMaxNames, "more names than kMaxNames");
  FUZZ_CHECK(!profile.default_errno_ret || *profile.default_errno_ret <= seccomp::kMaxErrno,
             "defaultErrnoRet over 4095 was accepted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto profile = seccomp::parse_profile(input);
  if (!profile) {
    FUZZ_CHECK(!profile.error().message.empty(), "a refusal without a message");
    return 0;
  }
  auto again = seccomp::parse_profile(input);
  FUZZ_CHECK(again.ok() && *again == *profile, "parsing the same input twice differed");
  check_bounds(*profile);

  auto filter = seccomp::compile(*profile, {.capabilities = {21 /* CAP_SYS_ADMIN */}, .kernel_release = "5.10.0"});
  if (!filter) {
    FUZZ_CHECK(!filter.error().message.empty(), "compile refused without a message");
    return 0;
  }
  FUZZ_CHECK(!filter->program.empty() && filter->program.size() <= 4096, "a program the kernel would not load");
  const auto& unknown = filter->unknown_syscalls;
  FUZZ_CHECK(std::is_sorted(unknown.begin(), unknown.end()) &&
                 std::adjacent_find(unknown.begin(), unknown.end()) == unknown.end(),
             "unknown syscalls not sorted and unique");
  return 0;
}
