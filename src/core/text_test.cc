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

TEST(TextTest, AsciiCase) {
  EXPECT_EQ(LowerAscii("X-Acs-Date: ÄB"), "x-acs-date: Äb");  // bytes past ASCII unchanged
  EXPECT_EQ(UpperAscii("get /a?b"), "GET /A?B");
  EXPECT_EQ(LowerAscii('Q'), 'q');
  EXPECT_EQ(LowerAscii('['), '[');
  EXPECT_TRUE(EqualsIgnoreCaseAscii("Content-Type", "content-TYPE"));
  EXPECT_FALSE(EqualsIgnoreCaseAscii("Content-Type", "Content-Typ"));
  EXPECT_FALSE(
      EqualsIgnoreCaseAscii("a[", "A{"));  // '[' and '{' differ by 0x20 but are not letters
  EXPECT_TRUE(EqualsIgnoreCaseAscii("", ""));
}

TEST(TextTest, SplitOnKeepsEmptyFields) {
  EXPECT_EQ(SplitOn("a,,b", ','), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(SplitOn("", ';'), (std::vector<std::string_view>{""}));
  EXPECT_EQ(SplitOn("host;", ';'), (std::vector<std::string_view>{"host", ""}));
}

TEST(TextTest, HttpTokensAndPrintableWords) {
  EXPECT_TRUE(IsHttpToken("x-acs-content-sha256"));
  EXPECT_TRUE(IsHttpToken("GET"));
  EXPECT_FALSE(IsHttpToken(""));
  EXPECT_FALSE(IsHttpToken("a b"));
  EXPECT_FALSE(IsHttpToken("a:b"));
  EXPECT_TRUE(IsPrintableWord("LTAI5tExample", 128, ",;"));
  EXPECT_FALSE(IsPrintableWord("", 128, ""));
  EXPECT_FALSE(IsPrintableWord(std::string(129, 'a'), 128, ""));
  EXPECT_FALSE(IsPrintableWord("a,b", 128, ","));
  EXPECT_FALSE(IsPrintableWord("a\x7f", 128, ""));
  EXPECT_FALSE(IsPrintableWord("a b", 128, ""));
}

}  // namespace
}  // namespace portatlas

namespace portatlas {
namespace {

TEST(RepairUtf8Test, ReplacesEachBadByteAndKeepsValidText) {
  EXPECT_EQ(RepairUtf8(""), "");
  EXPECT_EQ(RepairUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(RepairUtf8("caf\xc3\xa9 \xe4\xb8\xad"), "caf\xc3\xa9 \xe4\xb8\xad");
  EXPECT_EQ(RepairUtf8("bad\xc3\x28"), "bad\xef\xbf\xbd(");
  EXPECT_EQ(RepairUtf8("\xff\xfe"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(RepairUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                  // overlong '/'
  EXPECT_EQ(RepairUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(RepairUtf8("\xe4\xb8"), "\xef\xbf\xbd\xef\xbf\xbd");                  // truncated
  for (const char* s : {"bad\xc3\x28", "\xff\xfe", "\xc0\xaf", "\xf4\x90\x80\x80"}) {
    EXPECT_FALSE(IsValidUtf8(s)) << s;
    EXPECT_TRUE(IsValidUtf8(RepairUtf8(s))) << s;
  }
}

}  // namespace
}  // namespace portatlas
