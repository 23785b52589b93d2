#include "scan/detect/service_probes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portatlas::scan {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

ProbeDb Parse(std::string_view text) {
  auto db = ProbeDb::Parse(text);
  EXPECT_TRUE(db) << db.error().ToString();
  return db ? std::move(*db) : ProbeDb();
}

std::string Warnings(const ProbeDb& db) {
  std::string all;
  for (const std::string& w : db.warnings()) all += w + "\n";
  return all;
}

TEST(ServiceProbesParseTest, EmptyAndCommentOnlyTextsGiveAnEmptyDatabase) {
  for (const char* text : {"", "\n\n", "# a comment\n   # indented\n\t\n", "\r\n", "#"}) {
    const ProbeDb db = Parse(text);
    EXPECT_TRUE(db.probes().empty()) << text;
    EXPECT_TRUE(db.warnings().empty()) << Warnings(db);
    EXPECT_EQ(db.null_probe(), nullptr);
  }
}

TEST(ServiceProbesParseTest, ReadsProbeLines) {
  const ProbeDb db = Parse(
      "# test probes\n"
      "Probe TCP NULL q||\n"
      "Probe TCP Get q|GET / HTTP/1.0\\r\\n\\r\\n|\n"
      "Probe UDP Ping q#ping|pong# no-payload\n"
      "Probe UDP Empty q||");  // no newline at the end
  EXPECT_TRUE(db.warnings().empty()) << Warnings(db);
  ASSERT_EQ(db.probes().size(), 4u);
  const Probe& null = db.probes()[0];
  EXPECT_EQ(null.name, "NULL");
  EXPECT_TRUE(null.tcp);
  EXPECT_TRUE(null.IsNull());
  EXPECT_EQ(null.line, 2u);
  EXPECT_EQ(db.null_probe(), &null);
  EXPECT_EQ(db.probes()[1].payload, B("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_FALSE(db.probes()[1].no_payload);
  const Probe& ping = db.probes()[2];
  EXPECT_FALSE(ping.tcp);
  EXPECT_EQ(ping.payload, B("ping|pong"));
  EXPECT_TRUE(ping.no_payload);
  EXPECT_FALSE(db.probes()[3].IsNull());  // UDP with an empty payload sends an empty datagram
  EXPECT_EQ(db.FindProbe("Ping", false), &ping);
  EXPECT_EQ(db.FindProbe("Ping", true), nullptr);
}

TEST(ServiceProbesParseTest, DecodesProbeStringEscapes) {
  const struct {
    const char* written;
    Bytes bytes;
  } kCases[] = {
      {"\\0", {0}},
      {"\\0123", {0, '1', '2', '3'}},  // \0 is one NUL; no octal escapes
      {"\\x41\\xff\\xFe", {'A', 0xff, 0xfe}},
      {"\\a\\b\\f\\n\\r\\t\\v", {7, 8, 12, 10, 13, 9, 11}},
      {"\\\\", {'\\'}},
      {"\\\"\\.\\ ", {'"', '.', ' '}},
      {"a\\x00b", {'a', 0, 'b'}},
  };
  for (const auto& c : kCases) {
    const ProbeDb db = Parse(std::string("Probe TCP P q|") + c.written + "|\n");
    EXPECT_TRUE(db.warnings().empty()) << c.written << ": " << Warnings(db);
    ASSERT_EQ(db.probes().size(), 1u) << c.written;
    EXPECT_EQ(db.probes()[0].payload, c.bytes) << c.written;
  }
}

TEST(ServiceProbesParseTest, BadEscapesSkipTheProbeWithItsLines) {
  for (const char* bad : {"\\q", "\\x4", "\\xZZ", "\\9", "abc\\"}) {
    const ProbeDb db = Parse(std::string("Probe TCP A q||\n") + "Probe TCP B q|" + bad +
                             "|\n"
                             "match b m|^B|\n"
                             "ports 80\n"
                             "Probe TCP C q|c|\n"
                             "match c m|^C|\n");
    ASSERT_EQ(db.warnings().size(), 1u) << bad << ": " << Warnings(db);
    EXPECT_NE(db.warnings()[0].find("line 2: probe string: "), std::string::npos)
        << db.warnings()[0];
    EXPECT_NE(db.warnings()[0].find("probe skipped up to the next Probe line"), std::string::npos);
    ASSERT_EQ(db.probes().size(), 2u);
    EXPECT_TRUE(db.probes()[0].matches.empty());  // B's lines did not land on A
    EXPECT_TRUE(db.probes()[0].ports.empty());
    EXPECT_EQ(db.probes()[1].name, "C");
    EXPECT_EQ(db.probes()[1].matches.size(), 1u);
  }
}

TEST(ServiceProbesParseTest, ReadsProbeDirectives) {
  const ProbeDb db = Parse(
      "Probe TCP NULL q||\n"
      "Probe TCP A q|a|\n"
      "rarity 3\n"
      "ports 80,8000-8002, 21 ,80\n"
      "sslports 443,8443\n"
      "totalwaitms 6000\n"
      "tcpwrappedms 3000\n"
      "fallback B, NULL\n"
      "Probe TCP B q|b|\n");
  EXPECT_TRUE(db.warnings().empty()) << Warnings(db);
  const Probe& a = *db.FindProbe("A", true);
  EXPECT_EQ(a.rarity, 3);
  EXPECT_EQ(a.ports, (std::vector<uint16_t>{21, 80, 8000, 8001, 8002}));
  EXPECT_EQ(a.sslports, (std::vector<uint16_t>{443, 8443}));
  EXPECT_EQ(a.totalwaitms, 6000);
  EXPECT_EQ(a.tcpwrappedms, 3000);
  EXPECT_EQ(a.fallback, (std::vector<std::string>{"B", "NULL"}));
  EXPECT_TRUE(a.ListsPort(8001, false));
  EXPECT_FALSE(a.ListsPort(8001, true));
  EXPECT_TRUE(a.ListsPort(443, true));
  const Probe& b = *db.FindProbe("B", true);  // nmap's defaults
  EXPECT_EQ(b.rarity, 5);
  EXPECT_EQ(b.totalwaitms, 5000);
  EXPECT_EQ(b.tcpwrappedms, 2000);
  EXPECT_TRUE(b.ports.empty());
}

TEST(ServiceProbesParseTest, ReadsMatchLines) {
  const ProbeDb db = Parse(
      "Probe TCP NULL q||\n"
      "match ssh m|^SSH-([\\d.]+)-OpenSSH_(\\S+)\\r?\\n| p/OpenSSH/ v/$2/ i/protocol $1/ "
      "o/Linux/ cpe:/a:openbsd:openssh:$2/ cpe:/o:linux:linux_kernel/a\n"
      "softmatch ftp m=^220 .*FTP=i\n"
      "match x m%a|b%s p|P| v#V# i-I- h=H= o,O, d@D@\n"
      "match ssl/http m@^x@is\n"
      "match y m|^y|\tp/tab separated/\n");
  EXPECT_TRUE(db.warnings().empty()) << Warnings(db);
  const std::vector<MatchRule>& m = db.null_probe()->matches;
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].service, "ssh");
  EXPECT_EQ(m[0].pattern, "^SSH-([\\d.]+)-OpenSSH_(\\S+)\\r?\\n");
  EXPECT_EQ(m[0].product, "OpenSSH");
  EXPECT_EQ(m[0].version, "$2");
  EXPECT_EQ(m[0].info, "protocol $1");
  EXPECT_EQ(m[0].os, "Linux");
  EXPECT_EQ(m[0].cpes,
            (std::vector<std::string>{"cpe:/a:openbsd:openssh:$2", "cpe:/o:linux:linux_kernel"}));
  EXPECT_FALSE(m[0].soft);
  EXPECT_EQ(m[0].line, 2u);
  EXPECT_TRUE(m[1].soft);
  EXPECT_TRUE(m[1].caseless);
  EXPECT_FALSE(m[1].dotall);
  EXPECT_EQ(m[1].pattern, "^220 .*FTP");
  EXPECT_EQ(m[2].pattern, "a|b");
  EXPECT_TRUE(m[2].dotall);
  EXPECT_EQ(m[2].product, "P");
  EXPECT_EQ(m[2].version, "V");
  EXPECT_EQ(m[2].info, "I");
  EXPECT_EQ(m[2].hostname, "H");
  EXPECT_EQ(m[2].os, "O");
  EXPECT_EQ(m[2].device, "D");
  EXPECT_EQ(m[3].service, "ssl/http");
  EXPECT_TRUE(m[3].caseless && m[3].dotall);
  EXPECT_EQ(m[4].product, "tab separated");
  EXPECT_EQ(db.match_count(), 4u);
  EXPECT_EQ(db.softmatch_count(), 1u);
  EXPECT_TRUE(db.null_probe()->MayDetect("ftp"));
  EXPECT_FALSE(db.null_probe()->MayDetect("http"));
}

