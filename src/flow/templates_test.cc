#include "flow/templates.h"

#include <gtest/gtest.h>

#include "flow/export_builder.h"

namespace portatlas::flow {
namespace {

// The body of the first set of a message built by ExportBuilder.
std::vector<uint8_t> FirstSetBody(const std::vector<uint8_t>& msg, Version v) {
  const size_t header = v == Version::kV9 ? 20 : 16;
  const size_t length = (size_t{msg[header + 2]} << 8) | msg[header + 3];
  return {msg.begin() + static_cast<std::ptrdiff_t>(header + 4),
          msg.begin() + static_cast<std::ptrdiff_t>(header + length)};
}

TEST(TemplatesTest, CompilesTheFieldsOfATypicalIpfixTemplate) {
  auto msg = ExportBuilder(Version::kIpfix, 1, 0, 7)
                 .Template(256, {{8, 4},
                                 {12, 4},
                                 {7, 2},
                                 {11, 2},
                                 {4, 1},
                                 {1, 8},
                                 {2, 4},
                                 {152, 8},
                                 {153, 8},
                                 {1, 8, kReversePen},
                                 {100, 65535, 9}})
                 .Finish();
  std::vector<TemplateEntry> entries;
  ASSERT_TRUE(
      ParseTemplateSet(Version::kIpfix, false, FirstSetBody(msg, Version::kIpfix), &entries).ok());
  ASSERT_EQ(entries.size(), 1u);
  const Template& t = entries[0].tmpl;
  EXPECT_EQ(t.id, 256);
  ASSERT_EQ(t.fields.size(), 11u);
  EXPECT_EQ(t.fields[0].action, FieldAction::kSrcV4);
  EXPECT_EQ(t.fields[5].action, FieldAction::kBytes);
  EXPECT_EQ(t.fields[7].action, FieldAction::kStartMs);
  EXPECT_EQ(t.fields[9].action, FieldAction::kRevBytes);  // RFC 5103 reverseOctetDeltaCount
  EXPECT_EQ(t.fields[10].enterprise, 9u);
  EXPECT_EQ(t.fields[10].action, FieldAction::kSkip);  // enterprise-specific, variable: skipped
  EXPECT_TRUE(t.variable);
  EXPECT_EQ(t.min_length, 4 + 4 + 2 + 2 + 1 + 8 + 4 + 8 + 8 + 8 + 1u);
}

TEST(TemplatesTest, VersionsDisagreeOnOutBytesAndWideSwitchedTimes) {
  EXPECT_EQ(CompileField(Version::kV9, 23, 0, 4), FieldAction::kRevBytes);
  EXPECT_EQ(CompileField(Version::kIpfix, 23, 0, 8), FieldAction::kSkip);  // post* counter
  EXPECT_EQ(CompileField(Version::kV9, 22, 0, 8), FieldAction::kStartMs);  // nfdump#80
  EXPECT_EQ(CompileField(Version::kV9, 22, 0, 4), FieldAction::kFirstUptimeMs);
  EXPECT_EQ(CompileField(Version::kIpfix, 8, 0, 16), FieldAction::kSkip);  // wrong length
  EXPECT_EQ(CompileField(Version::kIpfix, 1, 0, 9), FieldAction::kSkip);
  EXPECT_EQ(CompileField(Version::kIpfix, 1, 0, 2), FieldAction::kBytes);  // reduced size
}

TEST(TemplatesTest, ReadsV9AndIpfixOptionsTemplates) {
  auto v9 = ExportBuilder(Version::kV9, 1, 0, 0)
                .OptionsTemplate(300, {{1, 4}}, {{34, 4}, {35, 1}})
                .Finish();
  std::vector<TemplateEntry> entries;
  ASSERT_TRUE(ParseTemplateSet(Version::kV9, true, FirstSetBody(v9, Version::kV9), &entries).ok());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].tmpl.options);
  EXPECT_EQ(entries[0].tmpl.scope_count, 1);
  EXPECT_EQ(entries[0].tmpl.fields.size(), 3u);
  EXPECT_EQ(entries[0].tmpl.fields[1].action, FieldAction::kSamplingInterval);

