#include "scan/pipeline/resume.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

namespace portatlas::scan {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ResumeTest, NoFileIsNoResumePoint) {
  auto r = LoadResume(::testing::TempDir() + "/no-such-resume-file");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->has_value());
}

TEST(ResumeTest, SavedPointsLoadBackTheSame) {
  const ResumePoint p{std::string(64, 'a'), 0xFFFFFFFFFFFFFFFFULL, 12345, 7};
  const std::string path = ::testing::TempDir() + "/resume_round_trip.json";
  ASSERT_TRUE(SaveResume(path, p).ok());
  auto r = LoadResume(path);
  ASSERT_TRUE(r.has_value() && r->has_value());
  EXPECT_EQ(**r, p);
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0);  // renamed into place
  unlink(path.c_str());
}

TEST(ResumeTest, EmptyTruncatedOversizedAndCorruptedFilesAreRefused) {
  const std::string good = R"({"fingerprint":"ab","seed":1,"tcp_next":2,"udp_next":3})";
  const std::vector<std::string> bad = {
      "",
      good.substr(0, good.size() / 2),
      "[]",
      "null",
      R"({"fingerprint":"ab","seed":1,"tcp_next":2})",
      R"({"fingerprint":1,"seed":1,"tcp_next":2,"udp_next":3})",
      R"({"fingerprint":"ab","seed":-1,"tcp_next":2,"udp_next":3})",
      R"({"fingerprint":"ab","seed":1.5,"tcp_next":2,"udp_next":3})",
      R"({"fingerprint":"ab","seed":"1","tcp_next":2,"udp_next":3})",
      good + std::string(8192, ' '),
      std::string(100000, '['),
      "\xff\xfe\x00\x01",
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    const std::string path = Write("resume_bad_" + std::to_string(i), bad[i]);
    auto r = LoadResume(path);
    EXPECT_FALSE(r.has_value()) << i;
    unlink(path.c_str());
  }
  const std::string path = Write("resume_good", good);
  EXPECT_TRUE(LoadResume(path).has_value());
  unlink(path.c_str());
}

TEST(ResumeTest, FingerprintNamesTheWholeScan) {
  const TargetSet a = *ParseTargets({"127.0.0.1"}, SystemResolve);
  const TargetSet b = *ParseTargets({"127.0.0.2"}, SystemResolve);
  const std::string base = ScanFingerprint(a, {22, 80}, {}, "connect");
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(base, ScanFingerprint(a, {22, 80}, {}, "connect"));
  EXPECT_NE(base, ScanFingerprint(b, {22, 80}, {}, "connect"));
  EXPECT_NE(base, ScanFingerprint(a, {22, 81}, {}, "connect"));
  EXPECT_NE(base, ScanFingerprint(a, {22, 80}, {53}, "connect"));
  EXPECT_NE(base, ScanFingerprint(a, {22, 80}, {}, "syn"));
  EXPECT_NE(ScanFingerprint(a, {}, {22, 80}, ""), ScanFingerprint(a, {22, 80}, {}, ""));
}

}  // namespace
}  // namespace portatlas::scan
