#include "agent/agent_state.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "core/text.h"

namespace portatlas::agent {
namespace {

class AgentStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "agentstate.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/state/agent";  // Open creates the missing parents
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  AgentState MustOpen() {
    auto state = AgentState::Open(dir_);
    EXPECT_TRUE(state.has_value()) << state.error().ToString();
    return std::move(*state);
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void Write(const std::string& name, const std::string& content) {
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/" + name) << content;
  }
  uint64_t Next(AgentState& state, uint64_t floor = 0) {
    Status persisted;
    const uint64_t seq = state.NextSeq(floor, &persisted);
    EXPECT_TRUE(persisted.ok()) << persisted.ToString();
    return seq;
  }

  std::string root_;
  std::string dir_;
};

TEST_F(AgentStateTest, AgentIdIsCreatedOnceAndReused) {
  std::string first;
  {
    AgentState state = MustOpen();
    first = state.agent_id();
    EXPECT_TRUE(IsHexOfLength(first, 64)) << first;
    EXPECT_EQ(first.find_first_of("ABCDEF"), std::string::npos);
    EXPECT_TRUE(state.warnings().empty());
  }
  EXPECT_EQ(Read("agent_id"), first + "\n");
  AgentState again = MustOpen();
  EXPECT_EQ(again.agent_id(), first);
  EXPECT_EQ(std::filesystem::status(dir_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
}

TEST_F(AgentStateTest, EachInstallGetsItsOwnId) {
  const std::string a = MustOpen().agent_id();
  std::filesystem::remove_all(dir_);
  EXPECT_NE(MustOpen().agent_id(), a);
}

TEST_F(AgentStateTest, SeqIncreasesAcrossRestarts) {
  {
    AgentState state = MustOpen();
    EXPECT_EQ(Next(state), 1u);
    EXPECT_EQ(Next(state), 2u);
  }
  EXPECT_EQ(Read("seq"), "2\n");
  AgentState state = MustOpen();
  EXPECT_EQ(state.last_seq(), 2u);
  EXPECT_EQ(Next(state), 3u);
}

TEST_F(AgentStateTest, SeqNeverFallsBelowTheFloorNorGoesBack) {
  AgentState state = MustOpen();
  EXPECT_EQ(Next(state, 1700000000000), 1700000000000u);
  EXPECT_EQ(Next(state, 1699999999000), 1700000000001u);  // the wall clock stepped back
  EXPECT_EQ(Next(state, 1700000005000), 1700000005000u);
}

TEST_F(AgentStateTest, CorruptAgentIdIsReplacedWithAWarning) {
  for (const std::string& garbage : {std::string("garbage\n"), std::string(), std::string(64, 'A'),
                                     std::string(63, 'a'), std::string(5000, 'a')}) {
    Write("agent_id", garbage);
    AgentState state = MustOpen();
    EXPECT_TRUE(IsHexOfLength(state.agent_id(), 64));
    ASSERT_EQ(state.warnings().size(), 1u) << garbage;
    EXPECT_NE(state.warnings()[0].find("corrupt"), std::string::npos);
    EXPECT_EQ(Read("agent_id"), state.agent_id() + "\n");
  }
}

TEST_F(AgentStateTest, AgentIdWithSurroundingWhitespaceIsKept) {
  const std::string id(64, 'b');
  Write("agent_id", "  " + id + "\r\n");
  AgentState state = MustOpen();
  EXPECT_EQ(state.agent_id(), id);
  EXPECT_TRUE(state.warnings().empty());
}

TEST_F(AgentStateTest, CorruptSeqRestartsWithAWarning) {
  for (const std::string& garbage : {std::string("abc"), std::string(), std::string("-5"),
                                     std::string("99999999999999999999999")}) {
    Write("seq", garbage);
    AgentState state = MustOpen();
    EXPECT_EQ(state.last_seq(), 0u) << garbage;
    ASSERT_EQ(state.warnings().size(), 1u) << garbage;
    EXPECT_EQ(Next(state, 1000), 1000u);
  }
}

TEST_F(AgentStateTest, SecondAgentOnTheSameStateIsRefused) {
  AgentState first = MustOpen();
  auto second = AgentState::Open(dir_);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().kind(), ErrorKind::kUnavailable);
  EXPECT_NE(second.error().message().find("in use"), std::string::npos);
}

TEST_F(AgentStateTest, LockIsReleasedWhenTheStateCloses) {
  { AgentState first = MustOpen(); }
  EXPECT_TRUE(AgentState::Open(dir_).has_value());
}

TEST_F(AgentStateTest, UncreatableDirectoryFailsNamingTheFlag) {
  std::ofstream(root_ + "/file") << "x";
  auto state = AgentState::Open(root_ + "/file/agent");
  ASSERT_FALSE(state.has_value());
  EXPECT_NE(state.error().message().find("--state-dir"), std::string::npos)
      << state.error().ToString();
}

TEST_F(AgentStateTest, UnsavableSeqStillAdvancesAndSaysWhy) {
  AgentState state = MustOpen();
  std::filesystem::create_directory(dir_ + "/seq");  // rename onto a directory fails
  Status persisted;
  EXPECT_EQ(state.NextSeq(0, &persisted), 1u);
  EXPECT_FALSE(persisted.ok());
  EXPECT_EQ(state.NextSeq(0, &persisted), 2u);
}

TEST_F(AgentStateTest, WritesLeaveNoTemporaryFiles) {
  AgentState state = MustOpen();
  for (int i = 0; i < 3; ++i) Next(state);
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    names.insert(e.path().filename().string());
  }
  EXPECT_EQ(names, (std::set<std::string>{"agent_id", "lock", "seq"}));
}

TEST_F(AgentStateTest, WriteFileAtomicallyReplacesContent) {
  std::filesystem::create_directories(dir_);
  const std::string path = dir_ + "/f";
  ASSERT_TRUE(WriteFileAtomically(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two").ok());
  EXPECT_EQ(Read("f"), "two");
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(RandomHexTest, LengthAndAlphabet) {
  auto a = RandomHex(32);
  auto b = RandomHex(32);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_TRUE(IsHexOfLength(*a, 64));
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace portatlas::agent
