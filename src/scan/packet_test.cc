#include "scan/packet.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "scan/test_frames.h"

namespace portatlas::scan {
namespace {

IpAddr Ip(const char* s) { return *ParseIpAddr(s); }

FrameTemplate Tmpl(const char* src) {
  FrameTemplate t;
  t.src = Ip(src);
  t.src_mac = {0x02, 0, 0, 0, 0, 1};
  t.dst_mac = {0x02, 0, 0, 0, 0, 2};
  return t;
}

// An independent Internet checksum over the whole range: 0 when the stored sum is right.
uint16_t Verify(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2 == 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint32_t Pseudo(const uint8_t* ip, bool v4, uint8_t proto, size_t l4) {
  uint32_t sum = 0;
  const uint8_t* a = v4 ? ip + 12 : ip + 8;
  const size_t n = v4 ? 8 : 32;
  for (size_t i = 0; i < n; i += 2) sum += static_cast<uint32_t>(a[i] << 8 | a[i + 1]);
  return sum + proto + static_cast<uint32_t>(l4);
}

std::vector<uint8_t> Syn(const char* src, const char* dst, uint16_t sport, uint16_t dport,
                         uint32_t seq) {
  std::vector<uint8_t> f(kMaxFrame);
  f.resize(BuildTcpSyn(Tmpl(src), Ip(dst), sport, dport, seq, f.data()));
  return f;
}

std::vector<uint8_t> Udp(const char* src, const char* dst, uint16_t sport, uint16_t dport,
                         std::vector<uint8_t> payload) {
  std::vector<uint8_t> f(kMaxFrame);
  f.resize(BuildUdp(Tmpl(src), Ip(dst), sport, dport, payload, f.data()));
  return f;
}

using testframes::AnswerTo;
using testframes::Unreachable;

TEST(PacketTest, SynV4IsWellFormedWithValidChecksums) {
  auto f = Syn("198.18.1.1", "198.18.0.3", 61234, 443, 0xDEADBEEF);
  ASSERT_EQ(f.size(), 14u + 20 + 24);
  EXPECT_EQ(f[12], 0x08);
  EXPECT_EQ(f[13], 0x00);
  EXPECT_EQ(Verify(f.data() + 14, 20), 0);  // IPv4 header checksum
  EXPECT_EQ(Verify(f.data() + 34, 24, Pseudo(f.data() + 14, true, 6, 24)), 0);
  auto r = DecodeFrame(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, ReplyKind::kTcp);
  EXPECT_EQ(r->src.ToString(), "198.18.1.1");
  EXPECT_EQ(r->dst.ToString(), "198.18.0.3");
  EXPECT_EQ(r->sport, 61234);
  EXPECT_EQ(r->dport, 443);
  EXPECT_EQ(r->seq, 0xDEADBEEFu);
  EXPECT_EQ(r->tcp_flags, kTcpSyn);
  EXPECT_EQ(r->ttl, 64);
}

TEST(PacketTest, SynV6IsWellFormedWithValidChecksum) {
  auto f = Syn("2001:2:0:1::1", "2001:2::7", 61000, 22, 7);
  ASSERT_EQ(f.size(), 14u + 40 + 24);
  EXPECT_EQ(f[12], 0x86);
  EXPECT_EQ(f[13], 0xDD);
  EXPECT_EQ(Verify(f.data() + 54, 24, Pseudo(f.data() + 14, false, 6, 24)), 0);
  auto r = DecodeFrame(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dst.ToString(), "2001:2::7");
  EXPECT_EQ(r->dport, 22);
}

TEST(PacketTest, RstAndUdpChecksums) {
  std::vector<uint8_t> f(kMaxFrame);
  f.resize(BuildTcpRst(Tmpl("198.18.1.1"), Ip("198.18.0.1"), 61001, 80, 99, f.data()));
  EXPECT_EQ(Verify(f.data() + 34, 20, Pseudo(f.data() + 14, true, 6, 20)), 0);
  auto r = DecodeFrame(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tcp_flags, kTcpRst);
  EXPECT_EQ(r->seq, 99u);

  auto u = Udp("2001:2:0:1::1", "2001:2::5", 61002, 53, {1, 2, 3});
  ASSERT_EQ(u.size(), 14u + 40 + 8 + 3);
  EXPECT_EQ(Verify(u.data() + 54, 11, Pseudo(u.data() + 14, false, 17, 11)), 0);
  auto d = DecodeFrame(u);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ReplyKind::kUdp);
  EXPECT_EQ(d->dport, 53);
}

TEST(PacketTest, OversizedUdpPayloadIsCut) {
  std::vector<uint8_t> big(5000, 0xAB);
  auto u = Udp("198.18.1.1", "198.18.0.5", 61002, 161, big);
  EXPECT_EQ(u.size(), 14u + 20 + 8 + kMaxUdpPayload);
  EXPECT_TRUE(DecodeFrame(u));
}

TEST(PacketTest, SynAckAndRstRepliesDecode) {
  auto syn = Syn("198.18.1.1", "198.18.0.2", 61500, 21, 1000);
  auto synack = DecodeFrame(AnswerTo(syn, kTcpSyn | kTcpAck, 1001));
  ASSERT_TRUE(synack);
  EXPECT_EQ(synack->src.ToString(), "198.18.0.2");
  EXPECT_EQ(synack->sport, 21);
  EXPECT_EQ(synack->dport, 61500);
  EXPECT_EQ(synack->ack, 1001u);
  EXPECT_EQ(synack->tcp_flags, kTcpSyn | kTcpAck);
  auto rst =
      DecodeFrame(AnswerTo(Syn("2001:2:0:1::1", "2001:2::2", 61500, 9, 5), kTcpRst | kTcpAck, 6));
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->src.ToString(), "2001:2::2");
  EXPECT_EQ(rst->tcp_flags, kTcpRst | kTcpAck);
}

TEST(PacketTest, IcmpErrorsQuoteTheProbe) {
  auto probe = Udp("198.18.1.1", "198.18.0.5", 61010, 9999, {});
  auto r = DecodeFrame(Unreachable(probe, "198.18.0.5", 3));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, ReplyKind::kIcmpUnreach);
  EXPECT_EQ(r->quoted_proto, Proto::kUdp);
  EXPECT_EQ(r->quoted_dst.ToString(), "198.18.0.5");
  EXPECT_EQ(r->sport, 61010);
  EXPECT_EQ(r->dport, 9999);
  EXPECT_TRUE(IcmpPortUnreachable(*r));
  EXPECT_STREQ(IcmpReason(*r), "port-unreach");

