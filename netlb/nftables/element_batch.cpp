#include "netlb/nftables/element_batch.hpp"

#include "netlb/nftables/ruleset.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>

namespace dcos::netlb::nft {

namespace {

// Each message's elements stay under this many bytes: the kernel reads the
// element list as one attribute, whose length is 16 bits.
constexpr std::size_t kElementBytes = 60000;
// Room made in the buffer before each message is written (libnftnl writes
// without bounds): twice what a message can take.
constexpr std::size_t kMessageRoom = 128 * 1024;

constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// What one element can take in a message, at most: its nest, the key (a
// nest and a value of at most 44 bytes), and what an addition carries.
std::size_t element_bound(SetKind kind, bool add, const Element& element) {
  std::size_t n = 4 + 8 + 44;
  if (add && kind == SetKind::backends) n += 8 + 20;
  if (add && kind == SetKind::services)
    n += 4 + 4 + 8 + 4 + align4(pick_chain(element.pick).size() + 1) + 4 + align4(2 + element.scheduler.size() + 1);
  return n;
}

struct SetFree {
  void operator()(nftnl_set* set) const { nftnl_set_free(set); }
};
struct UdataFree {
  void operator()(nftnl_udata_buf* buf) const { nftnl_udata_buf_free(buf); }
};

// The value half of an addition: a backend's address and port, or a
// services element's verdict and its comment (the scheduler).
Result<void> set_value(nftnl_set_elem* e, SetKind kind, const Element& element) {
  if (kind == SetKind::backends) {
    const Bytes data = element_data(kind, element);
    if (nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data.data(), uint32_t(data.size())) < 0)
      return Error{"nftnl_set_elem_set(data): refused"};
  }
  if (kind != SetKind::services) return {};
  const int verdict = element.pick ? NFT_GOTO : NF_ACCEPT;
  nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, uint32_t(verdict));
  if (element.pick && nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, pick_chain(element.pick).c_str()) < 0)
    return Error{"nftnl_set_elem_set(chain): out of memory"};
  std::unique_ptr<nftnl_udata_buf, UdataFree> comment(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
  if (!comment || !nftnl_udata_put_strz(comment.get(), NFTNL_UDATA_SET_ELEM_COMMENT, element.scheduler.c_str()))
    return Error{"the comment '" + element.scheduler + "' does not fit an element's user data"};
  if (nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(comment.get()),
                         nftnl_udata_buf_len(comment.get())) < 0)
    return Error{"nftnl_set_elem_set(userdata): out of memory"};
  return {};
}

// One NEWSETELEM or DELSETELEM message of `elements` at `at` (with
// kMessageRoom bytes free).
Result<nlmsghdr*> element_message(char* at, const std::string& table, ElementSet set, bool add,
                                  std::span<const Element> elements, uint32_t seq) {
  std::unique_ptr<nftnl_set, SetFree> held(nftnl_set_alloc());
  if (!held || nftnl_set_set_str(held.get(), NFTNL_SET_TABLE, table.c_str()) < 0 ||
      nftnl_set_set_str(held.get(), NFTNL_SET_NAME, set.name().c_str()) < 0)
    return Error{"nftnl_set_alloc: out of memory"};
  for (const Element& element : elements) {
    nftnl_set_elem* e = nftnl_set_elem_alloc();
    if (!e) return Error{"nftnl_set_elem_alloc: out of memory"};
    nftnl_set_elem_add(held.get(), e);  // the set owns it from here
    const Bytes key = element_key(set.kind, element);
    if (nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key.data(), uint32_t(key.size())) < 0)
      return Error{"nftnl_set_elem_set(key): a key of " + std::to_string(key.size()) + " bytes"};
    if (add)
      if (auto value = set_value(e, set.kind, element); !value) return value.error();
  }
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(at, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, NFPROTO_INET,
                                        uint16_t((add ? NLM_F_CREATE : 0) | NLM_F_ACK), seq);
  nftnl_set_elems_nlmsg_build_payload(nlh, held.get());
  if (nlh->nlmsg_len > UINT16_MAX)  // cannot happen with element_bound's bounds: a broken bound, say so
    return Error{"a netlink message of " + std::to_string(nlh->nlmsg_len) + " bytes for " +
                 std::to_string(elements.size()) + " elements: over the element list's 64 KiB"};
  return nlh;
}

