#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "scan/detect/regex.h"
#include "scan/detect/service_probes.h"

namespace portatlas::scan {
namespace {

std::span<const uint8_t> Span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

ProbeDb Parse(std::string_view text) {
  auto db = ProbeDb::Parse(text);
  EXPECT_TRUE(db) << db.error().ToString();
  if (!db) return ProbeDb();
  for (const std::string& w : db->warnings()) ADD_FAILURE() << w;
  return std::move(*db);
}

std::optional<ServiceMatch> Match(const ProbeDb& db, std::string_view probe, std::string_view r,
                                  bool tcp = true) {
  const Probe* p = db.FindProbe(probe, tcp);
  EXPECT_NE(p, nullptr) << probe;
  if (p == nullptr) return std::nullopt;
  return db.Match(*p, Span(r));
}

// What a match says, in one line: "service|product|version|info|soft|probe:line".
std::string Summary(const std::optional<ServiceMatch>& m) {
  if (!m) return "none";
  return m->service + "|" + m->product + "|" + m->version + "|" + m->info + "|" +
         (m->soft ? "soft" : "hard") + "|" + m->probe + ":" + std::to_string(m->line);
}

constexpr std::string_view kDb =
    "Probe TCP NULL q||\n"                                  // 1
    "softmatch ftp m|^220 |\n"                              // 2
    "match banner m|^BANNER (\\d+)| p/Banner/ v/$1/\n"      // 3
    "Probe TCP Ask q|ask|\n"                                // 4
    "fallback Second,First\n"                               // 5
    "softmatch ask m|^A|\n"                                 // 6
    "softmatch ask2 m|^AN|\n"                               // 7
    "match ask m|^ANSWER (\\w+)$| p/Asker/ v/$1/\n"         // 8
    "Probe TCP First q|first|\n"                            // 9
    "match first m|^F| p/First/\n"                          // 10
    "match answer m|^ANSWER FROM FIRST| p/First answer/\n"  // 11
    "Probe TCP Second q|second|\n"                          // 12
    "softmatch second m|^F|\n"                              // 13
    "match second m|^FROM SECOND| p/Second/\n"              // 14
    "Probe UDP Dgram q|d|\n"                                // 15
    "match dgram m|^D| p/Dgram/\n"                          // 16
    "Probe TCP Stream q|s|\n"                               // 17
    "fallback Dgram\n";                                     // 18

TEST(ProbeMatchTest, NothingMatches) {
  const ProbeDb db = Parse(kDb);
  EXPECT_EQ(Summary(Match(db, "NULL", "")), "none");
  EXPECT_EQ(Summary(Match(db, "NULL", "xyz")), "none");
  EXPECT_EQ(Summary(Match(db, "Dgram", "220 ftp", false)), "none");  // UDP: no NULL fallback
}

TEST(ProbeMatchTest, HardMatchWinsOverAnEarlierSoftmatch) {
  const ProbeDb db = Parse(kDb);
  EXPECT_EQ(Summary(Match(db, "Ask", "ANSWER yes")), "ask|Asker|yes||hard|Ask:8");
  // Only softmatches: the first one met.
  EXPECT_EQ(Summary(Match(db, "Ask", "ANSWER no!")), "ask||||soft|Ask:6");
  EXPECT_EQ(Summary(Match(db, "NULL", "220 hello")), "ftp||||soft|NULL:2");
}

TEST(ProbeMatchTest, FallbacksInOrderThenNull) {
  const ProbeDb db = Parse(kDb);
  // Second comes before First (fallback order), and its softmatch loses to First's hard match.
  EXPECT_EQ(Summary(Match(db, "Ask", "FROM SECOND")), "second|Second|||hard|Second:14");
  EXPECT_EQ(Summary(Match(db, "Ask", "F")), "first|First|||hard|First:10");
  // A softmatch of the probe itself loses to a fallback's hard match.
  EXPECT_EQ(Summary(Match(db, "Ask", "ANSWER FROM FIRST")), "answer|First answer|||hard|First:11");
  // The NULL probe comes last for TCP probes.
  EXPECT_EQ(Summary(Match(db, "Ask", "BANNER 42")), "banner|Banner|42||hard|NULL:3");
  EXPECT_EQ(Summary(Match(db, "First", "BANNER 7")), "banner|Banner|7||hard|NULL:3");
  EXPECT_EQ(Summary(Match(db, "Dgram", "D", false)), "dgram|Dgram|||hard|Dgram:16");
  // A TCP probe may fall back to a UDP probe's lines (then to NULL).
  EXPECT_EQ(Summary(Match(db, "Stream", "D")), "dgram|Dgram|||hard|Dgram:16");
  EXPECT_EQ(Summary(Match(db, "Stream", "BANNER 1")), "banner|Banner|1||hard|NULL:3");
}

TEST(ProbeMatchTest, StatsCountTheRegexesRun) {
  const ProbeDb db = Parse(kDb);
  MatchStats stats;
  EXPECT_FALSE(db.Match(*db.FindProbe("Ask", true), Span("zzz"), &stats));
  EXPECT_EQ(stats.tried, 9u);  // Ask 3, Second 2, First 2, NULL 2
  EXPECT_EQ(stats.limit_hits, 0u);
  // After a softmatch, later softmatches are not run.
  MatchStats after_soft;
  EXPECT_TRUE(db.Match(*db.FindProbe("Ask", true), Span("A"), &after_soft));
  EXPECT_EQ(after_soft.tried, 6u);  // lines 6, 8, 14, 10, 11, 3 (7, 13 and 2 skipped)
}

TEST(ProbeMatchTest, RegexFlagsAndBinaryBytes) {
  const ProbeDb db = Parse(
      "Probe TCP NULL q||\n"
      "match caseless m|^hello|i p/i/\n"
      "match dotall m|^A.B|s p/s/\n"
      "match both m|^x.y|is p/is/\n"
      "match nul m|^\\0\\xff\\x80(.)| p/bin/ v/$1/\n"
      "match plain m|^A.B| p/plain/\n");
  EXPECT_EQ(Match(db, "NULL", "HeLLo")->product, "i");
  EXPECT_EQ(Match(db, "NULL", "A\nB")->product, "s");
  EXPECT_EQ(Match(db, "NULL", "A-B")->product, "s");
  EXPECT_EQ(Match(db, "NULL", "X\nY")->product, "is");
  const std::string bin("\0\xff\x80\xc3", 4);  // not UTF-8: each byte is one character
  EXPECT_EQ(Match(db, "NULL", bin)->version, "\\xc3");
  EXPECT_EQ(Summary(Match(db, "NULL", "hell")), "none");
}

TEST(ProbeMatchTest, LooksAtTheFirst64KiBOnly) {
  const ProbeDb db = Parse("Probe TCP NULL q||\nmatch end m|END| p/end/\n");
  std::string r(ProbeDb::kMaxResponseBytes - 3, '.');
  EXPECT_TRUE(Match(db, "NULL", r + "END"));
  EXPECT_FALSE(Match(db, "NULL", r + ".END"));
}

TEST(ProbeMatchTest, ALineStoppedByTheMatchLimitCountsAsNoMatch) {
  const ProbeDb db = Parse(
      "Probe TCP NULL q||\n"
      "match evil m|^(a+)+$| p/evil/\n"
      "match fine m|^a+b$| p/fine/\n");
  MatchStats stats;
  const auto m = db.Match(*db.null_probe(), Span(std::string(40, 'a') + "b"), &stats);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->product, "fine");
  EXPECT_EQ(stats.tried, 2u);
  EXPECT_EQ(stats.limit_hits, 1u);
}

TEST(ProbeMatchTest, FillsEveryField) {
  const ProbeDb db = Parse(
      "Probe TCP NULL q||\n"
      "match svc m|^(\\w+) ([\\w.]+) (\\w+)| p/P $1/ v/$2/ i/I/ h/$3.example/ o/Linux/ d/router/ "
      "cpe:/a:v:$1:$2/ cpe:/o:linux:linux_kernel/a\n");
  const auto m = Match(db, "NULL", "Prod 1.0 host");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->product, "P Prod");
  EXPECT_EQ(m->version, "1.0");
  EXPECT_EQ(m->info, "I");
  EXPECT_EQ(m->hostname, "host.example");
  EXPECT_EQ(m->os, "Linux");
  EXPECT_EQ(m->device, "router");
  EXPECT_EQ(m->cpes, (std::vector<std::string>{"cpe:/a:v:prod:1.0", "cpe:/o:linux:linux_kernel"}));
}

