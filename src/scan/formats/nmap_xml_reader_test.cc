#include "scan/formats/nmap_xml_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "scan/formats/formats_test_util.h"

namespace portatlas::scan {
namespace {

using testing::HugeInput;
using testing::ReadTestdata;

// A minimal nmap document around `hosts`: line 1 is the declaration, line 2 <nmaprun>, the hosts
// start on line 3.
std::string Doc(std::string_view hosts) {
  return std::string(
             "<?xml version=\"1.0\"?>\n"
             "<nmaprun scanner=\"nmap\" args=\"nmap -sS 198.18.0.1\" start=\"1700000000\">\n") +
         std::string(hosts) +
         "\n<runstats><finished time=\"1700000009\"/><hosts up=\"1\" down=\"0\" total=\"1\"/>"
         "</runstats>\n</nmaprun>\n";
}

std::string Host(std::string_view ports,
                 std::string_view address = R"(<address addr="198.18.0.1" addrtype="ipv4"/>)") {
  return "<host starttime=\"1700000001\" endtime=\"1700000002\"><status state=\"up\"/>" +
         std::string(address) + "<ports>" + std::string(ports) + "</ports></host>";
}

constexpr std::string_view kOpen22 =
    R"(<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/></port>)";

TEST(NmapXmlReaderTest, ReadsRealNmapVersionScan) {
  const auto scan = ReadNmapXml(ReadTestdata("nmap-7.93-sv.xml"));
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(scan->scanner, "nmap");
  EXPECT_EQ(scan->args.rfind("nmap -sT -sV -p 12222,18000-18100 ", 0), 0u) << scan->args;
  EXPECT_EQ(scan->start_ms, 1795272448000);
  EXPECT_EQ(scan->end_ms, 1795272454000);
  EXPECT_EQ(scan->skipped, 0);
  ASSERT_EQ(scan->records.size(), 2u);  // the 100 closed ports are only counted by nmap
  const ScanRecord& ssh = scan->records[0];
  EXPECT_EQ(ssh.ip.ToString(), "127.0.0.1");
  EXPECT_EQ(ssh.proto, Proto::kTcp);
  EXPECT_EQ(ssh.port, 12222);
  EXPECT_EQ(ssh.state, "open");
  EXPECT_EQ(ssh.reason, "syn-ack");
  EXPECT_EQ(ssh.reason_ttl, 0);
  EXPECT_EQ(ssh.updated_at_ms, 1795272454000);  // the host's endtime
  EXPECT_EQ(ssh.service, "ssh");
  EXPECT_EQ(ssh.product, "OpenSSH");
  EXPECT_EQ(ssh.version, "9.2p1 Debian 2+deb12u3");
  EXPECT_EQ(ssh.info, "protocol 2.0");
  EXPECT_EQ(ssh.cpe, "cpe:/a:openbsd:openssh:9.2p1 cpe:/o:linux:linux_kernel");
  const ScanRecord& web = scan->records[1];
  EXPECT_EQ(web.port, 18080);
  EXPECT_EQ(web.service, "http");
  EXPECT_EQ(web.product, "SimpleHTTPServer");
  EXPECT_EQ(web.version, "0.6");
  EXPECT_EQ(web.info, "Python 3.11.7");
  EXPECT_EQ(web.cpe, "cpe:/a:python:simplehttpserver:0.6");
}

TEST(NmapXmlReaderTest, ReadsRealSynAndUdpScanKeepingOpenPortsByDefault) {
  const std::string xml = ReadTestdata("nmap-7.93-su.xml");
  const auto open = ReadNmapXml(xml);
  ASSERT_TRUE(open) << open.error().ToString();
  std::vector<std::string> seen;
  for (const ScanRecord& r : open->records) {
    seen.push_back(fmt::format("{}/{} {} {} {} {}", r.port, ProtoName(r.proto), r.state, r.reason,
                               r.reason_ttl, r.service));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"12222/tcp open syn-ack 64 ",
                                            "18080/tcp open syn-ack 64 unknown",
                                            "18053/udp open udp-response 64 unknown"}));

  const auto all = ReadNmapXml(xml, {.keep_all_states = true});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->records.size(), 5u);
  EXPECT_EQ(all->records[2].state, "closed");
  EXPECT_EQ(all->records[2].reason, "reset");
  EXPECT_EQ(all->records[4].state, "closed");
  EXPECT_EQ(all->records[4].reason, "port-unreach");
}