std::string describe_message(const std::string& table, ElementSet set, bool add, std::span<const Element> elements) {
  return std::string(add ? "add " : "delete ") + std::to_string(elements.size()) +
         (elements.size() == 1 ? " element " : " elements ") + (add ? "to" : "from") + " inet " + table + " " +
         set.name() + " (" + (elements.size() == 1 ? "" : "the first ") + element_text(set.kind, elements.front()) +
         ")";
}

std::string errno_text(int64_t error) {
  return std::string(error > 0 && error < 4096 ? strerror(int(error)) : "an invalid error") + " (errno " +
         std::to_string(error) + ")";
}

// The kernel's own words in an error's extended acknowledgement (the
// attributes after the error and, unless capped, the request's payload),
// bounded; empty when there are none.
std::string kernel_message(const nlmsghdr& header, std::span<const uint8_t> body) {
  if (!(header.nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  std::size_t offset = sizeof(nlmsgerr);
  if (!(header.nlmsg_flags & NLM_F_CAPPED)) {
    nlmsghdr request;
    std::memcpy(&request, body.data() + offsetof(nlmsgerr, msg), sizeof request);
    if (request.nlmsg_len < NLMSG_HDRLEN) return "";
    offset += NLMSG_ALIGN(request.nlmsg_len - NLMSG_HDRLEN);
  }
  while (offset + sizeof(nlattr) <= body.size()) {
    nlattr attr;
    std::memcpy(&attr, body.data() + offset, sizeof attr);
    if (attr.nla_len < sizeof attr || attr.nla_len > body.size() - offset) return "";
    if ((attr.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* text = reinterpret_cast<const char*>(body.data() + offset + sizeof attr);
      const std::size_t size = strnlen(text, std::min<std::size_t>(attr.nla_len - sizeof attr, 200));
      return std::string(text, size);
    }
    offset += NLA_ALIGN(attr.nla_len);
  }
  return "";
}

}  // namespace

Result<ElementBatch> ElementBatch::build(const std::string& table, const ElementChanges& changes, uint32_t first_seq,
                                         std::optional<uint32_t> generation) {
  ElementBatch batch;
  batch.table_ = table;
  batch.first_seq_ = first_seq;
  batch.generation_ = generation;
  std::size_t used = 0;
  auto room = [&]() {
    if (batch.bytes_.size() < used + kMessageRoom) batch.bytes_.resize(used + kMessageRoom);
    return reinterpret_cast<char*>(batch.bytes_.data() + used);
  };
  nlmsghdr* begin = nftnl_batch_begin(room(), first_seq);
  if (generation) mnl_attr_put_u32(begin, NFNL_BATCH_GENID, htonl(*generation));
  used += NLMSG_ALIGN(begin->nlmsg_len);
  uint32_t seq = first_seq;
  for (bool add : {false, true}) {
    for (const auto& [set, elements] : add ? changes.adds : changes.deletes) {
      for (std::size_t i = 0; i < elements.size();) {
        std::size_t end = i, size = 0;
        while (end < elements.size() && (end == i || size + element_bound(set.kind, add, elements[end]) <= kElementBytes))
          size += element_bound(set.kind, add, elements[end++]);
        const std::span<const Element> part(elements.data() + i, end - i);
        auto message = element_message(room(), table, set, add, part, ++seq);
        if (!message) return Error{describe_message(table, set, add, part) + ": " + message.error().message};
        used += NLMSG_ALIGN((*message)->nlmsg_len);
        batch.what_.push_back(describe_message(table, set, add, part));
        i = end;
      }
    }
  }
  used += nftnl_batch_end(room(), ++seq)->nlmsg_len;
  batch.bytes_.resize(used);
  return batch;
}

std::string ElementBatch::describe(uint32_t seq) const {
  if (seq == first_seq_) return "commit of the transaction on inet " + table_;
  const uint64_t index = uint64_t(seq) - first_seq_ - 1;
  if (seq > first_seq_ && index < what_.size()) return what_[index];
  return "the end of the transaction on inet " + table_;
}


namespace {

struct Reply {
  nlmsghdr header;
  std::span<const uint8_t> body;
};

// The netlink messages in `datagrams`, each checked to lie within its own.
Result<std::vector<Reply>> split_replies(std::span<const std::vector<uint8_t>> datagrams) {
  std::vector<Reply> replies;
  for (const std::vector<uint8_t>& datagram : datagrams) {
    std::size_t offset = 0;
    while (datagram.size() - offset >= NLMSG_HDRLEN) {
      Reply reply;
      std::memcpy(&reply.header, datagram.data() + offset, sizeof reply.header);
      const uint32_t length = reply.header.nlmsg_len;
      if (length < NLMSG_HDRLEN || length > datagram.size() - offset)
        return Error{"a reply's length " + std::to_string(length) + " runs past its datagram"};
      reply.body = std::span<const uint8_t>(datagram.data() + offset + NLMSG_HDRLEN, length - NLMSG_HDRLEN);
      replies.push_back(reply);
      offset += std::min<std::size_t>(NLMSG_ALIGN(length), datagram.size() - offset);
    }
    if (offset != datagram.size()) return Error{"trailing bytes after a batch's replies"};
  }
  return replies;
}

// The payload of the top-level attribute `type` of an nftables message's
// body (after its nfgenmsg); nothing when it has none or is malformed.
std::optional<std::span<const uint8_t>> attribute(std::span<const uint8_t> body, uint16_t type) {
  for (std::size_t offset = NLMSG_ALIGN(sizeof(nfgenmsg)); offset + sizeof(nlattr) <= body.size();) {
    nlattr attr;
    std::memcpy(&attr, body.data() + offset, sizeof attr);
    if (attr.nla_len < sizeof attr || attr.nla_len > body.size() - offset) return std::nullopt;
    if ((attr.nla_type & NLA_TYPE_MASK) == type) return body.subspan(offset + sizeof attr, attr.nla_len - sizeof attr);
    offset += NLA_ALIGN(attr.nla_len);
  }
  return std::nullopt;
}

// NFTA_TABLE_NAME of a NEWTABLE message's body, or "" when it has none.
std::string table_name(std::span<const uint8_t> body) {
  auto name = attribute(body, NFTA_TABLE_NAME);
  if (!name) return "";
  const char* text = reinterpret_cast<const char*>(name->data());
  return std::string(text, strnlen(text, name->size()));
}

// The ack or error ending the answer to a get: its code.
std::optional<int32_t> ack_code(const nlmsghdr& header, std::span<const uint8_t> body) {
  if (header.nlmsg_type != NLMSG_ERROR || body.size() < sizeof(nlmsgerr)) return std::nullopt;
  int32_t code;
  std::memcpy(&code, body.data(), sizeof code);
  return code;
}

}  // namespace

Result<bool> ElementBatch::check_replies(std::span<const std::vector<uint8_t>> datagrams, uint32_t port) const {
  auto replies = split_replies(datagrams);
  if (!replies) return replies.error();
  std::vector<bool> acked(what_.size());
  std::size_t acks = 0;
  std::string errors;
  std::size_t unreported = 0;  // bounded: a batch can fail in every message
  for (const auto& [header, body] : *replies) {
    if (header.nlmsg_type != NLMSG_ERROR)
      return Error{"a reply of netlink type " + std::to_string(header.nlmsg_type) + " to a batch (only acks come)"};
    if (header.nlmsg_pid != port || body.size() < sizeof(nlmsgerr))
      return Error{"a reply not for this socket, or shorter than an error"};
    // first_seq_: the begin (the commit's error); then the element
    // messages; then the end.
    const uint64_t at = uint64_t(header.nlmsg_seq) - first_seq_;
    if (header.nlmsg_seq < first_seq_ || at > what_.size() + 1)
      return Error{"a reply to sequence number " + std::to_string(header.nlmsg_seq) + ", not of this batch"};
    if (at >= 1 && at <= what_.size() && !acked[at - 1]) {
      acked[at - 1] = true;
      ++acks;
    }
    int32_t code;
    std::memcpy(&code, body.data(), sizeof code);
    if (code == 0) continue;
    // The kernel checks the generation before any message: its refusal is
    // the only reply.
    if (code == -ERESTART && generation_ && header.nlmsg_seq == first_seq_ && replies->size() == 1) return false;
    if (errors.size() > 2000) {
      ++unreported;
      continue;
    }
    const std::string words = kernel_message(header, body);
    errors += (errors.empty() ? "" : "; ") + describe(header.nlmsg_seq) + ": " + errno_text(-int64_t{code}) +
              (words.empty() ? "" : " (" + words + ")");
  }
  if (unreported) errors += "; and " + std::to_string(unreported) + " more messages refused";
  if (!errors.empty()) return Error{errors};
  if (acks != what_.size())
    return Error{"the kernel acknowledged " + std::to_string(acks) + " of the transaction's " +
                 std::to_string(what_.size()) + " messages on inet " + table_};
  return true;
}

BatchSocket::~BatchSocket() { close(); }

void BatchSocket::close() {
  if (socket_) mnl_socket_close(socket_);
  socket_ = nullptr;
  send_buffer_ = receive_buffer_ = 0;
}

// Errors capped to the request's header (an error to a 64 KiB message
// would otherwise bring the message back), the kernel's words included,
// buffers big enough for the batch and its acks.
Result<void> BatchSocket::open(std::size_t batch_bytes, std::size_t messages) {
  if (!socket_) {
    socket_ = mnl_socket_open(NETLINK_NETFILTER);
    if (!socket_) return errno_error("socket(AF_NETLINK, NETLINK_NETFILTER)");
    if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
      auto error = errno_error("bind(netfilter netlink socket)");
      close();
      return error;
    }
    int on = 1;
    mnl_socket_setsockopt(socket_, NETLINK_CAP_ACK, &on, sizeof on);  // both optional: older kernels lack them
    mnl_socket_setsockopt(socket_, NETLINK_EXT_ACK, &on, sizeof on);
  }
  const int fd = mnl_socket_get_fd(socket_);
  // The kernel takes the batch as one datagram: the send buffer must hold
  // it (FORCE: past net.core.wmem_max, with CAP_NET_ADMIN, which the batch
  // needs anyway).
  const int send = int(std::min<std::size_t>(batch_bytes + 4096, INT32_MAX / 2));
  if (send > send_buffer_) {
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &send, sizeof send) != 0 &&
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send, sizeof send) != 0)
      return errno_error("setsockopt(SO_SNDBUF, " + std::to_string(send) + ")");
    send_buffer_ = send;
  }
  const int receive = int(std::min<std::size_t>(messages * 1024 + 65536, INT32_MAX / 2));
  if (receive > receive_buffer_) {
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive, sizeof receive) != 0)
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive, sizeof receive);  // the default may do: a lost ack is reported
    receive_buffer_ = receive;
  }
  return {};
}