  auto tcp = Syn("198.18.1.1", "198.18.0.6", 61011, 25, 0xABCDEF01);
  auto t = DecodeFrame(Unreachable(tcp, "198.18.0.254", 13));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->quoted_proto, Proto::kTcp);
  EXPECT_EQ(t->seq, 0xABCDEF01u);
  EXPECT_EQ(t->src.ToString(), "198.18.0.254");
  EXPECT_FALSE(IcmpPortUnreachable(*t));
  EXPECT_STREQ(IcmpReason(*t), "admin-prohibited");

  auto v6 = Udp("2001:2:0:1::1", "2001:2::5", 61012, 123, {0x23});
  auto u6 = DecodeFrame(Unreachable(v6, "2001:2::5", 4));
  ASSERT_TRUE(u6);
  EXPECT_TRUE(IcmpPortUnreachable(*u6));
  EXPECT_EQ(u6->dport, 123);
  auto h6 = DecodeFrame(Unreachable(v6, "2001:2::254", 3));
  ASSERT_TRUE(h6);
  EXPECT_STREQ(IcmpReason(*h6), "host-unreach");
}

TEST(PacketTest, EveryTruncationIsRejected) {
  const std::vector<std::vector<uint8_t>> frames = {
      Syn("198.18.1.1", "198.18.0.3", 61234, 443, 1),
      Syn("2001:2:0:1::1", "2001:2::7", 61000, 22, 7),
      Udp("198.18.1.1", "198.18.0.5", 61002, 53, {1, 2, 3, 4}),
      Unreachable(Udp("198.18.1.1", "198.18.0.5", 61010, 9999, {}), "198.18.0.5", 3),
      Unreachable(Syn("2001:2:0:1::1", "2001:2::7", 61000, 22, 7), "2001:2::7", 4),
  };
  for (const auto& f : frames) {
    ASSERT_TRUE(DecodeFrame(f));
    for (size_t n = 0; n < f.size(); ++n) {
      EXPECT_FALSE(DecodeFrame(std::span<const uint8_t>(f.data(), n))) << "prefix " << n;
    }
  }
}