TEST(NmapXmlReaderTest, ReadsRealIpv6Scan) {
  const auto scan = ReadNmapXml(ReadTestdata("nmap-7.93-v6.xml"));
  ASSERT_TRUE(scan) << scan.error().ToString();
  ASSERT_EQ(scan->records.size(), 1u);
  EXPECT_EQ(scan->records[0].ip.family, Family::kIpv6);
  EXPECT_EQ(scan->records[0].ip.ToString(), "::1");
  EXPECT_EQ(scan->records[0].port, 18081);
}

TEST(NmapXmlReaderTest, HostsWithoutPortsAreSkipped) {
  const auto scan = ReadNmapXml(ReadTestdata("nmap-7.93-sn.xml"));
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_TRUE(scan->records.empty());
  EXPECT_EQ(scan->start_ms, 1795272463000);
  // A down host has no <ports> either; its missing address is not an error then.
  const auto down = ReadNmapXml(Doc("<host><status state=\"down\"/></host>"));
  ASSERT_TRUE(down) << down.error().ToString();
  EXPECT_TRUE(down->records.empty());
}

TEST(NmapXmlReaderTest, SkipsSctpAndIpProtocolPortsAndCountsThem) {
  const auto scan = ReadNmapXml(Doc(Host(
      std::string(kOpen22) +
      R"(<port protocol="sctp" portid="38412"><state state="open" reason="init-ack" reason_ttl="64"/></port>)"
      R"(<port protocol="ip" portid="1"><state state="open" reason="echo-reply" reason_ttl="64"/></port>)")));
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(scan->records.size(), 1u);
  EXPECT_EQ(scan->skipped, 2);
}

TEST(NmapXmlReaderTest, IgnoresMacAddressesAndTakesTheFirstIp) {
  const auto scan =
      ReadNmapXml(Doc(Host(kOpen22, R"(<address addr="02:00:00:00:00:01" addrtype="mac"/>)"
                                    R"(<address addr="2001:2::9" addrtype="ipv6"/>)"
                                    R"(<address addr="198.18.0.9"/>)")));
  ASSERT_TRUE(scan) << scan.error().ToString();
  ASSERT_EQ(scan->records.size(), 1u);
  EXPECT_EQ(scan->records[0].ip.ToString(), "2001:2::9");
}

TEST(NmapXmlReaderTest, UpdatedAtFallsBackToStartTimeThenFinishedTime) {
  auto scan =
      ReadNmapXml(Doc("<host starttime=\"1700000005\"><address addr=\"198.18.0.1\"/>"
                      "<ports>" +
                      std::string(kOpen22) + "</ports></host>"));
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(scan->records.at(0).updated_at_ms, 1700000005000);
  scan = ReadNmapXml(Doc("<host><address addr=\"198.18.0.1\"/><ports>" + std::string(kOpen22) +
                         "</ports></host>"));
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(scan->records.at(0).updated_at_ms, 1700000009000);
}

