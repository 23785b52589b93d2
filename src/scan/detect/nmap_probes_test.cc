// nmap's own database, read from where Debian's nmap-common installs it; skipped without it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "scan/detect/regex.h"
#include "scan/detect/service_probes.h"
#include "scan/detect/test_banners.h"

namespace portatlas::scan {
namespace {

using testing_banners::Span;

constexpr char kNmapProbes[] = "/usr/share/nmap/nmap-service-probes";

class NmapProbesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::FILE* f = std::fopen(kNmapProbes, "rb")) {
      std::fclose(f);
      db_ = std::make_unique<ProbeDb>(ProbeDb::Load(kNmapProbes));
    }
  }
  static void TearDownTestSuite() { db_.reset(); }
  void SetUp() override {
    if (db_ == nullptr) GTEST_SKIP() << "no " << kNmapProbes << " (Debian package nmap-common)";
  }

  static const Probe& P(std::string_view name, bool tcp = true) {
    const Probe* p = db_->FindProbe(name, tcp);
    PA_CHECK(p != nullptr) << name;
    return *p;
  }

  static inline std::unique_ptr<ProbeDb> db_;  // parsed once: about 12,000 regexes
};

TEST_F(NmapProbesTest, ParsesWithFewWarnings) {
  size_t tcp = 0;
  for (const Probe& p : db_->probes()) tcp += p.tcp;
  std::printf("%s: %zu probes (%zu TCP, %zu UDP), %zu match, %zu softmatch, %zu warnings%s\n",
              kNmapProbes, db_->probes().size(), tcp, db_->probes().size() - tcp,
              db_->match_count(), db_->softmatch_count(), db_->warnings().size(),
              RegexJitAvailable() ? ", JIT" : ", no JIT");
  for (const std::string& w : db_->warnings()) std::printf("  %s\n", w.c_str());
  // nmap 7.93: 148 probes, 11,721 match and 196 softmatch lines; 7.94-7.95 a few more.
  EXPECT_LE(db_->warnings().size(), 5u);
  EXPECT_GE(db_->probes().size(), 140u);
  EXPECT_LE(db_->probes().size(), 200u);
  EXPECT_GE(db_->match_count(), 11500u);
  EXPECT_LE(db_->match_count(), 12500u);
  EXPECT_GE(db_->softmatch_count(), 180u);
  EXPECT_LE(db_->softmatch_count(), 230u);
  const Probe* null = db_->null_probe();
  ASSERT_NE(null, nullptr);
  EXPECT_EQ(null->totalwaitms, 6000);
  EXPECT_EQ(null->tcpwrappedms, 3000);
  EXPECT_TRUE(db_->IsExcluded(9100, true));
  EXPECT_FALSE(db_->IsExcluded(9100, false));
}

TEST_F(NmapProbesTest, OpenSshOnNull) {
  const auto m = db_->Match(P("NULL"), Span(testing_banners::kOpenSsh));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->service, "ssh");
  EXPECT_EQ(m->product, "OpenSSH");
  EXPECT_EQ(m->version, "9.2p1 Debian 2+deb12u3");  // nmap shows the Debian revision too
  EXPECT_EQ(m->info, "protocol 2.0");
  EXPECT_EQ(m->os, "Linux");
  EXPECT_FALSE(m->soft);
  EXPECT_NE(std::find(m->cpes.begin(), m->cpes.end(), "cpe:/a:openbsd:openssh:9.2p1"),
            m->cpes.end());
}

TEST_F(NmapProbesTest, VsftpdOnNull) {
  const auto m = db_->Match(P("NULL"), Span(testing_banners::kVsftpd));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->service, "ftp");
  EXPECT_EQ(m->product, "vsftpd");
  EXPECT_EQ(m->version, "3.0.3");
  EXPECT_NE(std::find(m->cpes.begin(), m->cpes.end(), "cpe:/a:vsftpd:vsftpd:3.0.3"), m->cpes.end());
}

TEST_F(NmapProbesTest, NginxOnGetRequest) {
  const auto m = db_->Match(P("GetRequest"), Span(testing_banners::kNginx));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->service, "http");
  EXPECT_EQ(m->product, "nginx");
  EXPECT_EQ(m->version, "1.22.1");
  EXPECT_EQ(m->probe, "GetRequest");
  EXPECT_FALSE(m->cpes.empty());
}

TEST_F(NmapProbesTest, RedisInfoOnRedisServer) {
  const auto m = db_->Match(P("redis-server"), Span(testing_banners::kRedisInfo));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->service, "redis");
  EXPECT_EQ(m->version, "7.0.15");
  EXPECT_EQ(m->probe, "redis-server");
  EXPECT_NE(std::find(m->cpes.begin(), m->cpes.end(), "cpe:/a:redislabs:redis:7.0.15"),
            m->cpes.end());
}

// Every probe against 1 MiB of hostile bytes: each regex runs within the match limits, and
// whatever matches has bounded, printable fields.
TEST_F(NmapProbesTest, HostileBannerOnEveryProbe) {
  const std::string hostile = testing_banners::HostileBanner();
  MatchStats stats;
  size_t matched = 0;
  for (const Probe& p : db_->probes()) {
    const auto m = db_->Match(p, Span(hostile), &stats);
    if (!m) continue;
    ++matched;
    for (const std::string* f : {&m->product, &m->version, &m->info, &m->hostname}) {
      EXPECT_LE(f->size(), 256u);
      EXPECT_TRUE(std::all_of(f->begin(), f->end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
          << *f;
    }
  }
  std::printf("hostile banner: %zu regexes run, %zu stopped by a limit, %zu probes matched\n",
              stats.tried, stats.limit_hits, matched);
  EXPECT_GT(stats.tried, 10000u);
}

TEST_F(NmapProbesTest, ProbesForFollowsPortsAndRarity) {
  auto names = [](const std::vector<const Probe*>& probes) {
    std::vector<std::string> out;
    for (const Probe* p : probes) out.push_back(p->name);
    return out;
  };
  const auto on_6379 = names(db_->ProbesFor(6379, true, false, 7));
  ASSERT_FALSE(on_6379.empty());
  EXPECT_EQ(on_6379[0], "NULL");
  EXPECT_NE(std::find(on_6379.begin(), on_6379.end(), "redis-server"), on_6379.end());
  // The field notes' observation: redis-server has rarity 8 and ports 6379 only, so nmap -sV
  // never sends it to Redis on 16379.
  const auto on_16379 = names(db_->ProbesFor(16379, true, false, 7));
  EXPECT_EQ(std::find(on_16379.begin(), on_16379.end(), "redis-server"), on_16379.end());
  const auto all_16379 = names(db_->ProbesFor(16379, true, false, 9));
  EXPECT_NE(std::find(all_16379.begin(), all_16379.end(), "redis-server"), all_16379.end());
  // GetRequest lists 80, so it comes before every probe that does not.
  const auto on_80 = db_->ProbesFor(80, true, false, 7);
  const auto get = std::find(on_80.begin(), on_80.end(), &P("GetRequest"));
  ASSERT_NE(get, on_80.end());
  const auto first_unlisted = std::find_if(on_80.begin() + 1, on_80.end(),
                                           [](const Probe* p) { return !p->ListsPort(80, false); });
  EXPECT_LT(get, first_unlisted);
  for (const Probe* p : db_->ProbesFor(53, false, false, 7)) EXPECT_FALSE(p->tcp);
}

}  // namespace
}  // namespace portatlas::scan
