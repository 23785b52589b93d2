#include "flow/classify.h"

#include <gtest/gtest.h>

namespace portatlas::flow {
namespace {

FlowRecord Flow(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
  FlowRecord f;
  f.src = *ParseIpAddr(src);
  f.dst = *ParseIpAddr(dst);
  f.src_port = sport;
  f.dst_port = dport;
  f.ip_proto = kIpProtoTcp;
  return f;
}

TEST(ClassifyTest, SpecialPurposeRangesAreNotInternetUnlessTheOperatorSaysSo) {
  AddrSet internet;
  internet.Add(**ParseAddrRange("198.19.0.0/16"));
  AddrSet internal;
  internal.Add(**ParseAddrRange("8.8.4.0/24"));
  const InternetRanges r(internet, internal);
  for (const char* no :
       {"10.1.1.1", "172.31.0.1", "192.168.3.4", "127.0.0.1", "169.254.1.1", "100.64.0.1",
        "198.18.0.1", "203.0.113.9", "224.0.0.5", "255.255.255.255", "0.1.2.3", "::1", "fe80::1",
        "fd12::1", "2001:db8::1", "2001:2::1", "ff02::1", "::ffff:10.0.0.1", "8.8.4.4"}) {
    EXPECT_FALSE(r.IsInternet(*ParseIpAddr(no))) << no;
  }
  for (const char* yes : {"198.19.0.1", "198.19.255.1", "8.8.8.8", "1.1.1.1", "2606:4700::1111",
                          "::ffff:8.8.8.8", "2001::1", "2001:4:112::1", "2002:c000:204::1"}) {
    EXPECT_TRUE(r.IsInternet(*ParseIpAddr(yes))) << yes;
  }
}

TEST(ClassifyTest, AKnownListenerIsTheServerWhicheverWayTheRecordPoints) {
  ListenerSet listeners;
  listeners.Add(*ParseIpAddr("198.18.0.2"), Proto::kTcp, 40000);
  const WellKnownPorts wk;
  // Towards the listener, from a client on a lower (even well-known) port.
  auto o = Orient(Flow("198.19.0.1", 80, "198.18.0.2", 40000), Proto::kTcp, listeners, wk);
  EXPECT_TRUE(o.server_is_dst);
  EXPECT_EQ(o.rule, ServerRule::kListener);
  // From the listener back to the client.
  o = Orient(Flow("198.18.0.2", 40000, "198.19.0.1", 80), Proto::kTcp, listeners, wk);
  EXPECT_FALSE(o.server_is_dst);
  // The same port on UDP is not that listener.
  o = Orient(Flow("198.19.0.1", 80, "198.18.0.2", 40000), Proto::kUdp, listeners, wk);
  EXPECT_FALSE(o.server_is_dst);
  EXPECT_EQ(o.rule, ServerRule::kWellKnown);
}

TEST(ClassifyTest, WellKnownPortsThenTheLowerPort) {
  const ListenerSet none;
  WellKnownPorts wk;
  wk.Add(Proto::kTcp, 6379);   // from the services database
  wk.Add(Proto::kTcp, 50000);  // ephemeral range: ignored
  auto o = Orient(Flow("198.19.0.1", 43210, "198.18.0.2", 6379), Proto::kTcp, none, wk);
  EXPECT_TRUE(o.server_is_dst);
  EXPECT_EQ(o.rule, ServerRule::kWellKnown);
  o = Orient(Flow("198.18.0.2", 22, "198.19.0.1", 51000), Proto::kTcp, none, wk);
  EXPECT_FALSE(o.server_is_dst);
  // Both well-known (DNS to DNS): the lower port, then the destination.
  o = Orient(Flow("198.19.0.1", 53, "198.18.0.2", 53), Proto::kUdp, none, wk);
  EXPECT_TRUE(o.server_is_dst);
  o = Orient(Flow("198.19.0.1", 123, "198.18.0.2", 514), Proto::kUdp, none, wk);
  EXPECT_FALSE(o.server_is_dst);
  // Neither: the lower port.
  o = Orient(Flow("198.19.0.1", 50001, "198.18.0.2", 50000), Proto::kTcp, none, wk);
  EXPECT_TRUE(o.server_is_dst);
  EXPECT_EQ(o.rule, ServerRule::kLowerPort);
  o = Orient(Flow("198.19.0.1", 9000, "198.18.0.2", 40000), Proto::kTcp, none, wk);
  EXPECT_FALSE(o.server_is_dst);
}

TEST(ClassifyTest, WithoutAPortRuleTheEndpointInsideIsTheServer) {
  const ListenerSet none;
  const WellKnownPorts wk;
  AddrSet internet;
  internet.Add(**ParseAddrRange("198.19.0.0/16"));
  const InternetRanges ranges(internet, AddrSet());
  // A passive FTP data connection: the server's port is above the client's.
  auto o = Orient(Flow("198.19.0.1", 33000, "198.18.0.2", 50725), Proto::kTcp, none, wk, &ranges);
  EXPECT_TRUE(o.server_is_dst);
  EXPECT_EQ(o.rule, ServerRule::kInside);
  o = Orient(Flow("198.18.0.2", 50725, "198.19.0.1", 33000), Proto::kTcp, none, wk, &ranges);
  EXPECT_FALSE(o.server_is_dst);
  // Both inside, or both outside: the lower port again.
  o = Orient(Flow("198.18.0.3", 33000, "198.18.0.2", 50725), Proto::kTcp, none, wk, &ranges);
  EXPECT_FALSE(o.server_is_dst);
  EXPECT_EQ(o.rule, ServerRule::kLowerPort);
  // A well-known port still wins over it.
  o = Orient(Flow("198.19.0.1", 53, "198.18.0.2", 50725), Proto::kUdp, none, wk, &ranges);
  EXPECT_FALSE(o.server_is_dst);
}

}  // namespace
}  // namespace portatlas::flow
