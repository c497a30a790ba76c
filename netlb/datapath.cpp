#include "netlb/datapath.hpp"

namespace dcos::netlb {

Result<std::vector<Change>> reconcile(Datapath& datapath, const VipTable& want) {
  auto have = datapath.dump();
  if (!have) return Error{std::string(datapath.name()) + ": dump: " + have.error().message};
  std::vector<Change> changes = plan(*have, want);
  if (changes.empty()) return changes;
  if (auto applied = datapath.apply(changes); !applied)
    return Error{std::string(datapath.name()) + ": " + applied.error().message};
  return changes;
}

}  // namespace dcos::netlb
