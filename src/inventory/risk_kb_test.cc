#include "inventory/risk_kb.h"

#include <gtest/gtest.h>

namespace portatlas::inventory {
namespace {

TEST(RiskKbTest, BuiltInLoadsAndClassifies) {
  auto kb = RiskKb::BuiltIn();
  ASSERT_TRUE(kb) << kb.error().ToString();
  EXPECT_GT(kb->rule_count(), 30u);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 23, "telnet"), RiskStatus::kDanger);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 6379, ""), RiskStatus::kDanger);
  EXPECT_EQ(kb->StatusOf(Proto::kUdp, 11211, ""), RiskStatus::kDanger);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 3389, ""), RiskStatus::kDanger);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 31337, ""), RiskStatus::kDanger);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 22, "ssh"), RiskStatus::kNormal);
  EXPECT_EQ(kb->StatusOf(Proto::kUdp, 53, ""), RiskStatus::kNormal);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 40000, ""), RiskStatus::kUnknow);
  // Ranges cover their ends.
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 5903, ""), RiskStatus::kDanger);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 5904, ""), RiskStatus::kUnknow);
  // Proto matters: 445/udp is not SMB.
  EXPECT_EQ(kb->StatusOf(Proto::kUdp, 445, ""), RiskStatus::kUnknow);
  // A detected service on an unusual port is classified by name.
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 16380, "Redis"), RiskStatus::kDanger);
  const RiskRule* r = kb->Lookup(Proto::kTcp, 2375, "");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->risk_level, 3);
  EXPECT_EQ(r->suggest_level, 30);
  EXPECT_FALSE(r->reason_zh.empty());
}

TEST(RiskKbTest, StatusNames) {
  EXPECT_EQ(ParseRiskStatus("unknown"), RiskStatus::kUnknow);
  EXPECT_EQ(ParseRiskStatus("unknow"), RiskStatus::kUnknow);
  EXPECT_EQ(RiskStatusName(RiskStatus::kUnknow), "unknow");
  EXPECT_FALSE(ParseRiskStatus("Danger").has_value());
}

TEST(RiskKbTest, OverlayWinsAndReplaceDiscards) {
  auto kb = RiskKb::BuiltIn();
  ASSERT_TRUE(kb);
  ASSERT_TRUE(kb->Overlay(R"([[rule]]
service = "ssh"
ports = ["tcp/22", "tcp/2222"]
status = "danger"
)",
                          "ops.toml")
                  .ok());
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 22, ""), RiskStatus::kDanger);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 2222, ""), RiskStatus::kDanger);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 23, ""), RiskStatus::kDanger);  // built-in kept
  ASSERT_TRUE(kb->Overlay("replace = true\n[[rule]]\nports = [\"udp/9\"]\nstatus = \"normal\"\n",
                          "only.toml")
                  .ok());
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 23, ""), RiskStatus::kUnknow);
  EXPECT_EQ(kb->StatusOf(Proto::kUdp, 9, ""), RiskStatus::kNormal);
  EXPECT_EQ(kb->rule_count(), 1u);
}

struct BadKb {
  const char* name;
  const char* text;
  ErrorKind kind;
};

class RiskKbBadInputTest : public testing::TestWithParam<BadKb> {};

TEST_P(RiskKbBadInputTest, IsRejectedAndLeavesBaseIntact) {
  auto kb = RiskKb::BuiltIn();
  ASSERT_TRUE(kb);
  const size_t before = kb->rule_count();
  Status st = kb->Overlay(GetParam().text, "bad.toml");
  EXPECT_EQ(st.kind(), GetParam().kind) << st.ToString();
  EXPECT_NE(st.message().find("bad.toml"), std::string::npos) << st.message();
  EXPECT_EQ(kb->rule_count(), before);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 23, ""), RiskStatus::kDanger);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RiskKbBadInputTest,
    testing::Values(
        BadKb{"syntax", "[[rule]\nstatus=", ErrorKind::kParse},
        BadKb{"truncated_string", "[[rule]]\nstatus = \"dan", ErrorKind::kParse},
        BadKb{"missing_status", "[[rule]]\nports=[\"tcp/1\"]\n", ErrorKind::kParse},
        BadKb{"status_wrong_type", "[[rule]]\nports=[\"tcp/1\"]\nstatus=3\n", ErrorKind::kParse},
        BadKb{"unknown_status", "[[rule]]\nports=[\"tcp/1\"]\nstatus=\"evil\"\n",
              ErrorKind::kInvalidArgument},
        BadKb{"port_zero", "[[rule]]\nports=[\"tcp/0\"]\nstatus=\"danger\"\n",
              ErrorKind::kInvalidArgument},
        BadKb{"port_too_big", "[[rule]]\nports=[\"tcp/65536\"]\nstatus=\"danger\"\n",
              ErrorKind::kInvalidArgument},
        BadKb{"descending_range", "[[rule]]\nports=[\"tcp/20-10\"]\nstatus=\"danger\"\n",
              ErrorKind::kInvalidArgument},
        BadKb{"bad_proto", "[[rule]]\nports=[\"sctp/1\"]\nstatus=\"danger\"\n",
              ErrorKind::kInvalidArgument},
        BadKb{"no_slash", "[[rule]]\nports=[\"22\"]\nstatus=\"danger\"\n",
              ErrorKind::kInvalidArgument},
        BadKb{"nothing_to_match", "[[rule]]\nstatus=\"danger\"\n", ErrorKind::kInvalidArgument},
        BadKb{"risk_level_out_of_range",
              "[[rule]]\nports=[\"tcp/1\"]\nstatus=\"danger\"\nrisk_level=9\n",
              ErrorKind::kInvalidArgument},
        BadKb{"binary", "\x01\x02\x03\xff", ErrorKind::kParse}),
    [](const testing::TestParamInfo<BadKb>& i) { return std::string(i.param.name); });

TEST(RiskKbTest, EmptyDocumentIsAnEmptyBase) {
  auto kb = RiskKb::Parse("", "empty.toml");
  ASSERT_TRUE(kb);
  EXPECT_EQ(kb->rule_count(), 0u);
  EXPECT_EQ(kb->StatusOf(Proto::kTcp, 22, "ssh"), RiskStatus::kUnknow);
}

}  // namespace
}  // namespace portatlas::inventory
