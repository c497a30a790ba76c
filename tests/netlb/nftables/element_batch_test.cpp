// The element batch without a kernel: the bytes of each set's keys and
// values (written out here from nft's register layout: every field of a
// concatenation padded to 4 bytes, addresses and ports in network order,
// the numgen slot in host order), the batch's messages decoded attribute by
// attribute (checked against linux/netfilter/nf_tables.h, not libnftnl),
// and the replies: acks, errors named by what the refused message did,
// and replies that are not what the kernel sends. That nft reads what we
// write is the datapath tests' dump round trip (nftables_datapath_test).
#include "netlb/nftables/element_batch.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstring>
#include <optional>
#include <utility>
#include <vector>

namespace dcos::netlb::nft {
namespace {

Address ip(const char* text) { return *Address::parse(text); }
ServiceKey key(const char* vip, uint16_t port, Protocol protocol = Protocol::tcp) { return {protocol, ip(vip), port}; }

Bytes host_u32(uint32_t v) {
  Bytes out(4);
  std::memcpy(out.data(), &v, 4);
  return out;
}
Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Element backend(const ServiceKey& k, uint32_t slot, const char* address, uint16_t port) {
  Element e;
  e.key = k;
  e.slot = slot;
  e.endpoint = {ip(address), port};
  return e;
}

TEST(NftElementsTest, KeysAndValuesAreNftsRegisterLayout) {
  Element e = backend(key("11.0.1.2", 80), 258, "10.77.1.2", 8080);
  EXPECT_EQ(element_key(SetKind::services, e), (Bytes{11, 0, 1, 2, 6, 0, 0, 0, 0, 80, 0, 0}));
  EXPECT_EQ(element_key(SetKind::backends, e), concat({{11, 0, 1, 2, 6, 0, 0, 0, 0, 80, 0, 0}, host_u32(258)}));
  EXPECT_EQ(element_data(SetKind::backends, e), (Bytes{10, 77, 1, 2, 0x1f, 0x90, 0, 0}));
  EXPECT_EQ(element_key(SetKind::idle, e), (Bytes{11, 0, 1, 2, 6, 0, 0, 0, 0, 80, 0, 0, 10, 77, 1, 2, 0x1f, 0x90, 0, 0}));
  EXPECT_TRUE(element_data(SetKind::services, e).empty());
  EXPECT_TRUE(element_data(SetKind::idle, e).empty());

  Element six = backend(key("fd00::1", 443, Protocol::udp), 3, "fd01::2", 8080);
  const Bytes vip = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const Bytes target = {0xfd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x1f, 0x90, 0, 0};
  const Bytes service = concat({vip, {17, 0, 0, 0, 0x01, 0xbb, 0, 0}});
  EXPECT_EQ(element_key(SetKind::services, six), service);
  EXPECT_EQ(element_key(SetKind::backends, six), concat({service, host_u32(3)}));
  EXPECT_EQ(element_data(SetKind::backends, six), target);
  EXPECT_EQ(element_key(SetKind::idle, six), concat({service, target}));
  EXPECT_EQ(element_text(SetKind::backends, e), "11.0.1.2 . tcp . 80 . 258 : 10.77.1.2 . 8080");
}

// A netlink message decoded: header, nfgenmsg, top-level attributes.
struct Message {
  nlmsghdr header;
  nfgenmsg gen;
  std::vector<std::pair<uint16_t, Bytes>> attributes;
};

std::vector<std::pair<uint16_t, Bytes>> attributes_of(const Bytes& bytes) {
  std::vector<std::pair<uint16_t, Bytes>> out;
  for (std::size_t at = 0; at + 4 <= bytes.size();) {
    nlattr a;
    std::memcpy(&a, bytes.data() + at, sizeof a);
    EXPECT_GE(a.nla_len, 4);
    EXPECT_LE(a.nla_len, bytes.size() - at);
    if (a.nla_len < 4 || a.nla_len > bytes.size() - at) break;
    out.emplace_back(a.nla_type & NLA_TYPE_MASK, Bytes(bytes.begin() + at + 4, bytes.begin() + at + a.nla_len));
    at += NLA_ALIGN(a.nla_len);
  }
  return out;
}

Bytes attribute(const std::vector<std::pair<uint16_t, Bytes>>& list, uint16_t type) {
  for (const auto& [t, payload] : list)
    if (t == type) return payload;
  ADD_FAILURE() << "no attribute " << type;
  return {};
}

std::vector<Message> messages_of(const Bytes& bytes) {
  std::vector<Message> out;
  for (std::size_t at = 0; at + NLMSG_HDRLEN <= bytes.size();) {
    Message m;
    std::memcpy(&m.header, bytes.data() + at, sizeof m.header);
    EXPECT_LE(m.header.nlmsg_len, bytes.size() - at);
    EXPECT_LE(m.header.nlmsg_len, 65535u) << "the element list's nest has a 16-bit length";
    if (m.header.nlmsg_len > bytes.size() - at || m.header.nlmsg_len < NLMSG_HDRLEN + sizeof m.gen) break;
    std::memcpy(&m.gen, bytes.data() + at + NLMSG_HDRLEN, sizeof m.gen);
    m.attributes = attributes_of(Bytes(bytes.begin() + at + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof m.gen),
                                       bytes.begin() + at + m.header.nlmsg_len));
    out.push_back(m);
    at += NLMSG_ALIGN(m.header.nlmsg_len);
  }
  return out;
}

constexpr uint16_t kNewElements = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM;
constexpr uint16_t kDeleteElements = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELSETELEM;

Bytes text(const char* s) { return Bytes(s, s + std::strlen(s) + 1); }

TEST(NftElementBatchTest, OneTransactionDeletionsFirstEachMessageNamingItsSet) {
  ElementChanges changes;
  const ServiceKey web = key("11.0.0.1", 80);
  changes.deletes[{SetKind::backends, true}].push_back(backend(web, 1, "10.77.1.2", 8080));
  Element verdict;
  verdict.key = web;
  verdict.pick = 3;
  verdict.scheduler = "wlc";
  changes.adds[{SetKind::services, true}].push_back(verdict);
  changes.adds[{SetKind::backends, true}].push_back(backend(web, 2, "10.77.3.2", 8080));
  auto batch = ElementBatch::build("dcos-l4lb", changes, 7);
  ASSERT_TRUE(batch) << batch.error().message;
  ASSERT_EQ(batch->messages(), 3u);

  const std::vector<Message> messages = messages_of(batch->bytes());
  ASSERT_EQ(messages.size(), 5u);
  EXPECT_EQ(messages[0].header.nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(ntohs(messages[0].gen.res_id), NFNL_SUBSYS_NFTABLES);
  EXPECT_TRUE(messages[0].attributes.empty()) << "no generation asked for";
  EXPECT_EQ(messages[4].header.nlmsg_type, NFNL_MSG_BATCH_END);
  for (uint32_t i = 0; i < messages.size(); ++i) EXPECT_EQ(messages[i].header.nlmsg_seq, 7 + i);
  const uint16_t types[] = {kDeleteElements, kNewElements, kNewElements};
  const char* sets[] = {"backends4", "services4", "backends4"};  // by set: services first
  for (int i = 0; i < 3; ++i) {
    const Message& m = messages[1 + i];
    EXPECT_EQ(m.header.nlmsg_type, types[i]);
    EXPECT_EQ(m.header.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | (i ? NLM_F_CREATE : 0));
    EXPECT_EQ(m.gen.nfgen_family, NFPROTO_INET);
    EXPECT_EQ(attribute(m.attributes, NFTA_SET_ELEM_LIST_TABLE), text("dcos-l4lb"));
    EXPECT_EQ(attribute(m.attributes, NFTA_SET_ELEM_LIST_SET), text(sets[i]));
  }
  // The deletion: the key alone.
  auto deleted = attributes_of(attribute(messages[1].attributes, NFTA_SET_ELEM_LIST_ELEMENTS));
  ASSERT_EQ(deleted.size(), 1u);
  auto parts = attributes_of(deleted[0].second);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(attribute(attributes_of(attribute(parts, NFTA_SET_ELEM_KEY)), NFTA_DATA_VALUE),
            element_key(SetKind::backends, changes.deletes.begin()->second[0]));
  // A backend: key and value.
  auto added = attributes_of(attribute(messages[3].attributes, NFTA_SET_ELEM_LIST_ELEMENTS));
  ASSERT_EQ(added.size(), 1u);
  parts = attributes_of(added[0].second);
  EXPECT_EQ(attribute(attributes_of(attribute(parts, NFTA_SET_ELEM_DATA)), NFTA_DATA_VALUE),
            (Bytes{10, 77, 3, 2, 0x1f, 0x90, 0, 0}));
  // The service: goto pick-3, its scheduler as the comment (nft's user
  // data: type 0, the length, the text with its NUL).
  auto service = attributes_of(attribute(messages[2].attributes, NFTA_SET_ELEM_LIST_ELEMENTS));
  ASSERT_EQ(service.size(), 1u);
  parts = attributes_of(service[0].second);
  auto verdict_attrs = attributes_of(attribute(attributes_of(attribute(parts, NFTA_SET_ELEM_DATA)), NFTA_DATA_VERDICT));
  EXPECT_EQ(attribute(verdict_attrs, NFTA_VERDICT_CODE), (Bytes{0xff, 0xff, 0xff, 0xfc}));  // NFT_GOTO, big-endian
  EXPECT_EQ(attribute(verdict_attrs, NFTA_VERDICT_CHAIN), text("pick-3"));
  EXPECT_EQ(attribute(parts, NFTA_SET_ELEM_USERDATA), (Bytes{0, 4, 'w', 'l', 'c', 0}));
}

TEST(NftElementBatchTest, TheGenerationGoesInTheBeginInNetworkOrder) {
  ElementChanges changes;
  changes.adds[{SetKind::backends, true}].push_back(backend(key("11.0.0.1", 80), 0, "10.77.1.2", 8080));
  auto batch = ElementBatch::build("dcos-l4lb", changes, 7, 0x01020304);
  ASSERT_TRUE(batch) << batch.error().message;
  const std::vector<Message> messages = messages_of(batch->bytes());
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].header.nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  ASSERT_EQ(messages[0].attributes.size(), 1u);
  EXPECT_EQ(messages[0].attributes[0].first, NFNL_BATCH_GENID);
  EXPECT_EQ(messages[0].attributes[0].second, (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(messages[1].header.nlmsg_type, kNewElements) << "the begin's attribute keeps the messages aligned";
  EXPECT_EQ(messages[1].header.nlmsg_seq, 8u);
  EXPECT_EQ(messages[2].header.nlmsg_type, NFNL_MSG_BATCH_END);
  EXPECT_EQ(next_generation(5), 6u);
  EXPECT_EQ(next_generation(UINT32_MAX), 1u) << "the kernel skips 0";
}

TEST(NftElementBatchTest, AServiceWithoutWeightAcceptsAndNamesNoChain) {
  ElementChanges changes;
  Element idle;
  idle.key = key("11.0.0.1", 80);
  idle.scheduler = "wrr";
  changes.adds[{SetKind::services, true}].push_back(idle);
  auto batch = ElementBatch::build("t", changes, 1);
  ASSERT_TRUE(batch) << batch.error().message;
  const std::vector<Message> messages = messages_of(batch->bytes());
  ASSERT_EQ(messages.size(), 3u);
  auto parts = attributes_of(attributes_of(attribute(messages[1].attributes, NFTA_SET_ELEM_LIST_ELEMENTS))[0].second);
  auto verdict = attributes_of(attribute(attributes_of(attribute(parts, NFTA_SET_ELEM_DATA)), NFTA_DATA_VERDICT));
  ASSERT_EQ(verdict.size(), 1u);
  EXPECT_EQ(attribute(verdict, NFTA_VERDICT_CODE), (Bytes{0, 0, 0, NF_ACCEPT}));
}

TEST(NftElementBatchTest, ManyElementsSplitIntoMessagesUnder64KiB) {
  ElementChanges changes;
  auto& adds = changes.adds[{SetKind::backends, false}];
  for (uint32_t i = 0; i < 5000; ++i) adds.push_back(backend(key("fd00::1", uint16_t(i % 60000 + 1)), i % 7, "fd01::2", 80));
  auto batch = ElementBatch::build("dcos-l4lb", changes, 1);
  ASSERT_TRUE(batch) << batch.error().message;
  const std::vector<Message> messages = messages_of(batch->bytes());
  ASSERT_EQ(messages.size(), batch->messages() + 2);
  EXPECT_GT(batch->messages(), 1u);
  std::size_t total = 0;
  for (std::size_t i = 1; i + 1 < messages.size(); ++i) {
    const std::size_t n = attributes_of(attribute(messages[i].attributes, NFTA_SET_ELEM_LIST_ELEMENTS)).size();
    total += n;
    EXPECT_NE(batch->describe(messages[i].header.nlmsg_seq).find("add " + std::to_string(n) + " elements to inet dcos-l4lb backends6"),
              std::string::npos)
        << batch->describe(messages[i].header.nlmsg_seq);
  }
  EXPECT_EQ(total, 5000u);
}

// Replies as the kernel queues them: one datagram each.
Bytes reply(uint32_t seq, int error, uint32_t port = 42, const char* words = nullptr) {
  nlmsghdr header{};
  header.nlmsg_type = NLMSG_ERROR;
  header.nlmsg_flags = NLM_F_CAPPED | (words ? NLM_F_ACK_TLVS : 0);
  header.nlmsg_seq = seq;
  header.nlmsg_pid = port;
  nlmsgerr err{};
  err.error = error;
  err.msg.nlmsg_seq = seq;
  Bytes body(sizeof err);
  std::memcpy(body.data(), &err, sizeof err);
  if (words) {
    const Bytes payload = text(words);
    nlattr a{uint16_t(4 + payload.size()), NLMSGERR_ATTR_MSG};
    Bytes attr(4);
    std::memcpy(attr.data(), &a, 4);
    attr.insert(attr.end(), payload.begin(), payload.end());
    attr.resize(NLA_ALIGN(attr.size()));
    body.insert(body.end(), attr.begin(), attr.end());
  }
  header.nlmsg_len = uint32_t(NLMSG_HDRLEN + body.size());
  Bytes out(NLMSG_HDRLEN);
  std::memcpy(out.data(), &header, sizeof header);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

class NftReplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    changes_.deletes[{SetKind::idle, true}].push_back(backend(key("11.0.0.1", 80), 0, "10.77.1.2", 8080));
    changes_.adds[{SetKind::backends, true}].push_back(backend(key("11.0.0.1", 80), 0, "10.77.1.2", 8080));
    auto built = ElementBatch::build("dcos-l4lb", changes_, 10);
    ASSERT_TRUE(built);
    batch_ = std::move(*built);  // messages 11 (delete) and 12 (add); 10 begin, 13 end
  }
  Result<bool> check(std::vector<Bytes> datagrams) const { return batch_->check_replies(datagrams, 42); }

  ElementChanges changes_;
  std::optional<ElementBatch> batch_;
};

TEST_F(NftReplyTest, EveryMessageAcknowledgedIsDone) {
  auto done = check({reply(11, 0), reply(12, 0)});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_TRUE(*done);
  auto one_datagram = check({concat({reply(12, 0), reply(11, 0)})});
  ASSERT_TRUE(one_datagram) << "several replies in one datagram: " << one_datagram.error().message;
  EXPECT_TRUE(*one_datagram);
}

// The kernel checks a batch's generation before its messages: a refusal
// is the begin's ERESTART alone, and nothing was applied.
TEST_F(NftReplyTest, ABatchOnAnOldGenerationIsRefusedWhole) {
  auto on = ElementBatch::build("dcos-l4lb", changes_, 10, 77);
  ASSERT_TRUE(on);
  auto refused = on->check_replies(std::vector<Bytes>{reply(10, -ERESTART)}, 42);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_FALSE(*refused) << "refused for its generation";
  auto applied = on->check_replies(std::vector<Bytes>{reply(11, 0), reply(12, 0)}, 42);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_TRUE(*applied);
  EXPECT_FALSE(on->check_replies(std::vector<Bytes>{reply(10, -ERESTART), reply(11, 0)}, 42))
      << "a refusal with acks after it is not the kernel's";
  EXPECT_FALSE(check({reply(10, -ERESTART)})) << "a batch without a generation cannot be refused for one";
}

TEST_F(NftReplyTest, ARefusedMessageIsNamedWithTheKernelsError) {
  auto refused = check({reply(11, -ENOENT), reply(12, 0, 42, "set element not found")});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "delete 1 element from inet dcos-l4lb idle4 (11.0.0.1 . tcp . 80 . 10.77.1.2 . 8080): "
            "No such file or directory (errno 2)");
  auto worded = check({reply(11, 0), reply(12, -EPERM, 42, "denied")});
  ASSERT_FALSE(worded);
  EXPECT_NE(worded.error().message.find("add 1 element to inet dcos-l4lb backends4 (11.0.0.1 . tcp . 80 . 0 : "
                                        "10.77.1.2 . 8080): Operation not permitted (errno 1) (denied)"),
            std::string::npos)
      << worded.error().message;
  auto commit = check({reply(10, -ENOMEM), reply(11, 0), reply(12, 0)});
  ASSERT_FALSE(commit);
  EXPECT_NE(commit.error().message.find("commit of the transaction on inet dcos-l4lb: Cannot allocate memory"),
            std::string::npos)
      << commit.error().message;
}

TEST(NftReplyBoundTest, ABatchRefusedInEveryMessageSaysSoInBoundedWords) {
  ElementChanges changes;
  auto& adds = changes.adds[{SetKind::backends, true}];
  for (uint32_t i = 0; i < 40000; ++i) adds.push_back(backend(key("11.0.0.1", uint16_t(i / 1000 + 1)), i % 1000, "10.77.1.2", 80));
  auto batch = ElementBatch::build("dcos-l4lb", changes, 1);
  ASSERT_TRUE(batch);
  ASSERT_GT(batch->messages(), 20u);
  std::vector<Bytes> replies;
  for (uint32_t seq = 2; seq < batch->messages() + 2; ++seq) replies.push_back(reply(seq, -EPERM, 42));
  auto refused = batch->check_replies(replies, 42);
  ASSERT_FALSE(refused);
  EXPECT_LT(refused.error().message.size(), 2400u);
  EXPECT_NE(refused.error().message.find("more messages refused"), std::string::npos) << refused.error().message;
}

TEST_F(NftReplyTest, AMissingAcknowledgementIsAnError) {
  auto missing = check({reply(11, 0)});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("acknowledged 1 of the transaction's 2 messages"), std::string::npos)
      << missing.error().message;
  EXPECT_FALSE(check({reply(11, 0), reply(11, 0)})) << "one message acknowledged twice is not two";
}

