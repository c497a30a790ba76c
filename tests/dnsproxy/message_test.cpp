#include "dnsproxy/message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dnsproxy/name.hpp"
#include "dnsproxy/rdata.hpp"
#include "tests/dnsproxy/packets.hpp"

namespace dcos::dns {
namespace {

using packets::bytes;
using packets::name;

TEST(DnsParse, ReadsDigQueryWithEdnsCookie) {
  auto message = parse(packets::kDigQuery);
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_EQ(message->id, 0x1234);
  EXPECT_FALSE(message->flags.qr);
  EXPECT_TRUE(message->flags.rd);
  EXPECT_TRUE(message->flags.ad);
  ASSERT_EQ(message->questions.size(), 1u);
  EXPECT_EQ(message->questions[0], (Question{name("example.com"), type::A, klass::IN}));
  EXPECT_TRUE(message->additional.empty()) << "the OPT record is taken out of additional";
  ASSERT_TRUE(message->edns);
  EXPECT_EQ(message->edns->udp_payload_size, 1232);
  EXPECT_EQ(message->edns->version, 0);
  EXPECT_FALSE(message->edns->dnssec_ok);
  EXPECT_EQ(message->edns->options, bytes("000a 0008 0102030405060708"));
  EXPECT_EQ(udp_reply_limit(*message), 1232u);
}

TEST(DnsParse, ReadsCompressedReplyAndDecompressesSoa) {
  auto message = parse(packets::kNxdomainReply);
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_TRUE(message->flags.qr);
  EXPECT_TRUE(message->flags.ra);
  EXPECT_EQ(message->flags.rcode, rcode::NxDomain);
  EXPECT_EQ(message->questions[0].name, name("nope.example.com"));
  ASSERT_EQ(message->authority.size(), 1u);
  const Record& soa_record = message->authority[0];
  EXPECT_EQ(soa_record.name, name("example.com")) << name_to_text(soa_record.name);
  auto soa = parse_soa(soa_record.rdata);
  ASSERT_TRUE(soa) << soa.error().message;
  EXPECT_EQ(soa->mname, name("ns.example.com"));
  EXPECT_EQ(soa->rname, name("noc.dns.example.com"));
  EXPECT_EQ(soa->minimum, 300u);
  auto negative = negative_ttl(*message);
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->soa_ttl, 3600u);
  EXPECT_EQ(negative->minimum, 300u);
  EXPECT_EQ(negative->ttl(), 300u);
  EXPECT_FALSE(negative_ttl(*parse(packets::kDigQuery)));
}

TEST(DnsParse, ReadsAnswerWithPointerToQuestion) {
  auto message = parse(packets::kAReply);
  ASSERT_TRUE(message) << message.error().message;
  ASSERT_EQ(message->answers.size(), 1u);
  EXPECT_EQ(message->answers[0], make_record(name("example.com"), type::A, 3600, a_rdata({93, 184, 216, 34})));
}

TEST(DnsParse, KeepsCaseAndGivesLowerCaseKey) {
  auto message = parse(packets::query("WwW.ExAmPlE.CoM", type::AAAA));
  ASSERT_TRUE(message) << message.error().message;
  const std::string& sent = message->questions[0].name;
  EXPECT_EQ(name_to_text(sent), "WwW.ExAmPlE.CoM.");
  EXPECT_EQ(name_key(sent), name("www.example.com"));
  char buffer[kMaxNameLength];
  EXPECT_EQ(name_key(sent, buffer), name("www.example.com"));
  // serialize() echoes the case as sent.
  EXPECT_NE(serialize(*message, 512).find(sent), std::string::npos);
}

struct Malformed {
  const char* what;
  std::string packet;
  const char* error;  // a part of the expected message
};

std::string header(int qd, int an, int ns, int ar) {
  std::string out = bytes("abcd 0100");
  for (int count : {qd, an, ns, ar}) {
    out += static_cast<char>(count >> 8);
    out += static_cast<char>(count & 0xFF);
  }
  return out;
}

// 130 answers, each owned by a pointer to the previous one's name: the
// last ones need more than kMaxPointerJumps jumps.
std::string pointer_chain() {
  std::string packet = header(1, 130, 0, 0) + bytes("00 0001 0001");
  std::size_t previous = packet.size();
  packet += bytes("0161 00 0063 0001 00000000 0000");
  for (int i = 1; i < 130; ++i) {
    const std::size_t here = packet.size();
    packet += static_cast<char>(0xC0 | (previous >> 8));
    packet += static_cast<char>(previous & 0xFF);
    packet += bytes("0063 0001 00000000 0000");
    previous = here;
  }
  return packet;
}

std::vector<Malformed> malformed_packets() {
  const std::string root_question = bytes("00 0001 0001");
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += static_cast<char>(63) + std::string(63, 'a');
  return {
      {"short header", bytes("abcd 0100 0001 0000 0000 00"), "header of 11 bytes"},
      {"label over 63", header(1, 0, 0, 0) + "\x46" + std::string(70, 'a') + root_question,
       "label of 70 bytes at offset 12"},
      {"reserved label type 0x80", header(1, 0, 0, 0) + bytes("81 61") + root_question, "type 0x80 is reserved"},
      {"name over 255", header(1, 0, 0, 0) + long_name + root_question, "longer than 255 bytes"},
      {"pointer to itself", header(1, 0, 0, 0) + bytes("c00c 0001 0001"), "not backwards"},
      {"forward pointer", header(1, 0, 0, 0) + bytes("c00e 00 0001 0001"), "not backwards"},
      {"loop through a label", header(1, 1, 0, 0) + root_question + bytes("0161 c011 0001 0001 00000000 0000"),
       "not backwards"},
      {"pointer into the header", header(1, 0, 0, 0) + bytes("c002 0001 0001"), "into the header"},
      {"pointer chain", pointer_chain(), "more than 128 compression pointers"},
      {"pointer cut off", header(1, 0, 0, 0) + bytes("0161 0162 c0"), "pointer cut off"},
      {"name without end", header(1, 0, 0, 0) + bytes("02 6162 02 6364"), "past the end"},
      {"label past the end", header(1, 0, 0, 0) + bytes("07 61626364"), "cut off by the end"},
      {"huge question count", header(65535, 0, 0, 0) + root_question, "counts of 65535 questions"},
      {"huge record counts", header(1, 0, 0, 65535) + root_question, "need at least"},
      {"question cut off", header(1, 0, 0, 0) + bytes("0161 00 0001"), "question 1 is cut off after its name"},
      {"record cut after name", header(1, 1, 0, 0) + root_question + bytes("0161 00 0001 0001 00000000"),
       "answer record 1 is cut off after its name"},
      {"rdata past the end", header(1, 1, 0, 0) + root_question + bytes("00 0001 0001 00000000 0004 0102"),
       "4 bytes of data"},
      {"A of 5 bytes", header(1, 1, 0, 0) + root_question + bytes("00 0001 0001 00000000 0005 0102030405"),
       "its type needs 4"},
      {"CNAME with bytes after the name",
       header(1, 1, 0, 0) + root_question + bytes("00 0005 0001 00000000 0004 0161 00 ff"), "1 byte after the name"},
      {"CNAME name past its data",
       header(1, 1, 0, 0) + root_question + bytes("00 0005 0001 00000000 0002 0161 00 0001 0001"), "past the end"},
      {"SOA short of its numbers", header(1, 0, 1, 0) + root_question + bytes("00 0006 0001 00000000 0004 00 00 0102"),
       "needs 20"},
      {"trailing bytes", header(1, 0, 0, 0) + root_question + bytes("ffff"), "2 bytes after the last record"},
      {"OPT in answers", header(1, 1, 0, 0) + root_question + bytes("00 0029 04d0 00000000 0000"),
       "outside the additional section"},
      {"two OPT records", header(1, 0, 0, 2) + root_question + bytes("00 0029 04d0 00000000 0000") +
                              bytes("00 0029 04d0 00000000 0000"),
       "second OPT"},
      {"OPT with an owner", header(1, 0, 0, 1) + root_question + bytes("0161 00 0029 04d0 00000000 0000"),
       "other than the root"},
      {"OPT option overrun", header(1, 0, 0, 1) + root_question + bytes("00 0029 04d0 00000000 0006 000a 0008 0102"),
       "option of 8 bytes"},
  };
}

TEST(DnsParse, RejectsMalformedPacketsNamingWhatIsWrong) {
  for (const Malformed& bad : malformed_packets()) {
    auto message = parse(bad.packet);
    ASSERT_FALSE(message) << bad.what;
    EXPECT_NE(message.error().message.find(bad.error), std::string::npos)
        << bad.what << ": " << message.error().message;
  }
}

TEST(DnsParse, RejectsEveryTruncationOfRealPackets) {
  for (const std::string& packet : {packets::kDigQuery, packets::kAReply, packets::kNxdomainReply}) {
    ASSERT_TRUE(parse(packet));
    for (std::size_t size = 0; size < packet.size(); ++size)
      EXPECT_FALSE(parse(packet.substr(0, size))) << "cut to " << size << " bytes";
  }
}

Message every_type() {
  Message message;
  message.id = 0xbeef;
  message.flags.qr = message.flags.aa = message.flags.rd = message.flags.ra = message.flags.cd = true;
  const std::string owner = name("web.marathon.mesos");
  message.questions.push_back({owner, type::ANY, klass::IN});
  message.answers = {
      make_record(owner, type::A, 5, a_rdata({10, 0, 0, 1})),
      make_record(owner, type::AAAA, 5, aaaa_rdata({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})),
      make_record(owner, type::CNAME, 5, name_rdata(name("Other.Mesos"))),
      make_record(owner, type::MX, 5, mx_rdata(10, name("mail.mesos"))),
      make_record(owner, type::TXT, 5, bytes("05 68656c6c6f")),
      make_record(name("_web._tcp.marathon.mesos"), type::SRV, 5, srv_rdata({0, 1, 31000, name("web-1.marathon.mesos")})),
      make_record(name("1.0.0.10.in-addr.arpa"), type::PTR, 5, name_rdata(owner)),
      make_record(owner, 99, 5, bytes("00ff00")),
  };
  message.authority = {
      make_record(name("mesos"), type::NS, 5, name_rdata(name("ns1.mesos"))),
      make_record(name("mesos"), type::SOA, 5,
                  soa_rdata({name("ns1.mesos"), name("root.ns1.mesos"), 7, 60, 180, 86400, 1})),
  };
  message.additional = {make_record(name("ns1.mesos"), type::A, 5, a_rdata({127, 0, 0, 1}))};
  return message;
}

TEST(DnsSerialize, RoundTripsEveryRecordType) {
  Message message = every_type();
  for (bool edns : {false, true}) {
    if (edns) message.edns = Edns{4096, 0, true, bytes("000a 0008 0102030405060708")};
    const std::string packet = serialize(message, kMaxMessageSize);
    auto back = parse(packet);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, message);
  }
  auto srv = parse_srv(message.answers[5].rdata);
  ASSERT_TRUE(srv) << srv.error().message;
  EXPECT_EQ(*srv, (Srv{0, 1, 31000, name("web-1.marathon.mesos")}));
}

