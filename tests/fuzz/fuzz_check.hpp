// FUZZ_CHECK(condition, what): a property every fuzz target asserts on each
// input; when it fails, the target says which (file, line, what, the
// condition) and aborts, so libFuzzer keeps the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                                          \
  do {                                                                                                       \
    if (!(condition)) {                                                                                      \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s (%s)\n", __FILE__, __LINE__, what, #condition); \
      std::abort();                                                                                          \
    }                                                                                                        \
  } while (0)