Result<Committed> BatchSocket::commit(const std::string& table, const ElementChanges& changes,
                                      std::optional<uint32_t> generation) {
  auto done = send(table, changes, generation);
  if (done && *done) return generation ? Committed::on_generation : Committed::applied;
  // Refused for its generation (only a batch carrying one can be): the
  // ruleset moved on; sent as a caller that knew none would send it.
  if (done) done = send(table, changes, std::nullopt);
  if (!done) {
    close();  // the next batch starts on a fresh socket, whatever this one still holds
    return done.error();
  }
  return Committed::applied;
}

Result<bool> BatchSocket::send(const std::string& table, const ElementChanges& changes,
                               std::optional<uint32_t> generation) {
  if (seq_ > UINT32_MAX / 2) seq_ = 1;
  auto batch = ElementBatch::build(table, changes, seq_, generation);
  if (!batch) return batch.error();
  seq_ += uint32_t(batch->messages() + 2);
  auto replies = exchange(batch->bytes(), batch->messages());
  if (!replies) return Error{batch->describe(batch->first_seq()) + ": " + replies.error().message};
  return batch->check_replies(*replies, mnl_socket_get_portid(socket_));
}

// Sends `request` and reads every reply the kernel queued while handling
// it (within the send: batches and GETs of one object alike), bounded by
// what can come (`replies` messages' answers and a few more).
Result<std::vector<std::vector<uint8_t>>> BatchSocket::exchange(const std::vector<uint8_t>& request,
                                                                std::size_t replies) {
  if (auto opened = open(request.size(), replies); !opened) return opened.error();
  const ssize_t sent = mnl_socket_sendto(socket_, request.data(), request.size());
  if (sent < 0 || std::size_t(sent) != request.size())
    return errno_error("sendto(netfilter netlink, " + std::to_string(request.size()) + " bytes)");
  std::vector<std::vector<uint8_t>> datagrams;
  std::vector<uint8_t> buffer(UINT16_MAX + 4096);  // an error uncapped by an old kernel: the 64 KiB message back
  for (std::size_t reads = 0; reads < replies + 4; ++reads) {
    const ssize_t got = ::recv(mnl_socket_get_fd(socket_), buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (got < 0) return errno_error("recv(the kernel's replies)");
    if (std::size_t(got) > buffer.size())
      return Error{"a reply of " + std::to_string(got) + " bytes, over " + std::to_string(buffer.size())};
    datagrams.emplace_back(buffer.begin(), buffer.begin() + got);
  }
  return datagrams;
}

// Sends a get of one object (`type`, with the table's name when `table` is
// not empty) and returns the kernel's replies, checked by `read`, with
// `what` before any error; a failed get closes the socket.
template <class T, class Read>
Result<T> BatchSocket::get(uint16_t type, uint8_t family, const std::string& table, const std::string& what,
                           Read read) {
  const uint32_t seq = seq_++;
  std::vector<uint8_t> request(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(request.data()), type, family, NLM_F_ACK, seq);
  if (!table.empty()) mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table.c_str());  // the caller's name: at most 64 bytes
  request.resize(nlh->nlmsg_len);
  auto replies = exchange(request, 2);
  Result<T> got = replies ? read(*replies, seq, mnl_socket_get_portid(socket_)) : Result<T>(replies.error());
  if (!got) {
    close();
    return Error{what + ": " + got.error().message};
  }
  return got;
}