TEST_F(NftReplyTest, RepliesThatAreNotTheKernelsAreRefused) {
  EXPECT_FALSE(check({reply(11, 0), reply(12, 0, 43)})) << "another port";
  EXPECT_FALSE(check({reply(11, 0), reply(12, 0), reply(14, 0)})) << "a sequence number past the batch";
  EXPECT_FALSE(check({reply(11, 0), reply(12, 0), reply(9, 0)})) << "a sequence number before it";
  Bytes cut = reply(12, 0);
  cut.resize(cut.size() - 4);
  EXPECT_FALSE(check({reply(11, 0), cut})) << "a reply shorter than its length";
  Bytes trailing = reply(12, 0);
  trailing.push_back(0);
  EXPECT_FALSE(check({reply(11, 0), trailing})) << "bytes after the last reply";
  Bytes other = reply(12, 0);
  nlmsghdr header;
  std::memcpy(&header, other.data(), sizeof header);
  header.nlmsg_type = NLMSG_DONE;
  std::memcpy(other.data(), &header, sizeof header);
  EXPECT_FALSE(check({reply(11, 0), other})) << "not an ack";
  Bytes lying = reply(12, -EPERM, 42, "x");
  lying[NLMSG_HDRLEN + sizeof(nlmsgerr)] = 0xff;  // the attribute's length past the reply
  auto lied = check({reply(11, 0), lying});
  ASSERT_FALSE(lied) << "the error still counts; the words are dropped";
  EXPECT_NE(lied.error().message.find("Operation not permitted (errno 1)"), std::string::npos) << lied.error().message;
}

