// The AVDS read side of scan tasks in SqliteStore: filtered task lists, a task's open ports and
// addresses, and the project's current open ports.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "store/sqlite/sqlite_store_impl.h"
#include "store/sqlite/temp_sqlite_store.h"

namespace portatlas::store {
namespace {

class ScanQueryTest : public testing::Test {
 protected:
  void SetUp() override {
    auto t = OpenTempSqliteStore("queries");
    dir_ = t.dir;
    store_ = std::move(t.store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  int64_t Create(const std::string& project, const std::string& name,
                 const std::string& targets = "198.18.0.0/30", const std::string& status = "") {
    ScanTaskRow t;
    t.project = project;
    t.name = name;
    t.kind = "connect";
    t.targets = targets;
    t.created_ms = t.updated_ms = 1000;
    int64_t id = 0;
    Status st = store_->Write([&](StoreWriter& w) -> Status {
      PA_ASSIGN_OR_RETURN(got, w.CreateScanTask(t));
      id = got;
      if (status.empty()) return Status::Ok();
      t.id = got;
      t.status = status;
      t.finished_ms = 2000;
      return w.UpdateScanTask(t);
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return id;
  }

  static ScanRecordRow Rec(const std::string& ip, uint16_t port, const std::string& state = "open",
                           int64_t updated_ms = 1234, const std::string& service = "ssh") {
    ScanRecordRow r;
    r.ip = *ParseIpAddr(ip);
    r.port = port;
    r.state = state;
    r.updated_at_ms = updated_ms;
    r.service = service;
    return r;
  }

  void Put(int64_t task, std::vector<ScanRecordRow> records) {
    Status st = store_->Write(
        [&](StoreWriter& w) -> Status { return w.PutScanRecords(task, records, 5000); });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  static std::vector<std::string> Keys(const std::vector<ScanRecordRow>& rows) {
    std::vector<std::string> out;
    for (const ScanRecordRow& r : rows) {
      out.push_back(r.ip.ToString() + "/" + std::string(ProtoName(r.proto)) + "/" +
                    std::to_string(r.port));
    }
    return out;
  }

  std::vector<int64_t> Ids(const ScanTaskQuery& q) {
    auto r = store_->FindScanTasks(q);
    EXPECT_TRUE(r) << r.error().ToString();
    std::vector<int64_t> out;
    if (r) {
      for (const ScanTaskRow& t : r->rows) out.push_back(t.id);
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(ScanQueryTest, FindScanTasksFiltersByIdSearchAndStatus) {
  const int64_t a = Create("p1", "nightly web", "198.18.0.0/24", "done");
  const int64_t b = Create("p1", "db sweep", "198.18.1.5 198.18.1.6", "failed");
  const int64_t c = Create("p1", "100%_scan");
  Create("p2", "nightly web");
  ScanTaskQuery q;
  q.project = "p1";
  q.page = {10, 0};
  EXPECT_EQ(Ids(q), (std::vector<int64_t>{c, b, a}));
  auto all = store_->FindScanTasks(q);
  EXPECT_EQ(all->total, 3);

  q.id = b;
  EXPECT_EQ(Ids(q), std::vector<int64_t>{b});
  q.id = 999;
  EXPECT_TRUE(Ids(q).empty());
  q.id.reset();

  q.search = "NIGHTLY";  // case-insensitive
  EXPECT_EQ(Ids(q), std::vector<int64_t>{a});
  q.search = "198.18.1.*";  // targets, with '*' as a wildcard
  EXPECT_EQ(Ids(q), std::vector<int64_t>{b});
  q.search = "0%_";  // LIKE's own wildcards match themselves
  EXPECT_EQ(Ids(q), std::vector<int64_t>{c});
  q.search = "0_s";
  EXPECT_TRUE(Ids(q).empty());
  q.search.clear();

  q.statuses = std::vector<std::string>{"done", "failed"};
  EXPECT_EQ(Ids(q), (std::vector<int64_t>{b, a}));
  q.statuses = std::vector<std::string>{};
  EXPECT_TRUE(Ids(q).empty());
  EXPECT_EQ(store_->FindScanTasks(q)->total, 0);
  q.statuses.reset();

  q.page = {1, 1};
  auto page = store_->FindScanTasks(q);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 3);
  ASSERT_EQ(page->rows.size(), 1u);
  EXPECT_EQ(page->rows[0].id, b);
  EXPECT_EQ(page->rows[0].targets, "198.18.1.5 198.18.1.6");
}

TEST_F(ScanQueryTest, OpenPortsOfATaskSkipOtherStatesAndFilterByAddress) {
  const int64_t a = Create("p1", "t");
  Put(a, {Rec("198.18.0.10", 22), Rec("198.18.0.2", 80), Rec("198.18.0.2", 443, "closed"),
          Rec("198.18.0.2", 53, "open|filtered"), Rec("2001:2::1", 22)});
  ScanPortQuery q;
  q.project = "p1";
  q.task_id = a;
  q.page = {10, 0};
  auto all = store_->ListScanOpenPorts(q);
  ASSERT_TRUE(all) << all.error().ToString();
  EXPECT_EQ(all->total, 3);
  EXPECT_EQ(Keys(all->rows), (std::vector<std::string>{"198.18.0.2/tcp/80", "198.18.0.10/tcp/22",
                                                       "2001:2::1/tcp/22"}));

  q.page = {1, 1};
  auto second = store_->ListScanOpenPorts(q);
  EXPECT_EQ(second->total, 3);
  EXPECT_EQ(Keys(second->rows), std::vector<std::string>{"198.18.0.10/tcp/22"});

  q.page = {10, 0};
  q.ip = *ParseIpAddr("198.18.0.2");
  auto one = store_->ListScanOpenPorts(q);
  EXPECT_EQ(one->total, 1);
  EXPECT_EQ(Keys(one->rows), std::vector<std::string>{"198.18.0.2/tcp/80"});
  q.ip = *ParseIpAddr("198.18.0.99");
  auto none = store_->ListScanOpenPorts(q);
  EXPECT_EQ(none->total, 0);
  EXPECT_TRUE(none->rows.empty());
}

TEST_F(ScanQueryTest, HostsOfATaskAreTheAddressesWithOpenPorts) {
  const int64_t a = Create("p1", "t");
  Put(a, {Rec("198.18.0.10", 22, "open", 100), Rec("198.18.0.10", 80, "open", 300),
          Rec("198.18.0.10", 81, "closed", 900), Rec("198.18.0.3", 443, "closed"),
          Rec("2001:2::1", 22, "open", 50)});
  ScanPortQuery q;
  q.project = "p1";
  q.task_id = a;
  q.page = {10, 0};
  auto hosts = store_->ListScanHosts(q);
  ASSERT_TRUE(hosts) << hosts.error().ToString();
  EXPECT_EQ(hosts->total, 2);
  ASSERT_EQ(hosts->rows.size(), 2u);
  EXPECT_EQ(hosts->rows[0].ip.ToString(), "198.18.0.10");
  EXPECT_EQ(hosts->rows[0].open_ports, 2);
  EXPECT_EQ(hosts->rows[0].updated_ms, 300);
  EXPECT_EQ(hosts->rows[1].ip.ToString(), "2001:2::1");
  q.page = {1, 1};
  EXPECT_EQ(store_->ListScanHosts(q)->rows[0].ip.ToString(), "2001:2::1");
  q.ip = *ParseIpAddr("198.18.0.3");  // only a closed port
  EXPECT_EQ(store_->ListScanHosts(q)->total, 0);

  auto counts = store_->CountScanSurface("p1", a);
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->open_ports, 3);
  EXPECT_EQ(counts->hosts, 2);
}

TEST_F(ScanQueryTest, TaskQueriesOfAnotherProjectAreNotFound) {
  const int64_t a = Create("p1", "t");
  Put(a, {Rec("198.18.0.1", 22)});
  ScanPortQuery q;
  q.project = "p2";
  q.task_id = a;
  q.page = {10, 0};
  EXPECT_EQ(store_->ListScanOpenPorts(q).error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(store_->ListScanHosts(q).error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(store_->CountScanSurface("p2", a).error().kind(), ErrorKind::kNotFound);
  q.project = "p1";
  q.task_id = a + 1;
  EXPECT_EQ(store_->ListScanOpenPorts(q).error().kind(), ErrorKind::kNotFound);
}

TEST_F(ScanQueryTest, ProjectPortsTakeTheNewestRecordOfEachPort) {
  const int64_t old_task = Create("p1", "old");
  const int64_t new_task = Create("p1", "new");
  const int64_t other = Create("p2", "theirs");
  Put(old_task, {Rec("198.18.0.1", 22, "open", 100), Rec("198.18.0.1", 80, "open", 100),
                 Rec("198.18.0.2", 8080, "open", 500, "http-proxy")});
  // 22 closed since; 80 seen again (same time: the later task wins); 8080 older than the first.
  Put(new_task, {Rec("198.18.0.1", 22, "closed", 200), Rec("198.18.0.1", 80, "open", 100, "http"),
                 Rec("198.18.0.2", 8080, "closed", 400), Rec("198.18.0.3", 3306, "open", 300)});
  Put(other, {Rec("198.18.0.9", 22, "open", 900)});
  ProjectPortQuery q;
  q.project = "p1";
  q.page = {10, 0};
  auto ports = store_->ListProjectOpenPorts(q);
  ASSERT_TRUE(ports) << ports.error().ToString();
  EXPECT_EQ(ports->total, 3);
  EXPECT_EQ(Keys(ports->rows), (std::vector<std::string>{"198.18.0.1/tcp/80", "198.18.0.2/tcp/8080",
                                                         "198.18.0.3/tcp/3306"}));
  EXPECT_EQ(ports->rows[0].service, "http");

  q.search = "HTTP";  // service, case-insensitive
  EXPECT_EQ(Keys(store_->ListProjectOpenPorts(q)->rows),
            (std::vector<std::string>{"198.18.0.1/tcp/80", "198.18.0.2/tcp/8080"}));
  q.search = "3306";  // the port (and any address containing it)
  EXPECT_EQ(Keys(store_->ListProjectOpenPorts(q)->rows),
            std::vector<std::string>{"198.18.0.3/tcp/3306"});
  q.search = "18.0.2";  // an address substring
  EXPECT_EQ(store_->ListProjectOpenPorts(q)->total, 1);
  q.search = "%";
  EXPECT_EQ(store_->ListProjectOpenPorts(q)->total, 0);
  q.search.clear();
  q.page = {2, 2};
  auto last = store_->ListProjectOpenPorts(q);
  EXPECT_EQ(last->total, 3);
  EXPECT_EQ(Keys(last->rows), std::vector<std::string>{"198.18.0.3/tcp/3306"});
  q.project = "p3";
  EXPECT_EQ(store_->ListProjectOpenPorts(q)->total, 0);
}

}  // namespace
}  // namespace portatlas::store
