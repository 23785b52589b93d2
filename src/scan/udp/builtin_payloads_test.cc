#include "scan/udp/builtin_payloads.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace portatlas::scan {
namespace {

using Bytes = std::vector<uint8_t>;

const Bytes& Builtin(uint16_t port) {
  for (const BuiltinPayload& p : BuiltinPayloads()) {
    if (p.port == port) return p.bytes;
  }
  ADD_FAILURE() << "no built-in payload for " << port;
  static const Bytes kNone;
  return kNone;
}

// A minimal BER reader, written independently of the encoder: one TLV at a time.
struct Tlv {
  uint8_t tag = 0;
  Bytes value;
};

class BerReader {
 public:
  explicit BerReader(Bytes b) : b_(std::move(b)) {}
  bool done() const { return pos_ == b_.size(); }
  Tlv Next() {
    Tlv t;
    EXPECT_LT(pos_ + 1, b_.size());
    if (pos_ + 1 >= b_.size()) return t;
    t.tag = b_[pos_++];
    size_t len = b_[pos_++];
    if (len & 0x80) {
      const size_t n = len & 0x7F;
      EXPECT_TRUE(n >= 1 && n <= 2);
      len = 0;
      for (size_t i = 0; i < n && pos_ < b_.size(); ++i) len = (len << 8) | b_[pos_++];
    }
    EXPECT_LE(pos_ + len, b_.size());
    if (pos_ + len > b_.size()) return t;
    t.value.assign(b_.begin() + static_cast<ptrdiff_t>(pos_),
                   b_.begin() + static_cast<ptrdiff_t>(pos_ + len));
    pos_ += len;
    return t;
  }

