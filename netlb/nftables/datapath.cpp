#include "netlb/nftables/datapath.hpp"

#include <nftables/libnftables.h>

#include <optional>
#include <set>

#include "netlb/nftables/element_batch.hpp"
#include "netlb/nftables/parse.hpp"
#include "netlb/nftables/ruleset.hpp"

namespace dcos::netlb {

namespace {

using nft::Batch;

// nft's own words on one line (its message with the kernel's error, then
// the command it refers to; the lines of carets under it dropped), bounded
// (a batch of 100,000 elements can fail on each).
std::string bounded(const std::string& text) {
  std::string out;
  for (std::size_t at = 0; at < text.size() && out.size() <= 2000;) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line.find_first_not_of(" ^~\t") == std::string::npos) continue;
    out += (out.empty() ? "" : "; ") + line;
  }
  if (out.size() > 2000) out = out.substr(0, 2000) + "...";
  return out.empty() ? "(nft gave no reason)" : out;
}

// The frame as Batch::frame() writes it: the six sets and the base chains'
// rules, by comment.
bool frame_intact(const nft::HeldTable& held) {
  for (const char* set : {"services4", "services6", "backends4", "backends6", "idle4", "idle6"})
    if (!held.sets.contains(set)) return false;
  const std::vector<std::string> services{"services4", "services6"};
  auto rules = [&](const char* chain) {
    auto it = held.chains.find(chain);
    return it == held.chains.end() ? std::vector<std::string>{"(none)"} : it->second;
  };
  return rules("prerouting") == services && rules("output") == services &&
         rules("postrouting") == std::vector<std::string>{"masquerade-vips"};
}

bool pick_intact(const nft::HeldTable& held, uint32_t slots) {
  auto it = held.chains.find(nft::pick_chain(slots));
  return it != held.chains.end() && it->second == std::vector<std::string>{"vip-dnat4", "vip-dnat6"};
}

class NftablesDatapath final : public Datapath {
 public:
  NftablesDatapath(nft_ctx* context, std::string table) : context_(context), table_(std::move(table)) {}
  ~NftablesDatapath() override { nft_ctx_free(context_); }
  NftablesDatapath(const NftablesDatapath&) = delete;
  NftablesDatapath& operator=(const NftablesDatapath&) = delete;

  std::string_view name() const override { return "nftables"; }
  uint64_t unchanged_dumps() const override { return unchanged_dumps_; }

  // A reconcile of an unchanged table (the usual case) reads one number:
  // the ruleset's generation, which any transaction in the namespace moves
  // on (element_batch.hpp). programmed_ is exact at generation_: set by a
  // dump that no transaction interleaved with and that healed nothing, and
  // carried over by each element batch the kernel accepted on it.
  Result<VipTable> dump() override {
    if (known_ && generation_) {
      auto now = elements_.generation();
      if (!now) return now.error();
      if (*now == *generation_) {
        ++unchanged_dumps_;
        return programmed_;
      }
    }
    known_ = false;
    generation_.reset();
    auto before = elements_.generation();
    if (!before) return before.error();
    auto exists = table_exists();
    if (!exists) return exists.error();
    if (!*exists) {
      programmed_.clear();
      picks_.clear();
      known_ = true;
      exists_ = false;
      settle(*before);
      return VipTable{};
    }
    auto listed = run("list table inet " + table_, true);
    if (!listed) return listed.error();
    auto held = nft::parse_table(*listed);
    if (!held) return replace_unreadable(held.error().message);

    // What the kernel holds is what the services map says, where the rules
    // that carry it out agree; the rest is healed here, in one transaction,
    // and a service whose rules disagree is dropped whole for the plan to
    // add again.
    Batch heal(table_);
    VipTable table;
    std::set<uint32_t> picks;
    for (const auto& [key, service] : held->services) {
      auto consistent = service.listed && !service.bad_verdict ? nft::service_from(key, service.rules)
                                                              : Result<Service>(Error{"unlisted"});
      if (consistent && nft::check(*consistent)) {
        table[key] = std::move(*consistent);
        continue;
      }
      if (service.listed) heal.remove_service(key);
      for (const auto& [slot, endpoint] : service.rules.slots) heal.remove_slot(key, slot, endpoint);
      for (const auto& endpoint : service.rules.idle) heal.remove_idle(key, endpoint);
    }
    // Every pick-W chain that is there is kept intact, so that apply()
    // knows a chain it has not seen does not exist.
    for (const auto& [chain, rules] : held->chains) {
      auto slots = nft::pick_slots(chain);
      if (!slots) continue;
      if (!pick_intact(*held, *slots)) heal.pick_chain(*slots, /*refill=*/true);
      picks.insert(*slots);
    }
    if (!frame_intact(*held)) heal.frame();
    if (!heal.empty())
      if (auto healed = run(heal); !healed)
        return Error{"restoring table inet " + table_ + ": " + healed.error().message};
    programmed_ = table;
    picks_ = std::move(picks);
    exists_ = true;
    known_ = true;
    if (heal.empty()) settle(*before);  // a heal is read back by the next dump
    return table;
  }