TEST(DnsSerialize, CompressesOwnerNames) {
  Message message;
  message.flags.qr = true;
  message.questions.push_back({name("www.example.com"), type::A, klass::IN});
  message.answers = {make_record(name("www.example.com"), type::A, 60, a_rdata({1, 2, 3, 4})),
                     make_record(name("www.example.com"), type::A, 60, a_rdata({1, 2, 3, 5}))};
  message.authority = {make_record(name("example.com"), type::NS, 60, name_rdata(name("ns.example.com")))};
  message.additional = {make_record(name("ns.example.com"), type::A, 60, a_rdata({1, 2, 3, 6}))};
  const std::string packet = serialize(message, 512);
  // Both answers point at the question, the NS owner at "example.com" in
  // it (offset 16), and the glue's owner is "ns" and a pointer there (names
  // in record data are neither compressed nor compression targets).
  EXPECT_EQ(packet.substr(12 + 17 + 4, 2), bytes("c00c"));
  EXPECT_NE(packet.find(bytes("c010 0002")), std::string::npos);
  EXPECT_NE(packet.find(bytes("026e73 c010 0001")), std::string::npos);
  std::size_t uncompressed = 12 + 21;
  for (const auto* section : {&message.answers, &message.authority, &message.additional})
    for (const Record& record : *section) uncompressed += record.name.size() + 10 + record.rdata.size();
  EXPECT_LT(packet.size(), uncompressed - 30);
  auto back = parse(packet);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, message);
}

