#include "inventory/scan_tasks.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "store/sqlite/temp_sqlite_store.h"

namespace portatlas::inventory {
namespace {

class ScanTasksTest : public testing::Test {
 protected:
  void SetUp() override {
    auto t = store::OpenTempSqliteStore("tasks");
    dir_ = t.dir;
    store_ = std::move(t.store);
    tasks_ = std::make_unique<ScanTasks>(*store_, [this] { return now_ms_; });
  }
  void TearDown() override {
    tasks_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  int64_t NewTask() {
    store::ScanTaskRow t;
    t.project = "p1";
    t.name = "scan";
    t.kind = "connect";
    auto created = tasks_->Create(t);
    EXPECT_TRUE(created.has_value());
    EXPECT_EQ(created->created_ms, now_ms_);
    EXPECT_EQ(created->status, "running");
    return created->id;
  }
  static std::vector<store::ScanRecordRow> Records(int n) {
    std::vector<store::ScanRecordRow> out;
    for (int i = 0; i < n; ++i) {
      store::ScanRecordRow r;
      r.ip = *ParseIpAddr("198.18.0.1");
      r.port = static_cast<uint16_t>(i + 1);
      r.state = "open";
      out.push_back(r);
    }
    return out;
  }
  TaskProgress Status(const char* status) const {
    TaskProgress p;
    p.status = status;
    return p;
  }

  std::string dir_;
  int64_t now_ms_ = 1000;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ScanTasks> tasks_;
};

TEST_F(ScanTasksTest, ARunningTaskTakesRecordsAndProgressUntilItFinishes) {
  const int64_t id = NewTask();
  ASSERT_TRUE(tasks_->AddRecords("p1", id, Records(3)).ok());
  TaskProgress p;
  p.probes_done = 5;
  p.probes_total = 10;
  now_ms_ = 2000;
  auto running = tasks_->Progress("p1", id, p);
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(running->probes_done, 5);
  EXPECT_EQ(running->record_count, 3);
  EXPECT_EQ(running->finished_ms, 0);
  now_ms_ = 3000;
  auto done = tasks_->Progress("p1", id, Status("done"));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status, "done");
  EXPECT_EQ(done->finished_ms, 3000);
  EXPECT_EQ(done->probes_total, 10);  // unset fields stay
}

TEST_F(ScanTasksTest, AFinishedTaskConflictsExceptForTheSameFinalStatusAgain) {
  const int64_t id = NewTask();
  ASSERT_TRUE(tasks_->Progress("p1", id, Status("failed")).has_value());
  const auto records = tasks_->AddRecords("p1", id, Records(1));
  EXPECT_EQ(records.kind(), ErrorKind::kConflict);
  EXPECT_EQ(records.message(),
            "scan task " + std::to_string(id) + " is failed: it takes no more records");
  EXPECT_EQ(tasks_->Progress("p1", id, Status("done")).error().kind(), ErrorKind::kConflict);
  now_ms_ = 9999;
  auto again = tasks_->Progress("p1", id, Status("failed"));  // a retried final report
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->updated_ms, 1000);  // unchanged
  auto stored = store_->GetScanTask("p1", id);
  EXPECT_EQ((*stored)->record_count, 0);
}

TEST_F(ScanTasksTest, AnotherProjectsTaskDoesNotExist) {
  const int64_t id = NewTask();
  EXPECT_EQ(tasks_->AddRecords("p2", id, Records(1)).kind(), ErrorKind::kNotFound);
  EXPECT_EQ(tasks_->Progress("p2", id, Status("done")).error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(tasks_->Progress("p1", id + 1, Status("done")).error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace portatlas::inventory