// An nftables answer of `type` from the kernel (NFT_MSG_NEWTABLE, NEWGEN)
// with one attribute.
Bytes nft_message(uint16_t type, uint8_t family, uint16_t attribute, const Bytes& payload, uint32_t seq,
                  uint32_t port) {
  nlattr a{uint16_t(4 + payload.size()), attribute};
  Bytes body = {family, NFNETLINK_V0, 0, 0};
  Bytes attr(4);
  std::memcpy(attr.data(), &a, 4);
  attr.insert(attr.end(), payload.begin(), payload.end());
  attr.resize(NLA_ALIGN(attr.size()));
  body.insert(body.end(), attr.begin(), attr.end());
  nlmsghdr header{};
  header.nlmsg_len = uint32_t(NLMSG_HDRLEN + body.size());
  header.nlmsg_type = uint16_t((NFNL_SUBSYS_NFTABLES << 8) | type);
  header.nlmsg_seq = seq;
  header.nlmsg_pid = port;
  Bytes out(NLMSG_HDRLEN);
  std::memcpy(out.data(), &header, sizeof header);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// A NEWTABLE answer naming `name`, as the kernel sends it to a GETTABLE.
Bytes table_message(uint32_t seq, const char* name, uint32_t port = 42) {
  return nft_message(NFT_MSG_NEWTABLE, NFPROTO_INET, NFTA_TABLE_NAME, text(name), seq, port);
}

TEST(NftTableReplyTest, TheTableOrItsAbsenceOrTheKernelsError) {
  auto found = table_reply(std::vector<Bytes>{table_message(5, "dcos-l4lb"), reply(5, 0)}, "dcos-l4lb", 5, 42);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(*found);
  auto absent = table_reply(std::vector<Bytes>{reply(5, -ENOENT)}, "dcos-l4lb", 5, 42);
  ASSERT_TRUE(absent) << absent.error().message;
  EXPECT_FALSE(*absent);
  auto refused = table_reply(std::vector<Bytes>{reply(5, -EPERM)}, "dcos-l4lb", 5, 42);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "Operation not permitted (errno 1)");
}