TEST(DnsSerialize, CompressionKeepsCase) {
  Message message;
  message.questions.push_back({name("WWW.example.com"), type::A, klass::IN});
  message.answers = {make_record(name("www.example.com"), type::A, 60, a_rdata({1, 2, 3, 4}))};
  auto back = parse(serialize(message, 512));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, message);
}

TEST(DnsSerialize, NameWithRepeatedLabelsNeverPointsAtItself) {
  // Found by dns_message_fuzz: "a.a" was written as "a" and a pointer to
  // its own first label, whose end was not yet written.
  Message message;
  message.answers = {make_record(name("a.a"), type::A, 60, a_rdata({1, 2, 3, 4})),
                     make_record(name("a.a.a"), type::A, 60, a_rdata({1, 2, 3, 5})),
                     make_record(name("a"), type::A, 60, a_rdata({1, 2, 3, 6}))};
  const std::string packet = serialize(message, 512);
  EXPECT_EQ(packet.substr(12, 5), bytes("0161 0161 00"));
  auto back = parse(packet);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, message);
}

Message many_answers(int count) {
  Message message;
  message.id = 7;
  message.flags.qr = message.flags.rd = message.flags.ra = true;
  message.questions.push_back({name("agent.mesos"), type::A, klass::IN});
  for (int i = 0; i < count; ++i)
    message.answers.push_back(make_record(name("agent.mesos"), type::A, 5,
                                          a_rdata({10, 0, static_cast<std::uint8_t>(i >> 8),
                                                   static_cast<std::uint8_t>(i)})));
  return message;
}

