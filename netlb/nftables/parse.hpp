// Reads our table back from `nft -j list table inet <ours>` (libnftables'
// JSON output) into what each service's rules are (ruleset.hpp), without
// judging them: datapath.cpp decides what is consistent and heals the rest.
//
// Untrusted input in the sense that anyone with CAP_NET_ADMIN may have
// changed the table: anything of an unexpected shape (a map element that is
// not our concatenation, an address of the wrong family, a port out of
// range, a verdict other than goto/accept) is an Error naming it, never a
// crash. Sizes are bounded by the caller (the output buffer). Fuzzed by
// tests/fuzz/nft_table_fuzz.cpp.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "netlb/nftables/ruleset.hpp"

namespace dcos::netlb::nft {

struct HeldService {
  bool listed = false;      // in services4/6; otherwise its slots and idle are orphans
  bool bad_verdict = false; // a verdict apply() does not write (jump, drop, goto elsewhere)
  ServiceRules rules;
};

struct HeldTable {
  std::map<ServiceKey, HeldService> services;
  std::set<std::string> sets;                           // maps and sets by name
  std::map<std::string, std::vector<std::string>> chains;  // chain -> its rules' comments, in order
};

Result<HeldTable> parse_table(std::string_view json);

}  // namespace dcos::netlb::nft