TEST(ServiceProbesParseTest, ReadsExclude) {
  const ProbeDb db = Parse("Exclude 7,T:9100-9102,U:53,60000-,S:9\nProbe TCP NULL q||\n");
  EXPECT_TRUE(db.warnings().empty()) << Warnings(db);
  EXPECT_TRUE(db.IsExcluded(7, true));
  EXPECT_TRUE(db.IsExcluded(7, false));
  EXPECT_TRUE(db.IsExcluded(9101, true));
  EXPECT_FALSE(db.IsExcluded(9101, false));
  EXPECT_FALSE(db.IsExcluded(9103, true));
  EXPECT_TRUE(db.IsExcluded(53, false));
  EXPECT_FALSE(db.IsExcluded(53, true));
  EXPECT_TRUE(db.IsExcluded(65535, false));
  EXPECT_FALSE(db.IsExcluded(9, true));  // SCTP ports do not apply
}

// Each bad line sits at line 3, between good lines; it is skipped with a warning naming line 3
// and what is wrong, and the lines around it are kept.
TEST(ServiceProbesParseTest, MalformedLinesAreSkippedWithTheirLineNumber) {
  const struct {
    const char* line;
    const char* why;
  } kCases[] = {
      {"match", "missing service name"},
      {"match ssh", "expected the regex"},
      {"match ssh m", "expected the regex"},
      {"match ssh m|^SSH", "no closing '|' after the regex"},
      {"match ssh x|y|", "expected the regex"},
      {"match ssh mx^x", "expected the regex"},
      {"match ssh m|a|q", "unknown regex flag 'q'"},
      {"match ssh m|a| z/b/", "unknown version field 'z'"},
      {"match ssh m|a| p/unterminated", "no closing '/' in the p field"},
      {"match ssh m|a| p", "malformed version field"},
      {"match ssh m|a| p/x/v/y/", "unexpected '/y/' after the p field"},
      {"match ssh m|a| cpe:/x:y/", "the part must be a, h or o"},
      {"match ssh m|(unclosed| p/x/", "regex does not compile at offset"},
      {"match ssh m|a{2,1}|", "regex does not compile"},
      {"softmatch ssh m|[z-a]|", "softmatch: regex does not compile"},
      {"rarity 0", "rarity must be 1-9"},
      {"rarity 10", "rarity must be 1-9"},
      {"rarity x", "rarity must be 1-9"},
      {"totalwaitms 50", "totalwaitms must be 100-300000"},
      {"tcpwrappedms abc", "tcpwrappedms must be 100-300000"},
      {"ports 70000", "bad port or range '70000'"},
      {"ports 5-3", "bad port or range '5-3'"},
      {"ports", "empty port list"},
      {"sslports 1,,2", "bad port or range ''"},
      {"fallback", "fallback names no probe"},
      {"frobnicate 3", "unknown directive 'frobnicate'"},
      {"Exclude T:1", "Exclude must come before the first Probe"},
      {"MATCH ssh m|x|", "unknown directive 'MATCH'"},
  };
  for (const auto& c : kCases) {
    const ProbeDb db = Parse(std::string("Probe TCP NULL q||\nmatch a m|^a|\n") + c.line +
                             "\nmatch b m|^b|\nrarity 2\n");
    ASSERT_EQ(db.warnings().size(), 1u) << c.line << ": " << Warnings(db);
    const std::string& w = db.warnings()[0];
    EXPECT_EQ(w.rfind("line 3: ", 0), 0u) << c.line << ": " << w;
    EXPECT_NE(w.find(c.why), std::string::npos) << c.line << ": " << w;
    EXPECT_NE(w.find("; line skipped"), std::string::npos) << w;
    ASSERT_EQ(db.probes().size(), 1u);
    ASSERT_EQ(db.probes()[0].matches.size(), 2u) << c.line;
    EXPECT_EQ(db.probes()[0].matches[1].line, 4u);
    EXPECT_EQ(db.probes()[0].rarity, 2);
  }
}

