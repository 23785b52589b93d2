#include "core/json_shape.h"

#include <gtest/gtest.h>

#include <string>

namespace portatlas {
namespace {

JsonShapeLimits Small() {
  JsonShapeLimits l;
  l.max_depth = 3;
  l.max_entries = 4;
  l.max_values = 10;
  l.max_string_bytes = 8;
  return l;
}

struct Case {
  const char* name;
  std::string text;
  bool ok;
  const char* why;  // part of the message when refused
};

TEST(JsonShapeTest, Table) {
  const Case cases[] = {
      {"empty", "", true, ""},
      {"scalar", "12", true, ""},
      {"at every limit", R"({"a":[1,2,[3]],"bcdefghi":"12345678"})", true, ""},
      {"truncated inside a string", R"({"a":"abc)", true, ""},
      {"truncated after a backslash", "\"ab\\", true, ""},
      {"unbalanced closers", "]]]}}", true, ""},
      {"corrupted: bytes that are no JSON", "\xff\xfe\x00\x01", true, ""},
      {"four deep", "[[[[1]]]]", false, "nests deeper than 3 levels"},
      {"brackets inside strings do not nest", R"(["[[[[{{{{"])", true, ""},
      {"an escaped quote does not end the string", R"(["\"[[[[["])", true, ""},
      {"brackets in a short string", R"([["[[[["]])", true, ""},
      {"five elements", "[1,2,3,4,5]", false, "more than 4 entries"},
      {"five members", R"({"a":1,"b":2,"c":3,"d":4,"e":5})", false, "more than 4 entries"},
      {"entries are per container, values of the whole", "[[1,2,3,4],[1,2,3,4]]", false,
       "more than 10 values"},
      {"eleven values", "[[1,2],[3,4],[5,6],7]", false, "more than 10 values"},
      {"ten values", "[[1,2],[3,4],[5,6]]", true, ""},
      {"nine-byte string", R"("123456789")", false, "string longer than 8 bytes"},
      {"nine-byte key", R"({"123456789":1})", false, "string longer than 8 bytes"},
      {"escapes count as written", R"("\u00e9\n!")", false, "string longer than 8 bytes"},
  };
  for (const Case& c : cases) {
    const Status s = CheckJsonShape(c.text, Small());
    EXPECT_EQ(s.ok(), c.ok) << c.name << ": " << s.message();
    if (!c.ok) {
      EXPECT_EQ(s.kind(), ErrorKind::kInvalidArgument) << c.name;
      EXPECT_NE(s.message().find(c.why), std::string::npos) << c.name << ": " << s.message();
    }
  }
}

TEST(JsonShapeTest, HostileBodiesAreRefusedWithTheDefaults) {
  const JsonShapeLimits defaults;
  EXPECT_FALSE(CheckJsonShape(std::string(60 << 20, '['), defaults).ok());
  std::string zeros = "[";
  for (int i = 0; i < 70000; ++i) zeros += "0,";
  zeros += "0]";
  EXPECT_FALSE(CheckJsonShape(zeros, defaults).ok());
  EXPECT_FALSE(CheckJsonShape('"' + std::string(1 << 20, 'a') + '"', defaults).ok());
  // Many arrays of 65536 zeros each: no one container is too big, the whole is.
  std::string rows = "[";
  for (int r = 0; r < 40; ++r) {
    rows += '[';
    for (int i = 0; i < 60000; ++i) rows += "0,";
    rows += "0],";
  }
  rows += "0]";
  const Status s = CheckJsonShape(rows, defaults);
  EXPECT_NE(s.message().find("more than 2000000 values"), std::string::npos) << s.message();
}

TEST(JsonShapeTest, DepthIsCappedAtSixtyFour) {
  JsonShapeLimits l;
  l.max_depth = 1000;
  EXPECT_TRUE(CheckJsonShape(std::string(64, '[') + std::string(64, ']'), l).ok());
  EXPECT_FALSE(CheckJsonShape(std::string(65, '['), l).ok());
}

}  // namespace
}  // namespace portatlas