TEST(PacketTest, CorruptedHeadersAreRejected) {
  const auto syn = Syn("198.18.1.1", "198.18.0.3", 61234, 443, 1);
  struct Case {
    const char* name;
    size_t offset;
    uint8_t value;
  };
  const Case cases[] = {
      {"ethertype ARP", 12, 0x08},  // 0x0806 with the next byte
      {"IP version 5", 14, 0x55},      {"IHL 4", 14, 0x44},
      {"IHL past the end", 14, 0x4F},  {"total length huge", 16, 0xFF},
      {"fragment offset", 21, 0x10},   {"protocol GRE", 23, 47},
      {"TCP data offset 4", 46, 0x40}, {"TCP data offset past end", 46, 0xF0},
  };
  for (const Case& c : cases) {
    auto f = syn;
    f[c.offset] = c.value;
    if (std::string_view(c.name) == "ethertype ARP") f[13] = 0x06;
    EXPECT_FALSE(DecodeFrame(f)) << c.name;
  }
  auto v6 = Syn("2001:2:0:1::1", "2001:2::7", 61000, 22, 7);
  auto bad = v6;
  bad[18] = 0xFF;  // payload length beyond the frame
  EXPECT_FALSE(DecodeFrame(bad));
  bad = v6;
  bad[20] = 58;  // ICMPv6, but the body is a TCP header: type 0xEE.. is not unreachable
  EXPECT_FALSE(DecodeFrame(bad));
  auto icmp = Unreachable(Udp("198.18.1.1", "198.18.0.5", 61010, 9999, {}), "198.18.0.5", 3);
  bad = icmp;
  bad[34] = 11;  // time exceeded: not a reply we use
  EXPECT_FALSE(DecodeFrame(bad));
  bad = icmp;
  bad[34 + 8 + 9] = 47;  // the quoted probe is GRE
  EXPECT_FALSE(DecodeFrame(bad));
}

TEST(PacketTest, VlanTagPaddingAndExtensionHeaders) {
  auto syn = Syn("198.18.1.1", "198.18.0.3", 61234, 443, 1);
  auto tagged = syn;
  const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x07};
  tagged.insert(tagged.begin() + 12, tag, tag + 4);
  auto r = DecodeFrame(tagged);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dport, 443);
  auto padded = syn;
  padded.resize(padded.size() + 10, 0xEE);  // Ethernet padding is not payload
  EXPECT_TRUE(DecodeFrame(padded));

  // IPv6 with a hop-by-hop header (8 bytes, PadN) before TCP.
  auto v6 = Syn("2001:2:0:1::1", "2001:2::7", 61000, 22, 7);
  std::vector<uint8_t> hbh = {6, 0, 1, 4, 0, 0, 0, 0};
  v6.insert(v6.begin() + 54, hbh.begin(), hbh.end());
  v6[20] = 0;  // next header: hop-by-hop
  v6[19] = static_cast<uint8_t>(v6[19] + 8);
  auto e = DecodeFrame(v6);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->dport, 22);
  auto frag = v6;
  frag[54 + 0] = 6;
  frag[20] = 44;  // fragment header with a non-zero offset
  frag[54 + 2] = 0x01;
  EXPECT_FALSE(DecodeFrame(frag));
}

// An ARP request for `target` from `requester`.
std::vector<uint8_t> ArpRequest(const char* requester, const char* target) {
  std::vector<uint8_t> f = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,   0xc6, 0x12,
                            1,    0xfe, 0x08, 0x06, 0,    1,    0x08, 0,   6,    4,
                            0,    1,    0x02, 0,    0xc6, 0x12, 1,    0xfe};
  const IpAddr r = Ip(requester);
  const IpAddr t = Ip(target);
  f.insert(f.end(), r.bytes.begin(), r.bytes.begin() + 4);
  f.insert(f.end(), 6, 0);
  f.insert(f.end(), t.bytes.begin(), t.bytes.begin() + 4);
  return f;
}