Result<bool> BatchSocket::table_exists(const std::string& table) {
  return get<bool>(NFT_MSG_GETTABLE, NFPROTO_INET, table, "get table inet " + table,
                   [&table](auto& replies, uint32_t seq, uint32_t port) { return table_reply(replies, table, seq, port); });
}

Result<uint32_t> BatchSocket::generation() {
  return get<uint32_t>(NFT_MSG_GETGEN, AF_UNSPEC, "", "get the nftables ruleset's generation", generation_reply);
}

namespace {

// The answer to a get of one object (`seq` on `port`): each message of
// nftables type `answer` goes to `on_answer`, and an ack or error ends it.
// Returns the ack's code (0, or the negative errno the kernel refused with),
// or an Error for anything else: another sequence number or port, another
// message type, no ack.
template <class OnAnswer>
Result<int32_t> read_get(std::span<const std::vector<uint8_t>> datagrams, uint32_t seq, uint32_t port, uint16_t answer,
                         OnAnswer on_answer) {
  auto replies = split_replies(datagrams);
  if (!replies) return replies.error();
  std::optional<int32_t> acked;
  for (const auto& [header, body] : *replies) {
    if (header.nlmsg_seq != seq || header.nlmsg_pid != port)
      return Error{"a reply to sequence number " + std::to_string(header.nlmsg_seq) + ", not ours"};
    if (header.nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | answer)) {
      if (auto taken = on_answer(body); !taken) return taken.error();
      continue;
    }
    auto code = ack_code(header, body);
    if (!code) return Error{"a reply of netlink type " + std::to_string(header.nlmsg_type) + " to a get"};
    if (acked) return Error{"two acknowledgements of one get"};
    acked = *code;
  }
  if (!acked) return Error{"the kernel's answer is incomplete (no acknowledgement)"};
  return *acked;
}

}  // namespace