TEST(DnsSerialize, TruncatesToWholeRecordsWithTcAndQuestion) {
  const Message message = many_answers(100);  // 16 bytes each: 1600 + 29
  const std::string packet = serialize(message, 512);
  EXPECT_LE(packet.size(), 512u);
  auto back = parse(packet);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->flags.tc);
  EXPECT_EQ(back->questions, message.questions);
  EXPECT_EQ(back->answers.size(), (512u - 12 - 17) / 16);
  for (std::size_t i = 0; i < back->answers.size(); ++i) EXPECT_EQ(back->answers[i], message.answers[i]);

  auto whole = parse(serialize(message, 4096));
  ASSERT_TRUE(whole);
  EXPECT_FALSE(whole->flags.tc);
  EXPECT_EQ(whole->answers.size(), 100u);
  EXPECT_LE(serialize(message, 10).size(), 512u) << "sizes under 512 count as 512";
}

TEST(DnsSerialize, DropsAdditionalFirstWithoutTc) {
  Message message = many_answers(20);
  for (int i = 0; i < 40; ++i) message.additional.push_back(message.answers[0]);
  message.edns = Edns{};
  auto back = parse(serialize(message, 512));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->flags.tc) << "missing additional records are no reason to retry";
  EXPECT_EQ(back->answers.size(), 20u);
  EXPECT_LT(back->additional.size(), 40u);
  EXPECT_TRUE(back->edns) << "the OPT record is kept";

  message.authority = message.additional;
  back = parse(serialize(message, 512));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->flags.tc) << "authority records dropped";
  EXPECT_TRUE(back->additional.empty());
}

TEST(DnsSerialize, WritesEdnsPayloadSizeAndExtendedRcode) {
  Message message = many_answers(1);
  message.edns = Edns{4096, 0, true, ""};
  message.flags.rcode = rcode::BadVers;
  const std::string packet = serialize(message, 512);
  EXPECT_EQ(packet.substr(packet.size() - 11), bytes("00 0029 1000 01 00 8000 0000"));
  EXPECT_EQ(packet[3] & 0xF, 0);
  auto back = parse(packet);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->flags.rcode, rcode::BadVers);
  EXPECT_EQ(back->edns->udp_payload_size, 4096);
  EXPECT_TRUE(back->edns->dnssec_ok);
  EXPECT_EQ(udp_reply_limit(*back), 4096u);
  message.edns->udp_payload_size = 100;
  EXPECT_EQ(udp_reply_limit(message), 512u) << "RFC 6891: sizes under 512 mean 512";
}

TEST(DnsNames, TextRoundTripsWithEscapes) {
  for (const char* text : {".", "example.com.", "a\\.b.c.", "x\\\\y.", "sp\\032ace.", "\\000\\255."}) {
    auto wire = name_from_text(text);
    ASSERT_TRUE(wire) << text << ": " << wire.error().message;
    EXPECT_EQ(name_to_text(*wire), text);
  }
  EXPECT_EQ(*name_from_text("example.com"), *name_from_text("example.com."));
  EXPECT_EQ(*name_from_text("a\\.b"), bytes("03 612e62 00"));
  for (const char* bad : {"", "a..b", "..", "a\\", "a\\25", "a\\256"})
    EXPECT_FALSE(name_from_text(bad)) << bad;
  EXPECT_FALSE(name_from_text(std::string(64, 'a')));
  EXPECT_TRUE(name_from_text(std::string(63, 'a')));
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
  EXPECT_FALSE(name_from_text(long_name)) << "256 bytes of wire form";
  EXPECT_TRUE(name_from_text(long_name.substr(2)));
}

}  // namespace
}  // namespace dcos::dns