TEST(ProbeMatchTest, SafeFromManyThreads) {
  const ProbeDb db = Parse(kDb);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (size_t t = 0; t < ok.size(); ++t) {
    threads.emplace_back([&db, &ok, t] {
      for (int i = 0; i < 500; ++i) {
        ok[t] +=
            Summary(Match(db, "Ask", "ANSWER FROM FIRST")) == "answer|First answer|||hard|First:11";
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const int n : ok) EXPECT_EQ(n, 500);
}

TEST(ProbeMatchDeathTest, RefusesAProbeOfAnotherDatabase) {
  const ProbeDb db = Parse(kDb);
  const ProbeDb other = Parse(kDb);
  EXPECT_DEATH((void)db.Match(*other.FindProbe("Ask", true), Span("x")),
               "is not from this ProbeDb");
}

TEST(RegexTest, JitWhenAvailable) {
  auto re = Regex::Compile("^a(b)(c)?", false, false);
  ASSERT_TRUE(re);
  EXPECT_EQ((*re)->jit(), RegexJitAvailable());
  EXPECT_EQ((*re)->capture_count(), 2u);
  Captures g;
  EXPECT_EQ((*re)->Match(Span("abx"), &g), Regex::Outcome::kMatch);
  EXPECT_EQ(g[0], "ab");
  EXPECT_EQ(g[1], "b");
  EXPECT_FALSE(g[2]);
  EXPECT_EQ((*re)->Match(Span(""), &g), Regex::Outcome::kNoMatch);
  EXPECT_FALSE(g[0]);
}

TEST(RegexTest, PatternsCannotTurnOnUtf) { EXPECT_FALSE(Regex::Compile("(*UTF)a", false, false)); }

TEST(RegexTest, CatastrophicBacktrackingHitsTheLimit) {
  auto re = Regex::Compile("^(a+)+$", false, false);
  ASSERT_TRUE(re);
  Captures g;
  EXPECT_EQ((*re)->Match(Span(std::string(40, 'a') + "b"), &g), Regex::Outcome::kLimit);
}

TEST(RegexTest, KeepsGroupsZeroToNineOfLargerPatterns) {
  auto re = Regex::Compile("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)", false, false);
  ASSERT_TRUE(re);
  Captures g;
  ASSERT_EQ((*re)->Match(Span("abcdefghijkl"), &g), Regex::Outcome::kMatch);
  EXPECT_EQ(g[9], "i");
  EXPECT_EQ(g[0], "abcdefghijkl");
}

// Probes of kOrderDb, in file order: NULL, Web (ports 80, sslports 443, rarity 1), Rare
// (ports 8080, rarity 9), Common (rarity 2), Mid (rarity 7), Udp1 (UDP, ports 53, rarity 9),
// Udp2 (UDP, rarity 1).
constexpr std::string_view kOrderDb =
    "Exclude T:9100\n"
    "Probe TCP NULL q||\n"
    "Probe TCP Web q|w|\nrarity 1\nports 80\nsslports 443\n"
    "Probe TCP Rare q|r|\nrarity 9\nports 8080,80\n"
    "Probe TCP Common q|c|\nrarity 2\n"
    "Probe TCP Mid q|m|\nrarity 7\n"
    "Probe UDP Udp1 q|u|\nrarity 9\nports 53\n"
    "Probe UDP Udp2 q|v|\nrarity 1\n";

std::string Names(const std::vector<const Probe*>& probes) {
  std::string out;
  for (const Probe* p : probes) out += (out.empty() ? "" : ",") + p->name;
  return out;
}

TEST(ProbesForTest, NmapOrder) {
  const ProbeDb db = Parse(kOrderDb);
  const struct {
    uint16_t port;
    bool tcp;
    bool tls;
    int intensity;
    const char* want;
  } kCases[] = {
      {80, true, false, 7, "NULL,Web,Rare,Common,Mid"},  // listed first, whatever the rarity
      {8080, true, false, 7, "NULL,Rare,Web,Common,Mid"},
      {22, true, false, 7, "NULL,Web,Common,Mid"},
      {22, true, false, 2, "NULL,Web,Common"},
      {22, true, false, 0, "NULL"},
      {22, true, false, 9, "NULL,Web,Rare,Common,Mid"},
      {8080, true, false, 0, "NULL,Rare"},
      {443, true, true, 2, "NULL,Web,Common"},  // sslports inside TLS
      {80, true, true, 2, "NULL,Web,Common"},   // ports do not count inside TLS
      {80, true, true, 0, "NULL"},
      {53, false, false, 7, "Udp1,Udp2"},  // no NULL probe for UDP
      {54, false, false, 7, "Udp2"},
      {9100, true, false, 1, "NULL,Web"},  // Exclude is the caller's business
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(Names(db.ProbesFor(c.port, c.tcp, c.tls, c.intensity)), c.want)
        << c.port << (c.tcp ? "/tcp" : "/udp") << (c.tls ? " tls" : "") << " intensity "
        << c.intensity;
  }
  EXPECT_TRUE(db.IsExcluded(9100, true));
  EXPECT_FALSE(db.IsExcluded(9100, false));
}

TEST(ProbesForTest, EmptyDatabase) {
  const ProbeDb db;
  EXPECT_TRUE(db.ProbesFor(80, true, false, 9).empty());
  EXPECT_EQ(db.match_count(), 0u);
}

}  // namespace
}  // namespace portatlas::scan