// An ICMPv6 neighbour solicitation for `target` from `requester` with a source link-layer
// address option.
std::vector<uint8_t> NeighborSolicitation(const char* requester, const char* target) {
  std::vector<uint8_t> f = {0x33, 0x33, 0xff, 0,    0, 2, 0x02, 0, 0xc6, 0x12, 1,
                            0xfe, 0x86, 0xdd, 0x60, 0, 0, 0,    0, 32,   58,   255};
  const IpAddr r = Ip(requester);
  const IpAddr t = Ip(target);
  f.insert(f.end(), r.bytes.begin(), r.bytes.end());
  const uint8_t group[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2};
  f.insert(f.end(), group, group + 16);
  const uint8_t head[8] = {135, 0, 0, 0, 0, 0, 0, 0};
  f.insert(f.end(), head, head + 8);
  f.insert(f.end(), t.bytes.begin(), t.bytes.end());
  const uint8_t opt[8] = {1, 1, 0x02, 0, 0xc6, 0x12, 1, 0xfe};
  f.insert(f.end(), opt, opt + 8);
  return f;
}

TEST(PacketTest, ArpRequestIsAnsweredForTheSpareSource) {
  const MacAddr mine = {0x02, 0, 0xc6, 0x12, 1, 0x5b};
  auto sol = DecodeNeighborSolicit(ArpRequest("198.18.1.254", "198.18.1.2"));
  ASSERT_TRUE(sol);
  EXPECT_EQ(sol->requester.ToString(), "198.18.1.254");
  EXPECT_EQ(sol->target.ToString(), "198.18.1.2");
  EXPECT_EQ(sol->requester_mac, (MacAddr{0x02, 0, 0xc6, 0x12, 1, 0xfe}));
  uint8_t out[128];
  const size_t n = BuildNeighborAdvert(*sol, mine, out);
  ASSERT_EQ(n, 60u);
  EXPECT_EQ(out[12], 0x08);
  EXPECT_EQ(out[13], 0x06);
  EXPECT_EQ(out[21], 2);                                // reply
  EXPECT_EQ(std::memcmp(out + 22, mine.data(), 6), 0);  // sender: us
  EXPECT_EQ(out[28], 198);
  EXPECT_EQ(out[31], 2);  // sender IP: the spare source
  EXPECT_EQ(std::memcmp(out, sol->requester_mac.data(), 6), 0);
  EXPECT_FALSE(DecodeFrame(std::span<const uint8_t>(out, n)));  // not a scan reply
}

TEST(PacketTest, NeighborSolicitationIsAnsweredWithAValidAdvert) {
  const MacAddr mine = {0x02, 0, 0xc6, 0x12, 1, 0x5b};
  auto sol = DecodeNeighborSolicit(NeighborSolicitation("2001:2:0:1::254", "2001:2:0:1::2"));
  ASSERT_TRUE(sol);
  EXPECT_EQ(sol->target.ToString(), "2001:2:0:1::2");
  EXPECT_EQ(sol->requester.ToString(), "2001:2:0:1::254");
  uint8_t out[128];
  const size_t n = BuildNeighborAdvert(*sol, mine, out);
  ASSERT_EQ(n, 14u + 40 + 32);
  EXPECT_EQ(out[20], 58);
  EXPECT_EQ(out[21], 255);   // hop limit
  EXPECT_EQ(out[54], 136);   // advertisement
  EXPECT_EQ(out[58], 0x60);  // solicited, override
  EXPECT_EQ(Verify(out + 54, 32, Pseudo(out + 14, false, 58, 32)), 0);
  EXPECT_EQ(std::memcmp(out + 54 + 26, mine.data(), 6), 0);  // target link-layer address
}

TEST(PacketTest, MalformedSolicitationsAreRejected) {
  const auto arp = ArpRequest("198.18.1.254", "198.18.1.2");
  const auto ns = NeighborSolicitation("2001:2:0:1::254", "2001:2:0:1::2");
  for (const auto* f : {&arp, &ns}) {
    for (size_t n = 0; n < f->size(); ++n) {
      EXPECT_FALSE(DecodeNeighborSolicit(std::span<const uint8_t>(f->data(), n))) << n;
    }
  }
  auto reply = arp;
  reply[21] = 2;  // an ARP reply is not a request
  EXPECT_FALSE(DecodeNeighborSolicit(reply));
  auto hops = ns;
  hops[21] = 64;  // neighbour discovery must come with hop limit 255
  EXPECT_FALSE(DecodeNeighborSolicit(hops));
  auto badopt = ns;
  badopt[79] = 0;  // an option of length 0
  EXPECT_FALSE(DecodeNeighborSolicit(badopt));
  EXPECT_FALSE(DecodeNeighborSolicit(Syn("198.18.1.1", "198.18.0.3", 61234, 443, 1)));
}

}  // namespace
}  // namespace portatlas::scan