 private:
  Bytes b_;
  size_t pos_ = 0;
};

int64_t Integer(const Tlv& t) {
  EXPECT_EQ(t.tag, 0x02);
  EXPECT_FALSE(t.value.empty());
  int64_t v = (!t.value.empty() && (t.value[0] & 0x80)) ? -1 : 0;
  for (uint8_t b : t.value) v = (v << 8) | b;
  return v;
}

std::string Oid(const Tlv& t) {
  EXPECT_EQ(t.tag, 0x06);
  std::string out;
  uint32_t arc = 0;
  bool first = true;
  for (uint8_t b : t.value) {
    arc = (arc << 7) | (b & 0x7F);
    if (b & 0x80) continue;
    if (first) {
      out = std::to_string(arc / 40) + "." + std::to_string(arc % 40);
      first = false;
    } else {
      out += "." + std::to_string(arc);
    }
    arc = 0;
  }
  return out;
}

TEST(BuiltinPayloadsTest, SnmpGetRequestDecodes) {
  const Bytes& snmp = Builtin(161);
  BerReader top(snmp);
  const Tlv message = top.Next();
  EXPECT_TRUE(top.done());       // nothing after the message
  EXPECT_EQ(message.tag, 0x30);  // SEQUENCE
  BerReader m(message.value);
  EXPECT_EQ(Integer(m.Next()), 0);  // version-1
  const Tlv community = m.Next();
  EXPECT_EQ(community.tag, 0x04);  // OCTET STRING
  EXPECT_EQ(std::string(community.value.begin(), community.value.end()), "public");
  const Tlv pdu = m.Next();
  EXPECT_TRUE(m.done());
  EXPECT_EQ(pdu.tag, 0xA0);  // [0] GetRequest-PDU
  BerReader p(pdu.value);
  EXPECT_EQ(Integer(p.Next()), 0x5041);  // request-id
  EXPECT_EQ(Integer(p.Next()), 0);       // error-status
  EXPECT_EQ(Integer(p.Next()), 0);       // error-index
  const Tlv bindings = p.Next();
  EXPECT_TRUE(p.done());
  EXPECT_EQ(bindings.tag, 0x30);
  BerReader list(bindings.value);
  const Tlv binding = list.Next();
  EXPECT_TRUE(list.done());
  EXPECT_EQ(binding.tag, 0x30);
  BerReader vb(binding.value);
  EXPECT_EQ(Oid(vb.Next()), "1.3.6.1.2.1.1.1.0");  // sysDescr.0
  const Tlv null = vb.Next();
  EXPECT_EQ(null.tag, 0x05);
  EXPECT_TRUE(null.value.empty());
  EXPECT_TRUE(vb.done());

  // And byte for byte, as worked out by hand.
  const Bytes expected = {0x30, 0x27, 0x02, 0x01, 0x00, 0x04, 0x06, 'p',  'u',  'b',  'l',
                          'i',  'c',  0xA0, 0x1A, 0x02, 0x02, 0x50, 0x41, 0x02, 0x01, 0x00,
                          0x02, 0x01, 0x00, 0x30, 0x0E, 0x30, 0x0C, 0x06, 0x08, 0x2B, 0x06,
                          0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00};
  EXPECT_EQ(snmp, expected);
}

TEST(BuiltinPayloadsTest, SnmpEncodesLongLengthsIntegersAndLargeArcs) {
  const uint32_t oid[] = {1, 3, 6, 1, 4, 1, 311, 2147483647};
  const Bytes b = SnmpV1Get(std::string(300, 'c'), -129, oid);
  BerReader top(b);
  const Tlv message = top.Next();
  EXPECT_TRUE(top.done());
  EXPECT_EQ(message.value.size(), b.size() - 4);  // 0x30 0x82 hi lo
  EXPECT_EQ(b[1], 0x82);
  const Bytes short_community = SnmpV1Get(std::string(150, 'c'), 1, oid);
  EXPECT_EQ(short_community[1], 0x81);  // 150 + the rest fits in one length byte
  BerReader m(message.value);
  EXPECT_EQ(Integer(m.Next()), 0);
  EXPECT_EQ(m.Next().value.size(), 300u);  // community, long-form length 0x82 0x01 0x2C
  BerReader p(m.Next().value);
  const Tlv id = p.Next();
  EXPECT_EQ(id.value, (Bytes{0xFF, 0x7F}));  // -129 in the fewest bytes
  EXPECT_EQ(Integer(id), -129);
  p.Next();
  p.Next();
  BerReader list(p.Next().value);
  BerReader vb(list.Next().value);
  EXPECT_EQ(Oid(vb.Next()), "1.3.6.1.4.1.311.2147483647");
}

TEST(BuiltinPayloadsTest, DnsVersionBindQuery) {
  const Bytes& q = Builtin(53);
  const Bytes expected = {
      0x50, 0x41,              // id
      0x00, 0x00,              // flags: standard query
      0x00, 0x01, 0x00, 0x00,  // 1 question, no answers
      0x00, 0x00, 0x00, 0x00,  // no authority, no additional
      7,    'v',  'e',  'r',  's', 'i', 'o', 'n', 4, 'b', 'i', 'n', 'd', 0, 0x00, 0x10,  // TXT
      0x00, 0x03,                                                                        // CH
  };
  EXPECT_EQ(q, expected);
}

TEST(BuiltinPayloadsTest, MdnsServiceEnumerationQuery) {
  const Bytes& q = Builtin(5353);
  ASSERT_EQ(q.size(), 12u + 30u + 4u);
  EXPECT_EQ(q[5], 1);  // one question
  const std::string name(q.begin() + 12, q.begin() + 42);
  EXPECT_EQ(name, std::string("\x09_services\x07_dns-sd\x04_udp\x05local\x00", 30));
  EXPECT_EQ(q[43], 12);  // PTR
  EXPECT_EQ(q[45], 1);   // IN
}

TEST(BuiltinPayloadsTest, NtpClientRequest) {
  const Bytes& ntp = Builtin(123);
  ASSERT_EQ(ntp.size(), 48u);
  EXPECT_EQ(ntp[0] & 0x07, 3);         // mode 3: client
  EXPECT_EQ((ntp[0] >> 3) & 0x07, 4);  // version 4
  // A non-zero transmit timestamp, which the server echoes as the origin timestamp.
  EXPECT_NE(Bytes(ntp.begin() + 40, ntp.end()), Bytes(8, 0));
}

TEST(BuiltinPayloadsTest, NetbiosNodeStatusQuery) {
  const Bytes& q = Builtin(137);
  ASSERT_EQ(q.size(), 50u);
  EXPECT_EQ(q[12], 32);
  EXPECT_EQ(std::string(q.begin() + 13, q.begin() + 45), "CK" + std::string(30, 'A'));
  EXPECT_EQ(q[45], 0);
  EXPECT_EQ(q[47], 0x21);  // NBSTAT
  EXPECT_EQ(q[49], 0x01);  // IN
}

TEST(BuiltinPayloadsTest, SortedByPortOnePerPort) {
  const auto& all = BuiltinPayloads();
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].port, all[i].port);
  for (const BuiltinPayload& p : all) EXPECT_FALSE(p.bytes.empty()) << p.name;
}

}  // namespace
}  // namespace portatlas::scan
