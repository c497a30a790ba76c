// libFuzzer target for the bodies of POST /api/v1, the operator API: a
// mesos.v1.master.Call, as protobuf and as JSON (checks in call_fuzz.hpp).
#include "master.pb.h"
#include "tests/fuzz/call_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  return dcos::fuzz::fuzz_call<mesos::v1::master::Call>(data, size);
}
