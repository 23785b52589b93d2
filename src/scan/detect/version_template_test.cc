#include "scan/detect/version_template.h"

#include <gtest/gtest.h>

#include <string>

#include "scan/detect/escapes.h"

namespace portatlas::scan {
namespace {

using namespace std::string_view_literals;

// Groups 1..n from `values`; the rest unset.
Captures Groups(std::initializer_list<std::string_view> values) {
  Captures g;
  size_t i = 1;
  for (const std::string_view v : values) g[i++] = v;
  return g;
}

std::string Expand(std::string_view tmpl, const Captures& g) {
  return ExpandTemplate(tmpl, g, false);
}

TEST(VersionTemplateTest, SubstitutesGroups) {
  const Captures g = Groups({"2.0", "9.2p1", "Debian-2"});
  const struct {
    const char* tmpl;
    const char* want;
  } kCases[] = {
      {"", ""},
      {"OpenSSH", "OpenSSH"},
      {"$2", "9.2p1"},
      {"$2 $3; protocol $1", "9.2p1 Debian-2; protocol 2.0"},
      {"$1$1", "2.02.0"},
      {"$10", "2.00"},        // one digit only: $1 then "0"
      {"$4", ""},             // a group the pattern does not have
      {"$9 x", " x"},         // (leading space kept; only trailing ones are trimmed)
      {"$2, $4", "9.2p1"},    // trailing ", " dropped, as nmap does
      {"v $1 ,, ", "v 2.0"},  // trailing spaces and commas
      {"$0", "$0"},           // not a substitution
      {"cost $", "cost $"},   // a lone '$'
      {"$$1", "$2.0"},
      {"$Q(1)", "$Q(1)"},          // unknown command
      {"$P(1", "$P(1"},            // unclosed
      {"$P()", "$P()"},            // no argument
      {"$P(0)", "$P(0)"},          // group out of 1-9
      {"$P(\"1\")", "$P(\"1\")"},  // a string where a number belongs
  };
  for (const auto& c : kCases) EXPECT_EQ(Expand(c.tmpl, g), c.want) << c.tmpl;
}

TEST(VersionTemplateTest, UnsetGroupsInsideTheRangeAreEmpty) {
  Captures g = Groups({"a", "b", "c"});
  g[2].reset();
  EXPECT_EQ(Expand("$1-$2-$3", g), "a--c");
  EXPECT_EQ(Expand("$P(2)|$SUBST(2,\"a\",\"b\")|$I(2,\">\")", g), "||");
}

TEST(VersionTemplateTest, WritesUnprintableBytesAsHexEscapes) {
  const Captures g = Groups({"a\0b\xff\r\n"sv, "\x7f"sv});
  EXPECT_EQ(Expand("$1", g), "a\\x00b\\xff\\x0d\\x0a");
  EXPECT_EQ(Expand("[$2]", g), "[\\x7f]");
  EXPECT_EQ(Expand("tab\there", g), "tab\\x09here");  // literal text too
}

TEST(VersionTemplateTest, PrintableOnly) {
  const Captures g = Groups({"W\0O\0R\0K\0G\0R\0O\0U\0P\0"sv, "\x01\xfe"sv});
  EXPECT_EQ(Expand("$P(1)", g), "WORKGROUP");
  EXPECT_EQ(Expand("[$P(2)]", g), "[]");
  EXPECT_EQ(Expand("$P( 1 )", g), "WORKGROUP");
}

TEST(VersionTemplateTest, Subst) {
  const Captures g = Groups({"1_2_3", "a,b", "x\0y"sv});
  const struct {
    const char* tmpl;
    const char* want;
  } kCases[] = {
      {"$SUBST(1,\"_\",\".\")", "1.2.3"},
      {"v$SUBST(1, \"_\", \"\")!", "v123!"},
      {"$SUBST(1,\"1_\",\"one \")", "one 2_3"},
      {"$SUBST(2,\",\",\".\")", "a.b"},
      {"$SUBST(3,\"\\0\",\" \")", "x y"},            // escapes in the arguments
      {"$SUBST(3,\"y\",\"\\x01\")", "x\\x00\\x01"},  // the result is escaped as well
      {"$SUBST(1,\"\",\"z\")", "1_2_3"},             // nothing to find: unchanged
      {"$SUBST(1,\"\\\"\",\"q\")", "1_2_3"},         // \" inside a string
      {"$SUBST(1,\"_\")", "$SUBST(1,\"_\")"},        // too few arguments
      {"$SUBST(1,\"_\",\".\",\"x\")", "$SUBST(1,\"_\",\".\",\"x\")"},  // too many
      {"$SUBST(1,_,.)", "$SUBST(1,_,.)"},                              // unquoted strings
      {"$SUBST(1,\"\\q\",\".\")", "$SUBST(1,\"\\q\",\".\")"},          // a bad escape
  };
  for (const auto& c : kCases) EXPECT_EQ(Expand(c.tmpl, g), c.want) << c.tmpl;
}

TEST(VersionTemplateTest, UnpacksIntegers) {
  const Captures g = Groups({"\x01\x02"sv, "\xff\xff\xff\xff\xff\xff\xff\xff"sv,
                             "\x01\x02\x03\x04\x05\x06\x07\x08\x09"sv, ""sv, "\x2a"sv});
  const struct {
    const char* tmpl;
    const char* want;
  } kCases[] = {
      {"$I(1,\">\")", "258"},
      {"$I(1,\"<\")", "513"},
      {"9.00.$I(1,\">\")", "9.00.258"},
      {"$I(2,\">\")", "18446744073709551615"},
      {"[$I(3,\">\")]", "[]"},  // more than 8 bytes
      {"$I(4,\"<\")", "0"},     // an empty group
      {"$I(5,\">\")", "42"},
      {"$I(6,\">\")", ""},  // a group the pattern does not have
      {"$I(1,\"=\")", "$I(1,\"=\")"},
      {"$I(1)", "$I(1)"},
      {"$I(10,\">\")", "$I(10,\">\")"},
  };
  for (const auto& c : kCases) EXPECT_EQ(Expand(c.tmpl, g), c.want) << c.tmpl;
}

TEST(VersionTemplateTest, CpeSubstitutionsAreMadeSafe) {
  const Captures g = Groups({"Foo Bar:1/2", "9.2P1"});
  EXPECT_EQ(ExpandTemplate("cpe:/a:Vendor:prod:$1", g, true), "cpe:/a:Vendor:prod:foo_bar%3A1%2F2");
  EXPECT_EQ(ExpandTemplate("cpe:/a:openbsd:openssh:$2", g, true), "cpe:/a:openbsd:openssh:9.2p1");
  EXPECT_EQ(ExpandTemplate("cpe:/a:x:y:$SUBST(2,\".\",\"_\")", g, true), "cpe:/a:x:y:9_2p1");
  EXPECT_EQ(ExpandTemplate("cpe:/a:x:y:$3", g, true), "cpe:/a:x:y:");
  EXPECT_EQ(ExpandTemplate("$1", g, false), "Foo Bar:1/2");  // only CPEs are transformed
}

TEST(VersionTemplateTest, CutsLongFields) {
  const std::string big(100000, 'v');
  const std::string unprintable(1000, '\x01');
  const Captures g = Groups({big, unprintable});
  EXPECT_EQ(Expand("$1", g), std::string(kMaxFieldBytes, 'v'));
  EXPECT_EQ(Expand(big, g), std::string(kMaxFieldBytes, 'v'));  // long literal text too
  // 256 bytes hold 64 four-character escapes: no half escape is left at the end.
  const std::string cut = Expand("$2", g);
  EXPECT_EQ(cut.size(), kMaxFieldBytes);
  const std::string shifted = Expand("ab$2", g);
  EXPECT_LE(shifted.size(), kMaxFieldBytes);
  EXPECT_EQ(shifted.substr(shifted.size() - 4), "\\x01");
}

TEST(EscapesTest, UnescapeC) {
  EXPECT_EQ(*UnescapeC("a\\0b\\x7F\\\\\\|"), std::string("a\0b\x7f\\|", 6));
  EXPECT_FALSE(UnescapeC("\\"));
  EXPECT_FALSE(UnescapeC("\\x"));
  EXPECT_FALSE(UnescapeC("\\x1"));
  EXPECT_FALSE(UnescapeC("\\xg1"));
  EXPECT_FALSE(UnescapeC("\\z"));
  EXPECT_FALSE(UnescapeC("\\1"));
  EXPECT_EQ(UnescapeC("\\z").error().kind(), ErrorKind::kParse);
}

}  // namespace
}  // namespace portatlas::scan
