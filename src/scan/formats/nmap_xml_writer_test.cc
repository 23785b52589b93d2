#include "scan/formats/nmap_xml_writer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <pugixml.hpp>

#include "scan/formats/nmap_xml_reader.h"

namespace portatlas::scan {
namespace {

constexpr int64_t kStart = 1700000000;

ScanRecord Rec(std::string_view ip, Proto proto, uint16_t port, std::string state = "open") {
  ScanRecord r;
  r.ip = *ParseIpAddr(ip);
  r.proto = proto;
  r.port = port;
  r.state = std::move(state);
  r.reason = r.state == "open" ? "syn-ack" : "conn-refused";
  r.updated_at_ms = (kStart + 5) * 1000;
  return r;
}

NmapRunHeader Header() {
  NmapRunHeader h;
  h.args = "portatlas scan -p 22,80,443 198.18.0.0/30";
  h.version = "0.1.0";
  h.start_s = kStart;
  h.scans = {{"connect", Proto::kTcp, {443, 22, 80, 22}}};
  return h;
}

NmapRunStats Stats() {
  return {
      .end_s = kStart + 10, .elapsed_s = 10.5, .hosts_up = 2, .hosts_down = 2, .hosts_total = 4};
}

std::string Write(const std::vector<ScanRecord>& records, NmapXmlWriter::ServiceTable table = {}) {
  std::string out;
  NmapXmlWriter w(&out, std::move(table));
  EXPECT_TRUE(w.Begin(Header()).ok());
  for (const ScanRecord& r : records) w.AddRecord(r);
  EXPECT_TRUE(w.End(Stats()).ok());
  return out;
}

pugi::xml_document Parse(const std::string& xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result res = doc.load_string(xml.c_str());
  EXPECT_TRUE(res) << res.description() << "\n" << xml;
  return doc;
}

TEST(NmapServicesStringTest, CompactsRuns) {
  const std::vector<uint16_t> ports = {443, 22, 80, 81, 82, 22, 65535, 0};
  EXPECT_EQ(NmapServicesString(ports), "0,22,80-82,443,65535");
  EXPECT_EQ(NmapServicesString({}), "");
}

TEST(NmapXmlWriterTest, WritesNmapHeaderAndRunstats) {
  const std::string xml = Write({Rec("198.18.0.1", Proto::kTcp, 22)});
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n", 0), 0u)
      << xml;
  const pugi::xml_document doc = Parse(xml);
  const pugi::xml_node run = doc.child("nmaprun");
  EXPECT_STREQ(run.attribute("scanner").value(), "portatlas");
  EXPECT_STREQ(run.attribute("args").value(), "portatlas scan -p 22,80,443 198.18.0.0/30");
  EXPECT_STREQ(run.attribute("start").value(), "1700000000");
  EXPECT_STREQ(run.attribute("startstr").value(), "Tue Nov 14 22:13:20 2023");
  EXPECT_STREQ(run.attribute("version").value(), "0.1.0");
  EXPECT_STREQ(run.attribute("xmloutputversion").value(), "1.05");
  const pugi::xml_node info = run.child("scaninfo");
  EXPECT_STREQ(info.attribute("type").value(), "connect");
  EXPECT_STREQ(info.attribute("protocol").value(), "tcp");
  EXPECT_STREQ(info.attribute("numservices").value(), "3");
  EXPECT_STREQ(info.attribute("services").value(), "22,80,443");
  EXPECT_STREQ(run.child("verbose").attribute("level").value(), "0");
  EXPECT_STREQ(run.child("debugging").attribute("level").value(), "0");
  const pugi::xml_node finished = run.child("runstats").child("finished");
  EXPECT_STREQ(finished.attribute("time").value(), "1700000010");
  EXPECT_STREQ(finished.attribute("elapsed").value(), "10.50");
  EXPECT_STREQ(finished.attribute("exit").value(), "success");
  EXPECT_STREQ(finished.attribute("summary").value(),
               "portatlas done at Tue Nov 14 22:13:30 2023; 4 IP addresses (2 hosts up) scanned "
               "in 10.50 seconds");
  const pugi::xml_node hosts = run.child("runstats").child("hosts");
  EXPECT_STREQ(hosts.attribute("up").value(), "2");
  EXPECT_STREQ(hosts.attribute("down").value(), "2");
  EXPECT_STREQ(hosts.attribute("total").value(), "4");
}

TEST(NmapXmlWriterTest, HeaderIsWrittenByBegin) {
  std::string out;
  NmapXmlWriter w(&out);
  ASSERT_TRUE(w.Begin(Header()).ok());
  EXPECT_NE(out.find("<scaninfo"), std::string::npos);
  EXPECT_NE(out.find("<debugging level=\"0\""), std::string::npos);
  EXPECT_EQ(out.find("</nmaprun>"), std::string::npos);
  ASSERT_TRUE(w.End(Stats()).ok());
  EXPECT_NE(out.find("</nmaprun>"), std::string::npos);
}

TEST(NmapXmlWriterTest, GroupsInterleavedRecordsByHostInAddressOrder) {
  const std::string xml = Write({
      Rec("198.18.0.2", Proto::kUdp, 53), Rec("198.18.0.1", Proto::kTcp, 443),
      Rec("2001:2::1", Proto::kTcp, 22), Rec("198.18.0.2", Proto::kTcp, 80),
      Rec("198.18.0.1", Proto::kTcp, 22),
      Rec("198.18.0.1", Proto::kTcp, 443),  // repeated: written once
  });
  const pugi::xml_document doc = Parse(xml);
  std::vector<std::string> seen;
  for (const pugi::xml_node host : doc.child("nmaprun").children("host")) {
    std::string line = host.child("address").attribute("addr").value();
    line += std::string(" ") + host.child("address").attribute("addrtype").value();
    for (const pugi::xml_node port : host.child("ports").children("port")) {
      line += std::string(" ") + port.attribute("portid").value() + "/" +
              port.attribute("protocol").value();
    }
    seen.push_back(line);
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"198.18.0.1 ipv4 22/tcp 443/tcp",
                                      "198.18.0.2 ipv4 80/tcp 53/udp", "2001:2::1 ipv6 22/tcp"}));
}