TEST(NftTableReplyTest, AnswersThatAreNotTheKernelsAreRefused) {
  const std::string table = "dcos-l4lb";
  EXPECT_FALSE(table_reply(std::vector<Bytes>{table_message(5, "other"), reply(5, 0)}, table, 5, 42)) << "another table";
  EXPECT_FALSE(table_reply(std::vector<Bytes>{table_message(5, "dcos-l4lb")}, table, 5, 42)) << "no ack";
  EXPECT_FALSE(table_reply(std::vector<Bytes>{}, table, 5, 42)) << "nothing";
  EXPECT_FALSE(table_reply(std::vector<Bytes>{table_message(4, "dcos-l4lb"), reply(5, 0)}, table, 5, 42))
      << "an earlier sequence number";
  EXPECT_FALSE(table_reply(std::vector<Bytes>{table_message(5, "dcos-l4lb", 7), reply(5, 0)}, table, 5, 42))
      << "another port";
  Bytes cut = table_message(5, "dcos-l4lb");
  cut[NLMSG_HDRLEN + 4] = 0xff;  // the name attribute's length past the message
  EXPECT_FALSE(table_reply(std::vector<Bytes>{cut, reply(5, 0)}, table, 5, 42)) << "a malformed name";
}

// A NEWGEN answer with generation `id` (NFTA_GEN_ID, network order), as
// the kernel sends it to a GETGEN; `id_bytes` overrides the attribute.
Bytes generation_message(uint32_t seq, uint32_t id, uint32_t port = 42, std::optional<Bytes> id_bytes = {}) {
  Bytes payload(4);
  const uint32_t network = htonl(id);
  std::memcpy(payload.data(), &network, 4);
  return nft_message(NFT_MSG_NEWGEN, AF_UNSPEC, NFTA_GEN_ID, id_bytes ? *id_bytes : payload, seq, port);
}