TEST(NmapXmlReaderTest, DoesNotExpandEntitiesFromTheDoctype) {
  const std::string xml =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE nmaprun [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
      "<!ENTITY ext SYSTEM \"file:///etc/passwd\">]>\n"
      "<nmaprun scanner=\"nmap\">" +
      Host(
          "<port protocol=\"tcp\" portid=\"80\"><state state=\"open\" reason=\"syn-ack\"/>"
          "<service name=\"http\" product=\"&b;\" version=\"&ext;\" extrainfo=\"&lt;&amp;&#65;\"/>"
          "</port>") +
      "</nmaprun>";
  const auto scan = ReadNmapXml(xml);
  ASSERT_TRUE(scan) << scan.error().ToString();
  ASSERT_EQ(scan->records.size(), 1u);
  EXPECT_EQ(scan->records[0].product, "&b;");
  EXPECT_EQ(scan->records[0].version, "&ext;");
  EXPECT_EQ(scan->records[0].info, "<&A");
}

struct BadXml {
  const char* name;
  std::string text;
  const char* message;  // a substring of the error
};

TEST(NmapXmlReaderTest, RejectsMalformedInputWithLineNumbers) {
  const std::string real = ReadTestdata("nmap-7.93-sv.xml");
  const std::vector<BadXml> cases = {
      {"empty", "", "nmap XML: input is empty"},
      {"blank", " \n\t\n", "nmap XML: input is empty"},
      {"not xml", "portatlas scan report\n", "nmap XML: no root element"},
      {"json", "[{\"ip\": \"198.18.0.1\"}]", "no root element"},
      {"truncated", real.substr(0, real.size() / 2), "truncated: "},
      {"unclosed root", real.substr(0, real.rfind("</nmaprun>")), "truncated: "},
      {"truncated in a tag", real.substr(0, real.find("<port ") + 12),
       "nmap XML: line 17: truncated: "},
      {"wrong root", "<?xml version=\"1.0\"?>\n<masscan/>\n",
       "nmap XML: line 2: root element is <masscan>, not <nmaprun>"},
      {"mismatched tags", Doc("<host></hots>"), "nmap XML: line 3:"},
      {"missing portid",
       Doc(Host(R"(<port protocol="tcp"><state state="open" reason="syn-ack"/></port>)")),
       "nmap XML: line 3: <port> without a portid"},
      {"portid not a number",
       Doc(Host(R"(<port protocol="tcp" portid="ssh"><state state="open"/></port>)")),
       "portid 'ssh' is not a number"},
      {"negative portid",
       Doc(Host(R"(<port protocol="tcp" portid="-1"><state state="open"/></port>)")),
       "portid '-1' is not a number"},
      {"portid out of range",
       Doc(Host(R"(<port protocol="tcp" portid="65536"><state state="open"/></port>)")),
       "portid 65536 is out of range (0-65535)"},
      {"huge portid",
       Doc(Host(
           R"(<port protocol="tcp" portid="99999999999999999999999"><state state="open"/></port>)")),
       "is not a number"},
      {"missing protocol", Doc(Host(R"(<port portid="22"><state state="open"/></port>)")),
       "<port> without a protocol"},
      {"unknown protocol",
       Doc(Host(R"(<port protocol="icmp" portid="22"><state state="open"/></port>)")),
       "unknown port protocol 'icmp'"},
      {"no state", Doc(Host(R"(<port protocol="tcp" portid="22"/>)")), "port 22/tcp: no <state>"},
      {"empty state", Doc(Host(R"(<port protocol="tcp" portid="22"><state state=""/></port>)")),
       "port 22/tcp: empty state"},
      {"bad reason_ttl",
       Doc(Host(
           R"(<port protocol="tcp" portid="22"><state state="open" reason_ttl="300"/></port>)")),
       "reason_ttl"},
      {"invalid address", Doc(Host(kOpen22, R"(<address addr="198.18.0.256" addrtype="ipv4"/>)")),
       "nmap XML: line 3: '198.18.0.256' is not an ipv4 address"},
      {"family mismatch", Doc(Host(kOpen22, R"(<address addr="2001:2::1" addrtype="ipv4"/>)")),
       "'2001:2::1' is not an ipv4 address"},
      {"unknown address type", Doc(Host(kOpen22, R"(<address addr="198.18.0.1" addrtype="ipx"/>)")),
       "unknown address type 'ipx'"},
      {"no address", Doc(Host(kOpen22, "")), "host without an IPv4 or IPv6 address"},
      {"bad endtime",
       Doc("<host endtime=\"yesterday\"><address addr=\"198.18.0.1\"/><ports/></host>"),
       "<host> endtime=\"yesterday\" is not a time"},
      {"bad start", "<nmaprun start=\"-5\"/>", "<nmaprun> start=\"-5\" is not a time"},
      {"not utf-8",
       Doc(Host(R"(<port protocol="tcp" portid="22"><state state="open" reason="syn)"
                "\xff"
                R"("/></port>)")),
       "not valid UTF-8"},
  };
  for (const BadXml& c : cases) {
    const auto r = ReadNmapXml(c.text);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().kind(), ErrorKind::kParse) << c.name;
    EXPECT_NE(r.error().message().find(c.message), std::string::npos)
        << c.name << ": " << r.error().message();
  }
}

TEST(NmapXmlReaderTest, ErrorsOnLaterLinesNameThem) {
  const std::string xml =
      Doc("\n\n" + Host(kOpen22) + "\n" +
          Host(R"(<port protocol="tcp" portid="x"><state state="open"/></port>)"));
  const auto r = ReadNmapXml(xml);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("nmap XML: line 6: portid 'x'"), std::string::npos)
      << r.error().message();
}

TEST(NmapXmlReaderTest, RefusesOversizedInput) {
  const std::string xml = Doc(Host(kOpen22));
  auto r = ReadNmapXml(xml, {.max_input_bytes = xml.size() - 1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_TRUE(ReadNmapXml(xml, {.max_input_bytes = xml.size()}));

  const HugeInput huge(kMaxImportBytes + 1);
  r = ReadNmapXml(huge.view());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(r.error().message().find("1073741825 bytes"), std::string::npos);
}

}  // namespace
}  // namespace portatlas::scan
