#include "scan/udp/udp_payloads.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "scan/udp/builtin_payloads.h"

namespace portatlas::scan {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::vector<Bytes> Payloads(const UdpPayloads& p, uint16_t port) {
  const auto span = p.ForPort(port);
  return std::vector<Bytes>(span.begin(), span.end());
}

UdpPayloads Parse(std::string_view text) {
  auto p = UdpPayloads::FromNmapPayloads(text);
  EXPECT_TRUE(p) << p.error().ToString();
  return p ? std::move(*p) : UdpPayloads();
}

std::string Warnings(const UdpPayloads& p) {
  std::string all;
  for (const std::string& w : p.warnings()) all += w + "\n";
  return all;
}

const std::vector<Bytes> kEmptyDatagram = {Bytes{}};

TEST(UdpPayloadsTest, PortsWithoutPayloadsGetOneEmptyDatagram) {
  const UdpPayloads none;
  EXPECT_EQ(Payloads(none, 0), kEmptyDatagram);
  EXPECT_EQ(Payloads(none, 53), kEmptyDatagram);
  EXPECT_FALSE(none.HasPayloads(53));
  for (const char* text : {"", "\n\n", "# only a comment\n   # another\n", "\r\n"}) {
    const UdpPayloads p = Parse(text);
    EXPECT_TRUE(p.warnings().empty()) << Warnings(p);
    EXPECT_EQ(Payloads(p, 65535), kEmptyDatagram);
  }
}

TEST(UdpPayloadsTest, ParsesEntriesAcrossLinesWithCommentsAndKeywords) {
  const UdpPayloads p = Parse(
      "# echo\n"
      "udp 7 \"\\x0D\\x0A\\x0D\\x0A\"\n"
      "udp 9\n"
      "  \"ab\"   # inline comment\n"
      "# a comment between strings\n"
      "\"cd\" \"ef\"\n"
      "udp 500 \"ike\"\n"
      "source 500\n"
      "udp 501 \"x\" source 501 \"ignored\" udp 502 \"ignored too\"\n"
      "udp 503 \"y\"");  // no newline at the end
  EXPECT_TRUE(p.warnings().empty()) << Warnings(p);
  EXPECT_EQ(Payloads(p, 7), (std::vector<Bytes>{{0x0D, 0x0A, 0x0D, 0x0A}}));
  EXPECT_EQ(Payloads(p, 9), (std::vector<Bytes>{B("abcdef")}));
  EXPECT_EQ(Payloads(p, 500), (std::vector<Bytes>{B("ike")}));
  EXPECT_EQ(Payloads(p, 501), (std::vector<Bytes>{B("x")}));
  EXPECT_FALSE(p.HasPayloads(502));
  EXPECT_EQ(Payloads(p, 503), (std::vector<Bytes>{B("y")}));
}

TEST(UdpPayloadsTest, PortListsWithRanges) {
  const UdpPayloads p = Parse("udp 7,9-11,65535,0 \"a\"\nudp 10-10 \"b\"\n");
  EXPECT_TRUE(p.warnings().empty()) << Warnings(p);
  for (const uint16_t port : std::vector<uint16_t>{0, 7, 9, 11, 65535}) {
    EXPECT_EQ(Payloads(p, port), (std::vector<Bytes>{B("a")})) << port;
  }
  EXPECT_EQ(Payloads(p, 10), (std::vector<Bytes>{B("a"), B("b")}));
  EXPECT_FALSE(p.HasPayloads(8));
  EXPECT_FALSE(p.HasPayloads(12));
}

TEST(UdpPayloadsTest, SeveralEntriesForAPortKeepFileOrder) {
  const UdpPayloads p = Parse("udp 137 \"one\"\nudp 1-200 \"two\"\nudp 137 \"three\"\n");
  EXPECT_EQ(Payloads(p, 137), (std::vector<Bytes>{B("one"), B("two"), B("three")}));
  EXPECT_EQ(Payloads(p, 1), (std::vector<Bytes>{B("two")}));
}

TEST(UdpPayloadsTest, DecodesCEscapes) {
  const UdpPayloads p = Parse(R"(udp 1 "\0\x00\xfF\101\12\0012\377\a\b\f\n\r\t\v\\\"\'\?\.")");
  EXPECT_TRUE(p.warnings().empty()) << Warnings(p);
  EXPECT_EQ(Payloads(p, 1),
            (std::vector<Bytes>{{0x00, 0x00, 0xFF, 'A',  0x0A, 0x01, '2', 0xFF, 0x07, 0x08,
                                 0x0C, 0x0A, 0x0D, 0x09, 0x0B, '\\', '"', '\'', '?',  '.'}}));
}

struct BadEntry {
  const char* name;
  std::string text;
  const char* warning;  // a substring of the one warning
};

TEST(UdpPayloadsTest, MalformedEntriesAreSkippedWithTheirLine) {
  // Each bad entry starts on line 3, between two good entries that must survive it.
  const std::string before = "udp 1 \"first\"\nsource 1\n";
  const std::string after = "\nudp 2 \"last\"\n";
  const std::vector<BadEntry> cases = {
      {"truncated string", "udp 7 \"abc", "line 3: unterminated string; entry skipped"},
      {"truncated escape", "udp 7 \"abc\\", "line 3: unterminated string"},
      {"string over two lines", "udp 7 \"ab\ncd\"\n", "line 3: unterminated string"},
      {"unknown escape", "udp 7 \"\\q\"", "line 3: unknown escape \\q"},
      {"short hex escape", "udp 7 \"\\x4\"", "line 3: bad escape \\x"},
      {"bad hex escape", "udp 7 \"\\x4g\"", "line 3: bad escape \\x"},
      {"octal too big", "udp 7 \"\\400\"", "line 3: bad escape: octal value above \\377"},
      {"bad escape later", "udp 7\n  \"ok\"\n  \"\\z\"\n",
       "line 5: unknown escape \\z; entry from line 3 skipped"},
      {"port too big", "udp 70000 \"a\"", "line 3: bad port list '70000'"},
      {"reversed range", "udp 9-7 \"a\"", "line 3: bad port list '9-7'"},
      {"empty list item", "udp 7,,8 \"a\"", "line 3: bad port list '7,,8'"},
      {"negative port", "udp -1 \"a\"", "line 3: bad port list '-1'"},
      {"open range", "udp 7- \"a\"", "line 3: bad port list '7-'"},
      {"no port list", "udp \"a\"", "line 3: expected a port list after \"udp\""},
      {"port list on the next line", "udp\n7 \"a\"", "line 3: expected a port list"},
      {"not udp", "tcp 7 \"a\"", "line 3: expected \"udp\", found 'tcp'"},
      {"upper case", "UDP 7 \"a\"", "line 3: expected \"udp\", found 'UDP'"},
      {"string outside an entry", "\"abc\"", "line 3: payload string outside an entry"},
      {"no payload string", "# x\nudp 7\n", "line 4: entry without a payload string"},
      {"keyword before a string", "udp 7 source 7", "line 3: entry without a payload string"},
      {"overlong line", "udp 7\n \"" + std::string(1030, 'a') + "\"",
       "line 4: line longer than 1024 characters; entry from line 3 skipped"},
      {"payload too big",
       "udp 7\n" +
           [] {
             std::string s;
             for (int i = 0; i < 70; ++i) s += " \"" + std::string(1000, 'z') + "\"\n";
             return s;
           }(),
       "line 3: payload of 70000 bytes is more than a UDP datagram carries (65507)"},
  };
  for (const BadEntry& c : cases) {
    auto p = UdpPayloads::FromNmapPayloads(before + c.text + after);
    ASSERT_TRUE(p) << c.name;
    ASSERT_EQ(p->warnings().size(), 1u) << c.name << ":\n" << Warnings(*p);
    EXPECT_EQ(p->warnings()[0].rfind(c.warning, 0), 0u) << c.name << ": " << p->warnings()[0];
    EXPECT_FALSE(p->HasPayloads(7)) << c.name;
    EXPECT_EQ(Payloads(*p, 1), (std::vector<Bytes>{B("first")})) << c.name;
    EXPECT_EQ(Payloads(*p, 2), (std::vector<Bytes>{B("last")})) << c.name;
  }
}

TEST(UdpPayloadsTest, LongCommentLinesAreFine) {
  const UdpPayloads p = Parse("# " + std::string(5000, 'c') + "\nudp 7 \"a\"\n");
  EXPECT_TRUE(p.warnings().empty()) << Warnings(p);
  EXPECT_TRUE(p.HasPayloads(7));
}

TEST(UdpPayloadsTest, AtMost255PayloadsPerPort) {
  std::string text;
  for (int i = 0; i < 256; ++i) text += "udp 7,8 \"" + std::to_string(i) + "\"\n";
  const UdpPayloads p = Parse(text);
  EXPECT_EQ(p.ForPort(7).size(), 255u);
  EXPECT_EQ(p.ForPort(7).back(), B("254"));
  ASSERT_EQ(p.warnings().size(), 1u);
  EXPECT_EQ(p.warnings()[0], "line 256: port 7 already has 255 payloads; entry skipped");
}

TEST(UdpPayloadsTest, WholeRangesShareTheirPayloads) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "udp 0-65535 \"" + std::string(300, 'p') + "\"\n";
  const UdpPayloads p = Parse(text);  // 200 x 65536 copies would be 4 GB
  EXPECT_TRUE(p.warnings().empty()) << Warnings(p);
  EXPECT_EQ(p.ForPort(0).size(), 200u);
  EXPECT_EQ(p.ForPort(65535).size(), 200u);
}

