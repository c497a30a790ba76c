// Test support: reading what a raw peer received on the framed transport.
#pragma once

#include <string_view>
#include <vector>

#include "runtime/frame.hpp"

namespace dcos::testing {

// Every whole frame in `bytes`, in order; stops at the first bad one.
inline std::vector<internal::Envelope> decode_all(std::string_view bytes) {
  wire::FrameDecoder decoder;
  std::vector<internal::Envelope> out;
  if (!decoder.feed(bytes)) return out;
  for (auto next = decoder.next(); next && next->has_value(); next = decoder.next()) out.push_back(**next);
  return out;
}

}  // namespace dcos::testing
