// libFuzzer target for the readers of the kernel's netfilter netlink
// replies (netlb/nftables/element_batch.hpp): the first byte picks the
// answer to a GETTABLE (0), to a GETGEN (1), or to a two-message element
// batch carrying a generation (2); the rest is one datagram of replies,
// for sequence number 5 (the batch: 5 begin, 6 and 7 elements, 8 end) on
// port 42.
//
// Checked on every input: nothing is read past a reply's bounds (ASan),
// and what is accepted agrees with the request: a found table, a
// generation, an applied batch each need the acknowledgements they answer.
#include <linux/netlink.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "netlb/nftables/element_batch.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace dcos::netlb;
using namespace dcos::netlb::nft;

// Replies that are acks (NLMSG_ERROR with code 0) in `datagram`.
std::size_t acks(const std::vector<uint8_t>& datagram) {
  std::size_t count = 0;
  for (std::size_t at = 0; datagram.size() - at >= NLMSG_HDRLEN + sizeof(nlmsgerr);) {
    nlmsghdr header;
    std::memcpy(&header, datagram.data() + at, sizeof header);
    if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > datagram.size() - at) break;
    int32_t code = -1;
    if (header.nlmsg_len >= NLMSG_HDRLEN + sizeof code) std::memcpy(&code, datagram.data() + at + NLMSG_HDRLEN, sizeof code);
    if (header.nlmsg_type == NLMSG_ERROR && code == 0) ++count;
    at += std::min<std::size_t>(NLMSG_ALIGN(header.nlmsg_len), datagram.size() - at);
  }
  return count;
}

const ElementBatch& batch() {
  static const ElementBatch built = [] {
    ElementChanges changes;
    Element element;
    element.key = {Protocol::tcp, *Address::parse("11.0.0.1"), 80};
    element.endpoint = {*Address::parse("10.77.1.2"), 8080};
    changes.deletes[{SetKind::idle, true}].push_back(element);
    changes.adds[{SetKind::backends, true}].push_back(element);
    return *ElementBatch::build("dcos-l4lb", changes, 5, 77);
  }();
  return built;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::vector<std::vector<uint8_t>> datagrams{std::vector<uint8_t>(data + 1, data + size)};
  switch (data[0] % 3) {
    case 0: {
      auto found = table_reply(datagrams, "dcos-l4lb", 5, 42);
      FUZZ_CHECK(!found || acks(datagrams[0]) >= 1 || !*found, "a table found without an ack");
      break;
    }
    case 1: {
      auto generation = generation_reply(datagrams, 5, 42);
      FUZZ_CHECK(!generation || acks(datagrams[0]) >= 1, "a generation without an ack");
      break;
    }
    default: {
      auto applied = batch().check_replies(datagrams, 42);
      FUZZ_CHECK(!applied || !*applied || acks(datagrams[0]) >= 2, "a batch applied without an ack per message");
      break;
    }
  }
  return 0;
}