TEST(UdpPayloadsTest, WarningsAreCapped) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "udp 7 \"\\q\"\n";
  const UdpPayloads p = Parse(text);
  ASSERT_EQ(p.warnings().size(), UdpPayloads::kMaxWarnings + 1);
  EXPECT_EQ(p.warnings().front(), "line 1: unknown escape \\q; entry skipped");
  EXPECT_EQ(p.warnings().back(), "... and 900 more");
}

TEST(UdpPayloadsTest, RefusesOversizedText) {
  const std::string big(UdpPayloads::kMaxFileBytes + 1, '#');
  const auto p = UdpPayloads::FromNmapPayloads(big);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_TRUE(UdpPayloads::FromNmapPayloads(big.substr(1)));
}

TEST(UdpPayloadsTest, ReadsNmapsRealPayloadFile) {
  const char* path = "/usr/share/nmap/nmap-payloads";
  if (access(path, R_OK) != 0) GTEST_SKIP() << path << " is not installed";
  const UdpPayloads p = UdpPayloads::Load(path);
  EXPECT_TRUE(p.warnings().empty()) << Warnings(p);
  auto starts_with = [](const Bytes& b, const Bytes& prefix) {
    return b.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), b.begin());
  };
  auto any_starts_with = [&](uint16_t port, const Bytes& prefix) {
    for (const Bytes& b : p.ForPort(port)) {
      if (starts_with(b, prefix)) return true;
    }
    return false;
  };
  // DNS: nmap's status request and its version.bind TXT CH query.
  EXPECT_TRUE(any_starts_with(53, {0x00, 0x00, 0x10, 0x00, 0x00, 0x00}));
  Bytes version_bind = {0x77, 0x77, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 7};
  const Bytes label =
      B("version\x04"
        "bind");
  version_bind.insert(version_bind.end(), label.begin(), label.end());
  EXPECT_TRUE(any_starts_with(53, version_bind));
  // NTP: a 48-byte client (mode 3) request.
  bool ntp_client = false;
  for (const Bytes& b : p.ForPort(123)) ntp_client |= b.size() == 48 && (b[0] & 0x07) == 3;
  EXPECT_TRUE(ntp_client);
  EXPECT_TRUE(any_starts_with(123, {0xE3, 0x00, 0x04, 0xFA}));
  // SNMP: a v3 get-request and a v1 "public" one.
  EXPECT_TRUE(any_starts_with(161, {0x30, 0x3A, 0x02, 0x01, 0x03}));
  Bytes v1_public = {0x30, 0x1F, 0x02, 0x01, 0x00, 0x04, 0x06};
  const Bytes community = B("public");
  v1_public.insert(v1_public.end(), community.begin(), community.end());
  EXPECT_TRUE(any_starts_with(161, v1_public));
  // Ranges ("32768-65535"), ports with several payloads, and a port the file has none for.
  EXPECT_TRUE(p.HasPayloads(40000));
  EXPECT_GE(p.ForPort(137).size(), 3u);
  EXPECT_EQ(Payloads(p, 1), kEmptyDatagram);
}