TEST(ServiceProbesParseTest, TruncatedProbeLinesSkipTheProbe) {
  const char* kBad[] = {"Probe",
                        "Probe TCP",
                        "Probe TCP name",
                        "Probe TCP name q",
                        "Probe TCP name q|abc",
                        "Probe TCP name x|abc|",
                        "Probe XYZ name q||",
                        "Probe tcp name q||",
                        "Probe TCP -name q|a|",
                        "Probe TCP name q|x| junk",
                        "Probe TCP First q|again|",  // a TCP probe of that name exists
                        "Probe TCP Null2 q||"};      // a second NULL probe
  for (const char* bad : kBad) {
    const ProbeDb db = Parse(std::string("Probe TCP NULL q||\nProbe TCP First q|1|\n") + bad +
                             "\nmatch lost m|^x|\nProbe TCP Next q|n|\nmatch kept m|^y|\n");
    ASSERT_EQ(db.warnings().size(), 1u) << bad << ": " << Warnings(db);
    EXPECT_EQ(db.warnings()[0].rfind("line 3: ", 0), 0u) << db.warnings()[0];
    EXPECT_NE(db.warnings()[0].find("probe skipped up to the next Probe line"), std::string::npos)
        << db.warnings()[0];
    ASSERT_EQ(db.probes().size(), 3u) << bad;
    EXPECT_TRUE(db.probes()[1].matches.empty()) << bad;
    EXPECT_EQ(db.probes()[2].name, "Next");
    EXPECT_EQ(db.probes()[2].matches.size(), 1u);
  }
}

