#include "core/text.h"

#include <gtest/gtest.h>

#include <string>

namespace portatlas {
namespace {

TEST(TextTest, TrimAndSplit) {
  EXPECT_EQ(Trim("  a b \r\n"), "a b");
  EXPECT_EQ(Trim(" \t "), "");
  auto f = SplitFields("  1:  0100007F:0016 \t x ");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0], "1:");
  EXPECT_EQ(f[2], "x");
  EXPECT_TRUE(SplitFields("").empty());
}

TEST(TextTest, ForEachLineKeepsUnterminatedLast) {
  std::vector<std::string> lines;
  ForEachLine("a\nb\n\nc", [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "", "c"}));
}

TEST(TextTest, ParseUintIsStrict) {
  EXPECT_EQ(ParseUint("65535", 65535), 65535u);
  EXPECT_FALSE(ParseUint("65536", 65535));
  EXPECT_FALSE(ParseUint(""));
  EXPECT_FALSE(ParseUint("-1"));
  EXPECT_FALSE(ParseUint("+1"));
  EXPECT_FALSE(ParseUint("1 "));
  EXPECT_FALSE(ParseUint("99999999999999999999999"));
}

TEST(TextTest, ParseHexEdges) {
  EXPECT_EQ(ParseHex("0016"), 0x16u);
  EXPECT_EQ(ParseHex("fFfF", 0xffff), 0xffffu);
  EXPECT_FALSE(ParseHex("10000", 0xffff));
  EXPECT_FALSE(ParseHex("0x10"));
  EXPECT_FALSE(ParseHex("g"));
  EXPECT_TRUE(IsHexOfLength("deadBEEF", 8));
  EXPECT_FALSE(IsHexOfLength("deadBEEG", 8));
  EXPECT_FALSE(IsHexOfLength("dead", 8));
}

TEST(TextTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("数据库 é \xF0\x9F\x98\x80"));
  for (const char* bad : {"\xff", "'ac\xff\xff\xff'", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80",
                          "\xF4\x90\x80\x80", "\xE4\xB8", "\x80"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
}

}  // namespace
}  // namespace portatlas