class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "payloads.XXXXXX").string();
    const int fd = mkstemp(tmpl.data());
    PA_CHECK(fd >= 0);
    close(fd);
    path_ = tmpl;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<Bytes> BuiltinFor(uint16_t port) {
  std::vector<Bytes> out;
  for (const BuiltinPayload& b : BuiltinPayloads()) {
    if (b.port == port) out.push_back(b.bytes);
  }
  return out;
}

TEST(UdpPayloadsTest, LoadUsesTheFileWhereItHasPayloadsAndBuiltInsElsewhere) {
  const TempFile file("udp 53 \"file-dns\"\nudp 9999 \"file-only\"\nudp 1 \"\\q\"\n");
  const UdpPayloads p = UdpPayloads::Load(file.path());
  EXPECT_EQ(Payloads(p, 53), (std::vector<Bytes>{B("file-dns")}));
  EXPECT_EQ(Payloads(p, 9999), (std::vector<Bytes>{B("file-only")}));
  EXPECT_EQ(Payloads(p, 123), BuiltinFor(123));
  EXPECT_EQ(Payloads(p, 161), BuiltinFor(161));
  EXPECT_EQ(Payloads(p, 1), kEmptyDatagram);
  ASSERT_EQ(p.warnings().size(), 1u);
  EXPECT_EQ(p.warnings()[0], file.path() + ": line 3: unknown escape \\q; entry skipped");
}

