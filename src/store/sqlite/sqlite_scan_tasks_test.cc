// Scan tasks and their records in SqliteStore (schema 3).
#include "store/sqlite/sqlite_scan_tasks.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "store/sqlite/migrations.h"
#include "store/sqlite/row_codec.h"
#include "store/sqlite/sqlite_store_impl.h"
#include "store/sqlite/temp_sqlite_store.h"

namespace portatlas::store {
namespace {

class ScanTaskStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    auto t = OpenTempSqliteStore("tasks");
    dir_ = t.dir;
    store_ = std::move(t.store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  int64_t Create(const std::string& project, const std::string& name) {
    ScanTaskRow t;
    t.project = project;
    t.name = name;
    t.kind = "connect";
    t.targets = "198.18.0.0/30";
    t.ports = "22,80";
    t.probes_total = 8;
    t.created_ms = t.updated_ms = 1000;
    int64_t id = 0;
    Status st = store_->Write([&](StoreWriter& w) -> Status {
      PA_ASSIGN_OR_RETURN(got, w.CreateScanTask(t));
      id = got;
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return id;
  }

  static ScanRecordRow Record(const std::string& ip, Proto proto, uint16_t port,
                              const std::string& state = "open") {
    ScanRecordRow r;
    r.ip = *ParseIpAddr(ip);
    r.proto = proto;
    r.port = port;
    r.state = state;
    r.reason = "syn-ack";
    r.reason_ttl = 64;
    r.updated_at_ms = 1234;
    r.service = "ssh";
    r.product = "OpenSSH";
    r.version = "9.2p1";
    r.info = "protocol 2.0";
    r.cpe = "cpe:/a:openbsd:openssh:9.2p1";
    r.tls = R"({"version":"TLSv1.3"})";
    r.banner_hash = std::string(64, 'a');
    return r;
  }

  Status Put(int64_t task, std::vector<ScanRecordRow> records, int64_t now_ms = 2000) {
    return store_->Write(
        [&](StoreWriter& w) -> Status { return w.PutScanRecords(task, records, now_ms); });
  }

  ScanTaskRow Task(const std::string& project, int64_t id) {
    auto t = store_->GetScanTask(project, id);
    EXPECT_TRUE(t && t->has_value());
    return t && *t ? **t : ScanTaskRow{};
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST(IpSortKeyTest, OrdersNumericallyWithIpv4First) {
  const std::vector<std::string> in = {"198.18.0.2", "198.18.0.10", "198.18.0.1",
                                       "::1",        "2001:2::1",   "198.19.255.255"};
  std::vector<std::string> keys;
  for (const std::string& ip : in) keys.push_back(IpSortKey(*ParseIpAddr(ip)));
  std::vector<size_t> order = {2, 0, 1, 5, 3, 4};  // expected ascending
  for (size_t i = 1; i < order.size(); ++i) {
    EXPECT_LT(keys[order[i - 1]], keys[order[i]]) << in[order[i - 1]] << " < " << in[order[i]];
  }
  for (const std::string& ip : in) {
    auto back = IpFromSortKey(IpSortKey(*ParseIpAddr(ip)));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->ToString(), ParseIpAddr(ip)->ToString());
  }
  EXPECT_FALSE(IpFromSortKey("").has_value());
  EXPECT_FALSE(IpFromSortKey(std::string("\x04\x01\x02\x03", 4)).has_value());
  EXPECT_FALSE(IpFromSortKey(std::string("\x06\x01\x02\x03\x04", 5)).has_value());
}

TEST_F(ScanTaskStoreTest, CreateAssignsGrowingIdsAndKeepsFields) {
  const int64_t a = Create("p1", "first");
  const int64_t b = Create("p1", "second");
  EXPECT_GT(a, 0);
  EXPECT_GT(b, a);
  ScanTaskRow t = Task("p1", a);
  EXPECT_EQ(t.id, a);
  EXPECT_EQ(t.name, "first");
  EXPECT_EQ(t.kind, "connect");
  EXPECT_EQ(t.status, "running");
  EXPECT_EQ(t.targets, "198.18.0.0/30");
  EXPECT_EQ(t.ports, "22,80");
  EXPECT_EQ(t.probes_total, 8);
  EXPECT_EQ(t.created_ms, 1000);
  EXPECT_EQ(t.finished_ms, 0);
  EXPECT_EQ(t.record_count, 0);
}

TEST_F(ScanTaskStoreTest, AnotherProjectDoesNotSeeTheTask) {
  const int64_t a = Create("p1", "mine");
  auto t = store_->GetScanTask("p2", a);
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->has_value());
  auto r = store_->ListScanRecords("p2", a, {10, 0});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(store_->ListScanTasks("p2", {10, 0})->total, 0);
}

TEST_F(ScanTaskStoreTest, RecordsRoundTripInAddressOrder) {
  const int64_t a = Create("p1", "t");
  ASSERT_TRUE(Put(a, {Record("198.18.0.10", Proto::kTcp, 22), Record("2001:2::1", Proto::kTcp, 80),
                      Record("198.18.0.2", Proto::kUdp, 53, "open|filtered"),
                      Record("198.18.0.2", Proto::kTcp, 443, "closed"),
                      Record("198.18.0.2", Proto::kTcp, 22)})
                  .ok());
  auto page = store_->ListScanRecords("p1", a, {100, 0});
  ASSERT_TRUE(page) << page.error().ToString();
  EXPECT_EQ(page->total, 5);
  ASSERT_EQ(page->rows.size(), 5u);
  const std::vector<std::string> want = {"198.18.0.2 tcp 22", "198.18.0.2 tcp 443",
                                         "198.18.0.2 udp 53", "198.18.0.10 tcp 22",
                                         "2001:2::1 tcp 80"};
  for (size_t i = 0; i < want.size(); ++i) {
    const ScanRecordRow& r = page->rows[i];
    EXPECT_EQ(
        r.ip.ToString() + " " + std::string(ProtoName(r.proto)) + " " + std::to_string(r.port),
        want[i]);
  }
  EXPECT_EQ(page->rows[0], Record("198.18.0.2", Proto::kTcp, 22));
  EXPECT_EQ(page->rows[2].state, "open|filtered");
  ScanTaskRow t = Task("p1", a);
  EXPECT_EQ(t.record_count, 5);
  EXPECT_EQ(t.open_count, 3);
  EXPECT_EQ(t.updated_ms, 2000);

  auto second = store_->ListScanRecords("p1", a, {2, 2});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->total, 5);
  ASSERT_EQ(second->rows.size(), 2u);
  EXPECT_EQ(second->rows[0].port, 53);
  auto past = store_->ListScanRecords("p1", a, {2, 5});
  ASSERT_TRUE(past);
  EXPECT_TRUE(past->rows.empty());
}

TEST_F(ScanTaskStoreTest, ResentRecordReplacesItselfAndCountsFollow) {
  const int64_t a = Create("p1", "t");
  ASSERT_TRUE(
      Put(a, {Record("198.18.0.1", Proto::kTcp, 22), Record("198.18.0.1", Proto::kTcp, 80)}).ok());
  ScanRecordRow closed = Record("198.18.0.1", Proto::kTcp, 22, "closed");
  closed.product = "";
  ScanRecordRow reopened = Record("198.18.0.1", Proto::kTcp, 80);
  reopened.version = "2";
  ASSERT_TRUE(Put(a, {closed, reopened}).ok());
  ScanTaskRow t = Task("p1", a);
  EXPECT_EQ(t.record_count, 2);
  EXPECT_EQ(t.open_count, 1);
  auto page = store_->ListScanRecords("p1", a, {10, 0});
  ASSERT_EQ(page->rows.size(), 2u);
  EXPECT_EQ(page->rows[0], closed);
  EXPECT_EQ(page->rows[1], reopened);
  // Duplicates within one write: the last one wins.
  ASSERT_TRUE(Put(a, {Record("198.18.0.1", Proto::kTcp, 22), closed}).ok());
  t = Task("p1", a);
  EXPECT_EQ(t.record_count, 2);
  EXPECT_EQ(t.open_count, 1);
}

TEST_F(ScanTaskStoreTest, TasksDoNotShareRecords) {
  const int64_t a = Create("p1", "a");
  const int64_t b = Create("p1", "b");
  ASSERT_TRUE(Put(a, {Record("198.18.0.1", Proto::kTcp, 22)}).ok());
  ASSERT_TRUE(Put(b, {Record("198.18.0.1", Proto::kTcp, 22, "closed"),
                      Record("198.18.0.1", Proto::kTcp, 23)})
                  .ok());
  EXPECT_EQ(store_->ListScanRecords("p1", a, {10, 0})->rows.size(), 1u);
  EXPECT_EQ(store_->ListScanRecords("p1", a, {10, 0})->rows[0].state, "open");
  EXPECT_EQ(store_->ListScanRecords("p1", b, {10, 0})->rows.size(), 2u);
  EXPECT_EQ(Task("p1", a).open_count, 1);
  EXPECT_EQ(Task("p1", b).open_count, 1);
}

TEST_F(ScanTaskStoreTest, UpdateChangesStatusAndProgress) {
  const int64_t a = Create("p1", "t");
  ScanTaskRow t = Task("p1", a);
  t.status = "failed";
  t.probes_done = 5;
  t.probes_total = 9;
  t.updated_ms = t.finished_ms = 3000;
  t.error = "interrupted";
  t.name = "ignored";
  ASSERT_TRUE(store_->Write([&](StoreWriter& w) { return w.UpdateScanTask(t); }).ok());
  ScanTaskRow got = Task("p1", a);
  EXPECT_EQ(got.status, "failed");
  EXPECT_EQ(got.probes_done, 5);
  EXPECT_EQ(got.probes_total, 9);
  EXPECT_EQ(got.finished_ms, 3000);
  EXPECT_EQ(got.error, "interrupted");
  EXPECT_EQ(got.name, "t");
  t.id = 999;
  Status st = store_->Write([&](StoreWriter& w) { return w.UpdateScanTask(t); });
  EXPECT_EQ(st.kind(), ErrorKind::kNotFound);
}

TEST_F(ScanTaskStoreTest, FailedWriteStoresNoRecords) {
  const int64_t a = Create("p1", "t");
  Status st = store_->Write([&](StoreWriter& w) -> Status {
    std::vector<ScanRecordRow> r = {Record("198.18.0.1", Proto::kTcp, 22)};
    PA_RETURN_IF_ERROR(w.PutScanRecords(a, r, 5));
    return InvalidArgument("changed my mind");
  });
  EXPECT_EQ(st.kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(Task("p1", a).record_count, 0);
  EXPECT_TRUE(store_->ListScanRecords("p1", a, {10, 0})->rows.empty());
}

TEST_F(ScanTaskStoreTest, ListsNewestFirstPerProject) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Create("p1", "t" + std::to_string(i)));
  Create("p2", "other");
  auto page = store_->ListScanTasks("p1", {2, 1});
  ASSERT_TRUE(page) << page.error().ToString();
  EXPECT_EQ(page->total, 5);
  ASSERT_EQ(page->rows.size(), 2u);
  EXPECT_EQ(page->rows[0].id, ids[3]);
  EXPECT_EQ(page->rows[1].id, ids[2]);
}

TEST_F(ScanTaskStoreTest, ReopenKeepsTasksAndRecords) {
  const int64_t a = Create("p1", "t");
  ASSERT_TRUE(Put(a, {Record("198.18.0.1", Proto::kUdp, 161)}).ok());
  store_.reset();
  auto s = SqliteStore::Open(dir_ + "/db.sqlite");
  ASSERT_TRUE(s) << s.error().ToString();
  store_ = std::move(*s);
  EXPECT_EQ(Task("p1", a).record_count, 1);
  EXPECT_EQ(store_->ListScanRecords("p1", a, {10, 0})->rows[0].port, 161);
  EXPECT_GT(Create("p1", "next"), a);
}

TEST_F(ScanTaskStoreTest, MigratesVersionTwoDatabase) {
  store_.reset();
  const std::string path = dir_ + "/v2.sqlite";
  {
    auto db = SqliteDb::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Exec(SqliteMigrations()[0]).ok());
    ASSERT_TRUE((*db)->Exec(SqliteMigrations()[1]).ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 2").ok());
    PortRow p;
    p.key = {4026531840u, "0.0.0.0", 22, SockType::kTcp};
    p.pid = 8;
    p.path = "/usr/sbin/sshd";
    const std::vector<PortRow> ports = {p};
    auto ins = (*db)->Prepare(
        "INSERT INTO hosts(project, host_id, agent_id, host_name, host_ip, eps, seq, first_seen, "
        "last_seen, ports) VALUES ('p1', 'h1', 'ag', 'web', '198.18.0.1', '0', 1, 1, 2, ?)");
    ASSERT_TRUE(ins);
    const std::string encoded = EncodePorts(ports);
    ins->Bind(1, encoded);
    ASSERT_TRUE(ins->Run().ok());
  }
  auto s = SqliteStore::Open(path);
  ASSERT_TRUE(s) << s.error().ToString();
  store_ = std::move(*s);
  PortQuery q;
  q.project = "p1";
  q.eps = {"0"};
  q.host_id = "h1";
  auto ports = store_->ListPorts(q);
  ASSERT_TRUE(ports) << ports.error().ToString();
  ASSERT_EQ(ports->total, 1);
  EXPECT_EQ(ports->rows[0].port.path, "/usr/sbin/sshd");
  const int64_t a = Create("p1", "after migration");
  EXPECT_GT(a, 0);
  EXPECT_EQ(Task("p1", a).name, "after migration");
  auto db = SqliteDb::Open(path, SQLITE_OPEN_READONLY);
  ASSERT_TRUE(db);
  auto v = (*db)->Prepare("PRAGMA user_version");
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->Step().has_value());
  EXPECT_EQ(v->Int(0), static_cast<int64_t>(SqliteMigrations().size()));
}

}  // namespace
}  // namespace portatlas::store