  Result<void> apply(std::span<const Change> changes) override {
    if (changes.empty()) return {};
    if (!known_)
      if (auto fresh = dump(); !fresh) return fresh.error();
    // The touched services only, changed on the side (a copy of the whole
    // table would cost more than one change's transaction).
    std::set<ServiceKey> touched;
    for (const Change& change : changes) touched.insert(change.service);
    VipTable next;
    for (const ServiceKey& key : touched)
      if (auto it = programmed_.find(key); it != programmed_.end()) next.insert(*it);
    if (auto applied = apply_changes(next, changes); !applied) return applied.error();

    Batch batch(table_);
    std::set<uint32_t> picks = picks_;
    if (!exists_) {
      batch.frame();
      // The usual totals' chains, made while the maps are empty: a chain
      // made later binds a map the kernel then checks element by element.
      for (uint32_t slots = 1; slots <= nft::kPreparedPicks; ++slots)
        if (picks.insert(slots).second) batch.pick_chain(slots, /*refill=*/false);
    }
    for (const ServiceKey& key : touched) {
      auto before = programmed_.find(key);
      auto after = next.find(key);
      std::optional<nft::ServiceRules> from, to;
      if (before != programmed_.end()) from = nft::layout(before->second);
      if (after != next.end()) {
        if (auto fits = nft::check(after->second); !fits) return fits.error();
        to = nft::layout(after->second);
        if (to->pick && picks.insert(to->pick).second) batch.pick_chain(to->pick, /*refill=*/false);
      }
      batch.change(key, from ? &*from : nullptr, to ? &*to : nullptr);
    }
    if (auto done = run(batch); !done) {
      known_ = false;  // a transaction failed whole (the commands' additions may stand); dump again first
      generation_.reset();
      return Error{"one transaction of " + std::to_string(changes.size()) + " changes: " + done.error().message};
    }
    for (const ServiceKey& key : touched) {
      if (auto it = next.find(key); it != next.end())
        programmed_[key] = std::move(it->second);
      else
        programmed_.erase(key);
    }
    picks_ = std::move(picks);
    exists_ = true;
    return {};
  }

  Result<void> remove_all() override {
    known_ = false;
    generation_.reset();
    auto exists = table_exists();
    if (!exists) return exists.error();
    if (*exists)
      if (auto removed = run("delete table inet " + table_, false); !removed) return removed.error();
    programmed_.clear();
    picks_.clear();
    exists_ = false;
    known_ = true;
    return {};
  }

 private:
  // One nft run (one transaction); its output, or its error text.
  Result<std::string> run(const std::string& commands, bool json) {
    nft_ctx_output_set_flags(context_, json ? NFT_CTX_OUTPUT_JSON : 0);
    const int rc = nft_run_cmd_from_buffer(context_, commands.c_str());
    std::string output = nft_ctx_get_output_buffer(context_);
    std::string error = nft_ctx_get_error_buffer(context_);
    if (rc != 0) {
      const std::string first = commands.substr(0, std::min<std::size_t>(commands.find('\n'), 120));
      return Error{"nft '" + first + (commands.size() > first.size() ? " ...'" : "'") + ": " + bounded(error)};
    }
    return output;
  }

  // One Batch: nft's commands (the frame, new pick chains: only additions
  // the elements may refer to) in one transaction, then every element
  // change in one more (element_batch.hpp, without nft's parser). Only an
  // element batch accepted on generation_ keeps it known: nft's commands
  // carry no generation of ours.
  Result<void> run(const Batch& batch) {
    if (!batch.commands().empty()) {
      generation_.reset();
      if (auto done = run(batch.commands(), false); !done) return done.error();
    }
    if (batch.elements().empty()) return {};
    auto committed = elements_.commit(table_, batch.elements(), generation_);
    if (!committed) return committed.error();
    if (*committed == nft::Committed::on_generation)
      generation_ = nft::next_generation(*generation_);
    else
      generation_.reset();
    return {};
  }

  // The dump that began at generation `before` read a table no one else
  // changed meanwhile if the generation is still `before`.
  void settle(uint32_t before) {
    auto after = elements_.generation();
    if (after && *after == before) generation_ = before;
  }

  // A table we cannot read (changed from outside into a shape we do not
  // write, or listed by nft in JSON that is not: nft 1.0.6 with a table
  // flag it cannot print) cannot be healed piece by piece: it goes whole,
  // and the plan against the empty table this returns builds it again.
  Result<VipTable> replace_unreadable(const std::string& why) {
    generation_.reset();
    if (auto removed = run("delete table inet " + table_, false); !removed)
      return Error{"list table inet " + table_ + ": " + why + "; replacing it: " + removed.error().message};
    programmed_.clear();
    picks_.clear();
    known_ = true;
    exists_ = false;
    return VipTable{};
  }

  // Over netlink, not nft: nft 1.0.6 reads every set's elements for
  // `list tables` (its JSON also printed the `owner` flag as garbage).
  Result<bool> table_exists() { return elements_.table_exists(table_); }

  nft_ctx* context_;
  std::string table_;
  nft::BatchSocket elements_;
  VipTable programmed_;       // what the kernel holds, as of the last dump and the applies since
  std::set<uint32_t> picks_;  // pick-W chains that exist with their rules
  bool known_ = false;        // programmed_ is current (no failed transaction since the dump)
  bool exists_ = false;
  std::optional<uint32_t> generation_;  // the ruleset's generation at which programmed_ is exact
  uint64_t unchanged_dumps_ = 0;
};

}  // namespace

Result<std::unique_ptr<Datapath>> make_nftables_datapath(const NftablesOptions& options) {
  if (options.table.empty() || options.table.size() > 64 ||
      options.table.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
    return Error{"nftables table name '" + options.table + "' is not a-z, 0-9, - or _ (at most 64)"};
  nft_ctx* context = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!context) return Error{"nft_ctx_new: libnftables could not be set up"};
  if (nft_ctx_buffer_output(context) != 0 || nft_ctx_buffer_error(context) != 0) {
    nft_ctx_free(context);
    return Error{"libnftables: cannot buffer its output"};
  }
  return std::unique_ptr<Datapath>(std::make_unique<NftablesDatapath>(context, options.table));
}

}  // namespace dcos::netlb
