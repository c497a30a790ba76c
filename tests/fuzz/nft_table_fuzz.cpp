// libFuzzer target for the nftables datapath's reader of `nft -j list
// table` (netlb/nftables/parse.hpp): whatever the bytes, parse_table()
// returns a table or an error, and every service it reports can be judged
// (service_from) without crashing; what service_from accepts, the datapath
// can lay out again into the same slots.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "netlb/nftables/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace dcos::netlb;
  auto table = nft::parse_table(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!table) return 0;
  for (const auto& [key, held] : table->services) {
    auto service = nft::service_from(key, held.rules);
    if (!service || !nft::check(*service)) continue;
    const nft::ServiceRules again = nft::layout(*service);
    if (again.slots.size() != held.rules.slots.size() || again.idle != held.rules.idle) {
      std::fprintf(stderr, "layout of a consistent service differs: %s\n", key.text().c_str());
      std::abort();
    }
  }
  return 0;
}
