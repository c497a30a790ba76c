// Element changes as one netfilter netlink transaction, built with
// libnftnl and sent with libmnl, without nft's parser (most of the
// from-empty time of 110,000 elements when they went through nft's text).
//
//   NFNL_MSG_BATCH_BEGIN    [NFNL_BATCH_GENID: only on this ruleset generation]
//   NFT_MSG_DELSETELEM ...  every deletion, by set, at most 64 KiB a message
//   NFT_MSG_NEWSETELEM ...  every addition (NLM_F_CREATE)
//   NFNL_MSG_BATCH_END
//
// The kernel applies the batch whole or not at all. Every element message
// asks for an acknowledgement (NLM_F_ACK: one per message, not per
// element), so the outcome is known from the replies alone: a message the
// kernel refused comes back with its errno (and the kernel's own words,
// NETLINK_EXT_ACK) and is reported by what it did ("add 1,200 elements to
// inet dcos-l4lb backends4 (the first 11.0.0.1 . tcp . 80 . 0 : ...)").
// Replies are checked as untrusted input: lengths, types, sequence numbers.
//
// The ruleset's generation: every committed transaction on nftables (ours
// or anyone's, in any table of the network namespace) moves the kernel's
// generation id on by one. A batch can carry the generation it was planned
// against (NFNL_BATCH_GENID): the kernel then refuses it whole, with
// ERESTART, if any other transaction came first. So a datapath that knows
// the table at generation G, and has a batch accepted on G, knows it at
// G + 1 without reading it back; a later GETGEN that answers G + 1 means
// nothing changed since (datapath.cpp: a reconcile of an unchanged table is
// one message instead of a dump).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netlb/nftables/elements.hpp"

struct mnl_socket;

namespace dcos::netlb::nft {

class ElementBatch {
 public:
  // Builds the batch of `changes` for table inet `table`, numbering its
  // messages from `first_seq` (the batch's begin) on; with `generation`,
  // only to be applied on that ruleset generation. Fails only on an
  // element nft could not hold either (a key over 64 bytes).
  static Result<ElementBatch> build(const std::string& table, const ElementChanges& changes, uint32_t first_seq,
                                    std::optional<uint32_t> generation = {});

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  uint32_t first_seq() const { return first_seq_; }
  // The element messages (between begin and end), each with its seq.
  std::size_t messages() const { return what_.size(); }
  // What the message with `seq` does, for errors; the batch's begin
  // stands for the commit.
  std::string describe(uint32_t seq) const;

  // The replies to this batch (datagrams as read from the socket, for
  // port id `port`) checked: true when every element message was
  // acknowledged without an error; false when the kernel refused the whole
  // batch because its ruleset had moved past the batch's generation
  // (nothing applied); an Error otherwise.
  Result<bool> check_replies(std::span<const std::vector<uint8_t>> datagrams, uint32_t port) const;

 private:
  std::string table_;
  uint32_t first_seq_ = 0;
  std::optional<uint32_t> generation_;
  std::vector<uint8_t> bytes_;
  std::vector<std::string> what_;  // by seq - first_seq - 1
};

// The answer to a GETTABLE for `table` with sequence number `seq` on port
// `port`: its NEWTABLE (true) or ENOENT (false), then the ack; any other
// error or reply is an Error.
Result<bool> table_reply(std::span<const std::vector<uint8_t>> datagrams, const std::string& table, uint32_t seq,
                         uint32_t port);

// The answer to a GETGEN with sequence number `seq` on port `port`: the
// NEWGEN's generation id, then the ack; anything else is an Error.
Result<uint32_t> generation_reply(std::span<const std::vector<uint8_t>> datagrams, uint32_t seq, uint32_t port);

// The generation after `generation`: the kernel skips 0 when it wraps.
constexpr uint32_t next_generation(uint32_t generation) { return generation == UINT32_MAX ? 1 : generation + 1; }

// What BatchSocket::commit() did with the generation it was given.
enum class Committed {
  on_generation,  // applied on it: the ruleset is now at next_generation() of it
  applied,        // applied, not known on which generation (none given, or it had moved)
};

// A netfilter netlink socket for batches, kept open from one to the next:
// closing one makes the kernel first finish freeing what the last
// transaction deleted (an RCU grace period: 3-15 ms measured here), which
// every backend change would otherwise wait for. Opened on first use;
// closed after a failed batch, so the next starts clean.
class BatchSocket {
 public:
  BatchSocket() = default;
  ~BatchSocket();
  BatchSocket(const BatchSocket&) = delete;
  BatchSocket& operator=(const BatchSocket&) = delete;

  // `changes` as one batch for table inet `table`, sent, and the kernel's
  // replies checked (ElementBatch::check_replies). With `generation`, sent
  // to be applied on that generation; if the ruleset has moved past it,
  // sent again without it (as a caller that knew no generation would).
  Result<Committed> commit(const std::string& table, const ElementChanges& changes,
                           std::optional<uint32_t> generation = {});

  // The ruleset's generation now: one NFT_MSG_GETGEN.
  Result<uint32_t> generation();

  // Whether table inet `table` exists: one NFT_MSG_GETTABLE (nft 1.0.6's
  // `list tables` reads every set's elements first: 1.6-1.9 s of CPU on a
  // 110,000-element table).
  Result<bool> table_exists(const std::string& table);

 private:
  Result<void> open(std::size_t batch_bytes, std::size_t messages);
  // One batch of `changes` built, sent and its replies checked
  // (ElementBatch::check_replies).
  Result<bool> send(const std::string& table, const ElementChanges& changes, std::optional<uint32_t> generation);
  void close();

  Result<std::vector<std::vector<uint8_t>>> exchange(const std::vector<uint8_t>& request, std::size_t replies);
  template <class T, class Read>
  Result<T> get(uint16_t type, uint8_t family, const std::string& table, const std::string& what, Read read);

  mnl_socket* socket_ = nullptr;
  uint32_t seq_ = 1;  // the next batch's first
  int send_buffer_ = 0, receive_buffer_ = 0;  // as set on socket_
};

}  // namespace dcos::netlb::nft