TEST(ServiceProbesParseTest, DirectivesBeforeTheFirstProbeAreWarnings) {
  const ProbeDb db = Parse("match a m|a|\nrarity 3\nProbe TCP NULL q||\n");
  ASSERT_EQ(db.warnings().size(), 2u) << Warnings(db);
  EXPECT_EQ(db.warnings()[0], "line 1: 'match' before the first Probe line; line skipped");
  EXPECT_EQ(db.warnings()[1], "line 2: 'rarity' before the first Probe line; line skipped");
  EXPECT_EQ(db.probes().size(), 1u);
}

TEST(ServiceProbesParseTest, OnlyOneExclude) {
  const ProbeDb db = Parse("Exclude 1\nExclude 2\nExclude T:x\nProbe TCP NULL q||\n");
  ASSERT_EQ(db.warnings().size(), 2u) << Warnings(db);
  EXPECT_EQ(db.warnings()[0], "line 2: only one Exclude line is allowed; line skipped");
  EXPECT_EQ(db.warnings()[1], "line 3: only one Exclude line is allowed; line skipped");
  EXPECT_TRUE(db.IsExcluded(1, true));
  EXPECT_FALSE(db.IsExcluded(2, true));
}

TEST(ServiceProbesParseTest, UnknownFallbacksAreDroppedWithAWarning) {
  const ProbeDb db = Parse(
      "Probe TCP NULL q||\n"
      "Probe TCP A q|a|\n"
      "fallback Nope,U\n"  // a TCP probe may fall back to a UDP one
      "Probe UDP U q|u|\n"
      "fallback A,NULL\n");  // not the other way round
  ASSERT_EQ(db.warnings().size(), 3u) << Warnings(db);
  EXPECT_EQ(db.warnings()[0], "line 3: fallback: no TCP or UDP probe named 'Nope'; name ignored");
  EXPECT_EQ(db.warnings()[1], "line 5: fallback: no UDP probe named 'A'; name ignored");
  EXPECT_EQ(db.warnings()[2], "line 5: fallback: no UDP probe named 'NULL'; name ignored");
}