TEST(NmapXmlWriterTest, ClosedPortsAreCountedAndOtherStatesLeftOut) {
  const std::string xml = Write({
      Rec("198.18.0.1", Proto::kTcp, 22),
      Rec("198.18.0.1", Proto::kTcp, 23, "closed"),
      Rec("198.18.0.1", Proto::kTcp, 24, "closed"),
      Rec("198.18.0.1", Proto::kTcp, 25, "filtered"),
      Rec("198.18.0.2", Proto::kTcp, 23, "closed"),
      Rec("198.18.0.3", Proto::kTcp, 23, "filtered"),
      Rec("198.18.0.3", Proto::kUdp, 53, "open|filtered"),
  });
  const pugi::xml_document doc = Parse(xml);
  std::vector<std::string> seen;
  for (const pugi::xml_node host : doc.child("nmaprun").children("host")) {
    const pugi::xml_node ports = host.child("ports");
    seen.push_back(
        fmt::format("{} extra={} {} ports={}", host.child("address").attribute("addr").value(),
                    ports.child("extraports").attribute("state").value(),
                    ports.child("extraports").attribute("count").value(),
                    std::distance(ports.children("port").begin(), ports.children("port").end())));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"198.18.0.1 extra=closed 2 ports=1",
                                            "198.18.0.2 extra=closed 1 ports=0"}));
}

TEST(NmapXmlWriterTest, WritesHostStatusAndTimes) {
  ScanRecord a = Rec("198.18.0.1", Proto::kTcp, 22);
  ScanRecord b = Rec("198.18.0.1", Proto::kTcp, 80);
  a.updated_at_ms = (kStart + 2) * 1000 + 999;
  b.updated_at_ms = (kStart + 7) * 1000;
  ScanRecord untimed = Rec("198.18.0.2", Proto::kTcp, 22);
  untimed.updated_at_ms = 0;
  const pugi::xml_document doc = Parse(Write({a, b, untimed}));
  const pugi::xml_node first = doc.child("nmaprun").child("host");
  EXPECT_STREQ(first.attribute("starttime").value(), "1700000002");
  EXPECT_STREQ(first.attribute("endtime").value(), "1700000007");
  EXPECT_STREQ(first.child("status").attribute("state").value(), "up");
  EXPECT_STREQ(first.child("status").attribute("reason").value(), "user-set");
  EXPECT_STREQ(first.child("status").attribute("reason_ttl").value(), "0");
  EXPECT_TRUE(first.child("hostnames"));
  const pugi::xml_node second = first.next_sibling("host");
  EXPECT_STREQ(second.attribute("starttime").value(), "1700000000");  // the scan's start
  EXPECT_STREQ(second.attribute("endtime").value(), "1700000010");    // and end
}