  auto ipfix = ExportBuilder(Version::kIpfix, 1, 0, 0)
                   .OptionsTemplate(301, {{149, 4}}, {{305, 4}, {306, 4}})
                   .Finish();
  entries.clear();
  ASSERT_TRUE(
      ParseTemplateSet(Version::kIpfix, true, FirstSetBody(ipfix, Version::kIpfix), &entries).ok());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].tmpl.scope_count, 1);
  EXPECT_EQ(entries[0].tmpl.fields[2].action, FieldAction::kPacketSpace);
}

TEST(TemplatesTest, WithdrawalsAreEntriesWithoutFields) {
  auto msg = ExportBuilder(Version::kIpfix, 1, 0, 0).Withdraw(260).Finish();
  std::vector<TemplateEntry> entries;
  ASSERT_TRUE(
      ParseTemplateSet(Version::kIpfix, false, FirstSetBody(msg, Version::kIpfix), &entries).ok());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].withdraw);
  EXPECT_EQ(entries[0].id, 260);
}

// Bodies of a template set that must be refused, each with why.
TEST(TemplatesTest, RefusesBrokenDefinitions) {
  struct Case {
    const char* what;
    Version version;
    bool options;
    std::vector<uint8_t> body;
  };
  const Case cases[] = {
      {"id below 256", Version::kV9, false, {0, 200, 0, 1, 0, 8, 0, 4}},
      {"v9 template without fields", Version::kV9, false, {1, 0, 0, 0}},
      {"field count past the set", Version::kIpfix, false, {1, 0, 0, 50, 0, 8, 0, 4}},
      {"field cut short", Version::kIpfix, false, {1, 0, 0, 2, 0, 8, 0, 4, 0, 12}},
      {"enterprise number cut", Version::kIpfix, false, {1, 0, 0, 1, 0x80, 8, 0, 4, 0, 0}},
      {"v9 zero-length field", Version::kV9, false, {1, 0, 0, 1, 0, 8, 0, 0}},
      {"only zero-length fields", Version::kIpfix, false, {1, 0, 0, 1, 0, 8, 0, 0}},
      {"scope count over field count", Version::kIpfix, true, {1, 0, 0, 1, 0, 2, 0, 8, 0, 4}},
      {"options without scope", Version::kIpfix, true, {1, 0, 0, 1, 0, 0, 0, 8, 0, 4}},
      {"v9 options scope not whole fields", Version::kV9, true, {1, 0, 0, 3, 0, 4, 0, 1, 0, 4}},
      {"withdrawal of a reserved id", Version::kIpfix, false, {0, 7, 0, 0}},
      {"records over 65535 bytes",
       Version::kIpfix,
       false,
       {1, 0, 0, 2, 0, 1, 0xff, 0xfe, 0, 2, 0xff, 0xfe}},
  };
  for (const Case& c : cases) {
    std::vector<TemplateEntry> entries;
    Status st = ParseTemplateSet(c.version, c.options, c.body, &entries);
    EXPECT_EQ(st.kind(), ErrorKind::kParse) << c.what;
    for (const TemplateEntry& e : entries) EXPECT_TRUE(e.invalid) << c.what;
  }
}

TEST(TemplatesTest, EmptyBodiesAndZeroPaddingAreNoEntries) {
  std::vector<TemplateEntry> entries;
  EXPECT_TRUE(ParseTemplateSet(Version::kIpfix, false, {}, &entries).ok());
  const std::vector<uint8_t> padding = {0, 0, 0, 0, 0, 0};
  EXPECT_TRUE(ParseTemplateSet(Version::kIpfix, false, padding, &entries).ok());
  const std::vector<uint8_t> short_tail = {1, 2, 3};
  EXPECT_TRUE(ParseTemplateSet(Version::kV9, false, short_tail, &entries).ok());
  EXPECT_TRUE(entries.empty());
}

}  // namespace
}  // namespace portatlas::flow