TEST(NftGenerationReplyTest, TheGenerationOrTheKernelsError) {
  auto got = generation_reply(std::vector<Bytes>{generation_message(9, 0x0a0b0c0d), reply(9, 0)}, 9, 42);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, 0x0a0b0c0du);
  auto refused = generation_reply(std::vector<Bytes>{reply(9, -EPERM)}, 9, 42);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "Operation not permitted (errno 1)");
}

TEST(NftGenerationReplyTest, AnswersThatAreNotTheKernelsAreRefused) {
  EXPECT_FALSE(generation_reply(std::vector<Bytes>{generation_message(9, 5)}, 9, 42)) << "no ack";
  EXPECT_FALSE(generation_reply(std::vector<Bytes>{reply(9, 0)}, 9, 42)) << "no generation";
  EXPECT_FALSE(generation_reply(std::vector<Bytes>{}, 9, 42)) << "nothing";
  EXPECT_FALSE(generation_reply(std::vector<Bytes>{generation_message(8, 5), reply(9, 0)}, 9, 42))
      << "another sequence number";
  EXPECT_FALSE(generation_reply(std::vector<Bytes>{generation_message(9, 5, 7), reply(9, 0)}, 9, 42)) << "another port";
  EXPECT_FALSE(generation_reply(std::vector<Bytes>{generation_message(9, 5), generation_message(9, 6), reply(9, 0)}, 9, 42))
      << "two generations";
  EXPECT_FALSE(generation_reply(std::vector<Bytes>{reply(9, -EPERM), generation_message(9, 5), reply(9, 0)}, 9, 42))
      << "a refusal, then an answer and an ack";
  EXPECT_FALSE(generation_reply(std::vector<Bytes>{generation_message(9, 5, 42, Bytes{1, 2}), reply(9, 0)}, 9, 42))
      << "a generation of two bytes";
  Bytes cut = generation_message(9, 5);
  cut[NLMSG_HDRLEN + 4] = 0xff;  // the attribute's length past the message
  EXPECT_FALSE(generation_reply(std::vector<Bytes>{cut, reply(9, 0)}, 9, 42)) << "a malformed attribute";
}

}  // namespace
}  // namespace dcos::netlb::nft