TEST(NmapXmlWriterTest, ServiceFromDetectionOrTable) {
  ScanRecord ssh = Rec("198.18.0.1", Proto::kTcp, 22);
  ssh.service = "ssh";
  ssh.product = "OpenSSH";
  ssh.version = "9.2p1 Debian 2+deb12u3";
  ssh.info = "protocol 2.0";
  ssh.cpe = "cpe:/a:openbsd:openssh:9.2p1 cpe:/o:linux:linux_kernel";
  ScanRecord http = Rec("198.18.0.1", Proto::kTcp, 80);     // table only
  ScanRecord named = Rec("198.18.0.1", Proto::kTcp, 8080);  // bare name = table's
  named.service = "http-proxy";
  ScanRecord renamed = Rec("198.18.0.1", Proto::kTcp, 8443);  // bare name != table's
  renamed.service = "http";
  ScanRecord unknown = Rec("198.18.0.1", Proto::kTcp, 9999);  // nothing at all
  auto table = [](Proto p, uint16_t port) -> std::string {
    if (p != Proto::kTcp) return "";
    if (port == 22) return "ssh";
    if (port == 80) return "http";
    if (port == 8080) return "http-proxy";
    if (port == 8443) return "https-alt";
    return "";
  };
  const pugi::xml_document doc = Parse(Write({ssh, http, named, renamed, unknown}, table));
  std::vector<std::string> seen;
  for (const pugi::xml_node port : doc.child("nmaprun").child("host").child("ports").children()) {
    const pugi::xml_node s = port.child("service");
    std::string line =
        fmt::format("{} {} {} {}", port.attribute("portid").value(), s.attribute("name").value(),
                    s.attribute("method").value(), s.attribute("conf").value());
    for (const pugi::xml_node cpe : s.children("cpe")) line += std::string(" ") + cpe.text().get();
    seen.push_back(line);
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{
                "22 ssh probed 10 cpe:/a:openbsd:openssh:9.2p1 cpe:/o:linux:linux_kernel",
                "80 http table 3", "8080 http-proxy table 3", "8443 http probed 10", "9999   "}));
  const pugi::xml_node s =
      doc.child("nmaprun").child("host").child("ports").child("port").child("service");
  EXPECT_STREQ(s.attribute("product").value(), "OpenSSH");
  EXPECT_STREQ(s.attribute("version").value(), "9.2p1 Debian 2+deb12u3");
  EXPECT_STREQ(s.attribute("extrainfo").value(), "protocol 2.0");
}

TEST(NmapXmlWriterTest, EscapesMarkupAndReplacesWhatXmlCannotHold) {
  NmapRunHeader h = Header();
  h.args = "scan \"a<b>&c\" 'q'";
  ScanRecord r = Rec("198.18.0.1", Proto::kTcp, 80);
  r.service = "http";
  r.product = "bad\x01\x7f\xff\xc3(\xed\xa0\x80ok\xc3\xa9";
  r.info = "line1\nline2\ttab";
  std::string out;
  NmapXmlWriter w(&out);
  ASSERT_TRUE(w.Begin(h).ok());
  w.AddRecord(r);
  ASSERT_TRUE(w.End(Stats()).ok());
  const pugi::xml_document doc = Parse(out);
  EXPECT_STREQ(doc.child("nmaprun").attribute("args").value(), "scan \"a<b>&c\" 'q'");
  const pugi::xml_node s =
      doc.child("nmaprun").child("host").child("ports").child("port").child("service");
  // \x01 and the ill-formed bytes become U+FFFD; DEL and U+00E9 are fine in XML.
  EXPECT_STREQ(s.attribute("product").value(),
               "bad\xEF\xBF\xBD\x7f\xEF\xBF\xBD\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDok"
               "\xc3\xa9");
  // Newlines and tabs survive attribute normalization as character references.
  EXPECT_STREQ(s.attribute("extrainfo").value(), "line1\nline2\ttab");
  EXPECT_NE(out.find("line1&#10;line2&#09;tab"), std::string::npos) << out;
}