Result<uint32_t> generation_reply(std::span<const std::vector<uint8_t>> datagrams, uint32_t seq, uint32_t port) {
  std::optional<uint32_t> generation;
  auto code = read_get(datagrams, seq, port, NFT_MSG_NEWGEN, [&](std::span<const uint8_t> body) -> Result<void> {
    auto id = attribute(body, NFTA_GEN_ID);
    if (!id || id->size() != sizeof(uint32_t) || generation) return Error{"a malformed generation message"};
    uint32_t value;
    std::memcpy(&value, id->data(), sizeof value);
    generation = ntohl(value);
    return {};
  });
  if (!code) return code.error();
  if (*code != 0) return Error{errno_text(-int64_t{*code})};
  if (!generation) return Error{"the kernel's answer is incomplete (no generation)"};
  return *generation;
}

Result<bool> table_reply(std::span<const std::vector<uint8_t>> datagrams, const std::string& table, uint32_t seq,
                         uint32_t port) {
  bool found = false;
  auto code = read_get(datagrams, seq, port, NFT_MSG_NEWTABLE, [&](std::span<const uint8_t> body) -> Result<void> {
    // nfgenmsg, then the table's attributes: its name must be ours.
    const std::string name = table_name(body);
    if (name != table) return Error{"the kernel answered with table '" + name.substr(0, 64) + "'"};
    found = true;
    return {};
  });
  if (!code) return code.error();
  if (*code == -ENOENT && !found) return false;
  if (*code != 0) return Error{errno_text(-int64_t{*code})};
  if (!found) return Error{"the kernel's answer is incomplete (no table)"};
  return true;
}

}  // namespace dcos::netlb::nft