TEST(UdpPayloadsTest, LoadFallsBackToBuiltInsWithAWarning) {
  UdpPayloads p = UdpPayloads::Load("/nonexistent/nmap-payloads");
  EXPECT_EQ(Payloads(p, 53), BuiltinFor(53));
  ASSERT_EQ(p.warnings().size(), 1u);
  EXPECT_NE(p.warnings()[0].find("/nonexistent/nmap-payloads"), std::string::npos);
  EXPECT_NE(p.warnings()[0].find("built-in payloads only"), std::string::npos);

  const TempFile big(std::string(UdpPayloads::kMaxFileBytes + 1, '#'));
  p = UdpPayloads::Load(big.path());
  EXPECT_EQ(Payloads(p, 123), BuiltinFor(123));
  ASSERT_EQ(p.warnings().size(), 1u);
  EXPECT_NE(p.warnings()[0].find("larger than 16777216 bytes"), std::string::npos)
      << p.warnings()[0];
}

TEST(UdpPayloadsTest, BuiltInsCoverTheStandardPorts) {
  const UdpPayloads p = UdpPayloads::BuiltIn();
  EXPECT_TRUE(p.warnings().empty());
  for (const uint16_t port : std::vector<uint16_t>{53, 123, 137, 161, 5353}) {
    EXPECT_TRUE(p.HasPayloads(port)) << port;
    EXPECT_EQ(Payloads(p, port), BuiltinFor(port)) << port;
  }
  EXPECT_FALSE(p.HasPayloads(7));
}

}  // namespace
}  // namespace portatlas::scan