TEST(ServiceProbesParseTest, LongLinesAreSkipped) {
  const std::string long_match = "match a m|" + std::string(ProbeDb::kMaxLineLength, 'a') + "|";
  const std::string long_probe = "Probe TCP B q|" + std::string(ProbeDb::kMaxLineLength, 'b') + "|";
  const ProbeDb db = Parse("Probe TCP A q|a|\n" + long_match + "\n" + long_probe +
                           "\nmatch b m|b|\n#" + std::string(100000, '#') + "\n");
  ASSERT_EQ(db.warnings().size(), 2u) << Warnings(db);
  EXPECT_EQ(db.warnings()[0], "line 2: longer than 16384 characters; line skipped");
  EXPECT_EQ(db.warnings()[1],
            "line 3: longer than 16384 characters; probe skipped up to the next Probe line");
  ASSERT_EQ(db.probes().size(), 1u);
  EXPECT_TRUE(db.probes()[0].matches.empty());
}

TEST(ServiceProbesParseTest, RefusesOversizedText) {
  std::string text(ProbeDb::kMaxFileBytes, '#');
  EXPECT_TRUE(ProbeDb::Parse(text));
  text += '\n';
  const auto db = ProbeDb::Parse(text);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind(), ErrorKind::kInvalidArgument);
}

TEST(ServiceProbesParseTest, AcceptsCrLfLineEnds) {
  const ProbeDb db = Parse("Probe TCP NULL q||\r\nrarity 2\r\nmatch a m|^a$| p/A/\r\n");
  EXPECT_TRUE(db.warnings().empty()) << Warnings(db);
  ASSERT_EQ(db.probes()[0].matches.size(), 1u);
  EXPECT_EQ(db.probes()[0].matches[0].product, "A");
  EXPECT_EQ(db.probes()[0].rarity, 2);
}

TEST(ServiceProbesParseTest, WarningsAreCapped) {
  std::string text = "Probe TCP NULL q||\n";
  for (int i = 0; i < 500; ++i) text += "rarity 0\n";
  const ProbeDb db = Parse(text);
  ASSERT_EQ(db.warnings().size(), ProbeDb::kMaxWarnings + 1);
  EXPECT_EQ(db.warnings().back(), "400 more warnings not shown");
}

TEST(ServiceProbesLoadTest, ReadsAFile) {
  const ProbeDb db = ProbeDb::Load(PORTATLAS_DETECT_TESTDATA "/small.probes");
  EXPECT_TRUE(db.warnings().empty()) << Warnings(db);
  ASSERT_NE(db.FindProbe("Hello", true), nullptr);
  EXPECT_EQ(db.FindProbe("GetRequest", true), nullptr);  // not the built-ins
}

TEST(ServiceProbesLoadTest, FallsBackToTheBuiltInsWithAWarning) {
  const ProbeDb db = ProbeDb::Load("/nonexistent/nmap-service-probes");
  ASSERT_EQ(db.warnings().size(), 1u);
  EXPECT_NE(db.warnings()[0].find("/nonexistent/nmap-service-probes"), std::string::npos);
  EXPECT_NE(db.warnings()[0].find("using the built-in probes"), std::string::npos);
  EXPECT_NE(db.FindProbe("GetRequest", true), nullptr);
  EXPECT_NE(db.null_probe(), nullptr);
}

TEST(ServiceProbesLoadTest, PrefixesWarningsWithThePath) {
  const std::string path = PORTATLAS_DETECT_TESTDATA "/warnings.probes";
  const ProbeDb db = ProbeDb::Load(path);
  ASSERT_EQ(db.warnings().size(), 1u) << Warnings(db);
  EXPECT_EQ(db.warnings()[0].rfind(path + ": line 5: ", 0), 0u) << db.warnings()[0];
  EXPECT_NE(db.FindProbe("Hello", true), nullptr);
}

}  // namespace
}  // namespace portatlas::scan