TEST(NmapXmlWriterTest, RefusesScanTypesNmapDoesNotKnow) {
  std::string out;
  NmapXmlWriter w(&out);
  NmapRunHeader h = Header();
  h.scans[0].type = "turbo";
  const Status s = w.Begin(h);
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(s.message().find("turbo"), std::string::npos);
}

TEST(NmapXmlWriterTest, FileSinkWritesTheSameBytes) {
  const std::vector<ScanRecord> records = {Rec("198.18.0.1", Proto::kTcp, 22),
                                           Rec("198.18.0.1", Proto::kTcp, 23, "closed")};
  const std::string expected = Write(records);
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    NmapXmlWriter w(f);
    ASSERT_TRUE(w.Begin(Header()).ok());
    for (const ScanRecord& r : records) w.AddRecord(r);
    ASSERT_TRUE(w.End(Stats()).ok());
  }
  std::rewind(f);
  std::string got;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) got.append(buf, n);
  std::fclose(f);
  EXPECT_EQ(got, expected);
}

TEST(NmapXmlWriterTest, FileSinkReportsWriteErrors) {
  std::FILE* full = std::fopen("/dev/full", "w");
  if (full == nullptr) GTEST_SKIP() << "no /dev/full";
  NmapXmlWriter w(full);
  Status s = w.Begin(Header());
  if (s.ok()) {
    w.AddRecord(Rec("198.18.0.1", Proto::kTcp, 22));
    s = w.End(Stats());  // buffered bytes meet ENOSPC at the latest when flushed
  }
  std::fclose(full);
  EXPECT_FALSE(s.ok());
}

TEST(NmapXmlWriterTest, RoundTripsThroughTheReader) {
  std::vector<ScanRecord> records;
  ScanRecord ssh = Rec("198.18.0.1", Proto::kTcp, 22);
  ssh.service = "ssh";
  ssh.product = "OpenSSH";
  ssh.version = "9.2p1 Debian 2+deb12u3";
  ssh.info = "protocol 2.0";
  ssh.cpe = "cpe:/a:openbsd:openssh:9.2p1 cpe:/o:linux:linux_kernel";
  ssh.reason_ttl = 64;
  records.push_back(ssh);
  ScanRecord web = Rec("198.18.0.1", Proto::kTcp, 80);
  web.service = "http";
  web.product = "nginx <\"&'>";
  records.push_back(web);
  records.push_back(Rec("198.18.0.1", Proto::kTcp, 443));
  ScanRecord dns = Rec("198.18.0.1", Proto::kUdp, 53);
  dns.reason = "udp-response";
  dns.service = "domain";
  records.push_back(dns);
  records.push_back(Rec("2001:2::7", Proto::kTcp, 0));
  records.push_back(Rec("2001:2::7", Proto::kTcp, 65535));
  for (ScanRecord& r : records) r.updated_at_ms = (kStart + 3) * 1000;

  const auto imported = ReadNmapXml(Write(records));
  ASSERT_TRUE(imported) << imported.error().ToString();
  EXPECT_EQ(imported->scanner, "portatlas");
  EXPECT_EQ(imported->args, Header().args);
  EXPECT_EQ(imported->start_ms, kStart * 1000);
  EXPECT_EQ(imported->end_ms, (kStart + 10) * 1000);
  ASSERT_EQ(imported->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const ScanRecord& want = records[i];
    const ScanRecord& got = imported->records[i];
    EXPECT_EQ(got.ip, want.ip) << i;
    EXPECT_EQ(got.proto, want.proto) << i;
    EXPECT_EQ(got.port, want.port) << i;
    EXPECT_EQ(got.state, want.state) << i;
    EXPECT_EQ(got.reason, want.reason) << i;
    EXPECT_EQ(got.reason_ttl, want.reason_ttl) << i;
    EXPECT_EQ(got.updated_at_ms, want.updated_at_ms) << i;
    EXPECT_EQ(got.service, want.service) << i;
    EXPECT_EQ(got.product, want.product) << i;
    EXPECT_EQ(got.version, want.version) << i;
    EXPECT_EQ(got.info, want.info) << i;
    EXPECT_EQ(got.cpe, want.cpe) << i;
  }
}

}  // namespace
}  // namespace portatlas::scan
