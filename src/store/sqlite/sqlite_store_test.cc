#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store_impl.h"
#include "store/sqlite/temp_sqlite_store.h"

namespace portatlas::store {
namespace {

class SqliteStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    auto t = OpenTempSqliteStore("store");
    dir_ = t.dir;
    store_ = std::move(t.store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static PortRow Port(const std::string& host, uint16_t port, SockType t,
                      std::string container = "", RiskStatus st = RiskStatus::kUnknow) {
    PortRow r;
    r.project = "p1";
    r.host_id = host;
    r.key = {4026531840u, "0.0.0.0", port, t};
    r.pid = 100 + port;
    r.path = "/usr/bin/x";
    r.container_id = std::move(container);
    r.status = st;
    r.first_seen_ms = 1;
    r.last_seen_ms = 2;
    return r;
  }

  static HostRow Host(const std::string& host, const std::string& name) {
    HostRow h;
    h.project = "p1";
    h.host_id = host;
    h.agent_id = "a-" + host;
    h.host_name = name;
    h.host_ip = "198.18.0." + std::to_string(name.size());
    return h;
  }

  // Writes a host with its whole port set (sorted here, as the store expects).
  void AddHost(const std::string& host, const std::string& name, std::vector<PortRow> ports,
               std::vector<PortEvent> events = {}) {
    std::sort(ports.begin(), ports.end(),
              [](const PortRow& a, const PortRow& b) { return a.key < b.key; });
    Status st = store_->Write(
        [&](StoreWriter& w) -> Status { return w.PutHost(Host(host, name), ports, events); });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  int64_t StatTotal(Category c = Category::kHost) {
    PortStatQuery q;
    q.project = "p1";
    q.eps = {"0"};
    q.category = c;
    return store_->ListPortStatistics(q)->total;
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, RoundTripsHostAndPorts) {
  AddHost("h1", "web", {Port("h1", 22, SockType::kTcp), Port("h1", 53, SockType::kUdp6)});
  ASSERT_TRUE(store_
                  ->Write([&](StoreWriter& w) -> Status {
                    auto h = w.GetHost("p1", "h1");
                    EXPECT_TRUE(h && h->has_value());
                    EXPECT_EQ((*h)->host.host_name, "web");
                    EXPECT_EQ((*h)->ports.size(), 2u);
                    EXPECT_EQ((*h)->ports[1].key.type, SockType::kUdp6);
                    EXPECT_EQ((*h)->ports[1].path, "/usr/bin/x");
                    auto none = w.GetHost("p1", "h2");
                    EXPECT_TRUE(none && !none->has_value());
                    return Status::Ok();
                  })
                  .ok());
  PortQuery q;
  q.project = "p1";
  q.eps = {"0"};
  q.host_id = "h1";
  auto r = store_->ListPorts(q);
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->total, 2);
  EXPECT_EQ(r->rows[0].port.key.port, 22);
  EXPECT_EQ(r->rows[0].port.pid, 122);
  EXPECT_EQ(r->rows[0].agent_id, "a-h1");
  EXPECT_EQ(r->rows[1].port.key.type, SockType::kUdp6);
  q.eps = {"other"};
  EXPECT_EQ(store_->ListPorts(q)->total, 0);
}

TEST_F(SqliteStoreTest, FailedWriteRollsBack) {
  Status st = store_->Write([&](StoreWriter& w) -> Status {
    PA_RETURN_IF_ERROR(w.PutHost(Host("h1", "a"), {Port("h1", 22, SockType::kTcp)}, {}));
    return InvalidArgument("changed my mind");
  });
  EXPECT_EQ(st.kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(StatTotal(), 0);  // nor does the index see it
  PortQuery q;
  q.project = "p1";
  q.eps = {"0"};
  q.host_id = "h1";
  EXPECT_EQ(store_->ListPorts(q)->total, 0);
}

TEST_F(SqliteStoreTest, StatisticsGroupAndFilter) {
  AddHost("h1", "a",
          {Port("h1", 22, SockType::kTcp, "", RiskStatus::kNormal),
           Port("h1", 6379, SockType::kTcp, "", RiskStatus::kDanger)});
  AddHost(
      "h2", "b",
      {Port("h2", 22, SockType::kTcp, "", RiskStatus::kNormal), Port("h2", 8080, SockType::kTcp6)});
  AddHost("h3", "c", {Port("h3", 6379, SockType::kTcp, std::string(64, 'c'), RiskStatus::kDanger)});
  PortStatQuery q;
  q.project = "p1";
  q.eps = {"0"};
  auto r = store_->ListPortStatistics(q);
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->total, 3);
  EXPECT_EQ(r->rows[0].port, 22);
  EXPECT_EQ(r->rows[0].num, 2);
  EXPECT_EQ(r->rows[0].status, RiskStatus::kNormal);
  EXPECT_EQ(r->rows[1].port, 6379);
  EXPECT_EQ(r->rows[1].num, 1);  // the container's 6379 is counted under category=container
  EXPECT_EQ(r->rows[1].status, RiskStatus::kDanger);
  q.port_substring = "80";
  r = store_->ListPortStatistics(q);
  ASSERT_EQ(r->total, 1);
  EXPECT_EQ(r->rows[0].port, 8080);
  q.port_substring.clear();
  q.status = RiskStatus::kDanger;
  EXPECT_EQ(store_->ListPortStatistics(q)->total, 1);
  q.status.reset();
  q.descending = true;
  q.page = {1, 1};
  r = store_->ListPortStatistics(q);
  EXPECT_EQ(r->total, 3);  // all matches, not the page
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].port, 6379);
  q.page = {10, 0};
  q.category = Category::kContainer;
  r = store_->ListPortStatistics(q);
  ASSERT_EQ(r->total, 1);
  EXPECT_EQ(r->rows[0].port, 6379);
}

TEST_F(SqliteStoreTest, ReplacingAHostMovesItsAggregates) {
  AddHost("h1", "a", {Port("h1", 22, SockType::kTcp), Port("h1", 80, SockType::kTcp)});
  EXPECT_EQ(StatTotal(), 2);
  AddHost("h1", "a", {Port("h1", 443, SockType::kTcp)});
  PortStatQuery q;
  q.project = "p1";
  q.eps = {"0"};
  auto r = store_->ListPortStatistics(q);
  ASSERT_EQ(r->total, 1);
  EXPECT_EQ(r->rows[0].port, 443);
  AddHost("h1", "a", {});
  EXPECT_EQ(StatTotal(), 0);
  PortHostQuery h;
  h.project = "p1";
  h.eps = {"0"};
  h.port = 443;
  EXPECT_EQ(store_->ListPortHosts(h)->total, 0);
  EXPECT_TRUE(store_->ListPortHosts(h)->rows.empty());
}

TEST_F(SqliteStoreTest, TwoWritesOfOneHostInOneTransaction) {
  Status st = store_->Write([&](StoreWriter& w) -> Status {
    PA_RETURN_IF_ERROR(w.PutHost(Host("h1", "a"), {Port("h1", 22, SockType::kTcp)}, {}));
    auto seen = w.GetHost("p1", "h1");
    EXPECT_TRUE(seen && seen->has_value() && (*seen)->ports.size() == 1u);
    return w.PutHost(Host("h1", "a"), {Port("h1", 80, SockType::kTcp)}, {});
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  PortStatQuery q;
  q.project = "p1";
  q.eps = {"0"};
  auto r = store_->ListPortStatistics(q);
  ASSERT_EQ(r->total, 1);  // 22 came and went inside the transaction
  EXPECT_EQ(r->rows[0].port, 80);
}

TEST_F(SqliteStoreTest, PortHostsAndCounts) {
  AddHost("h1", "alpha", {Port("h1", 22, SockType::kTcp), Port("h1", 80, SockType::kTcp)});
  AddHost("h2", "beta", {Port("h2", 22, SockType::kTcp)});
  PortHostQuery q;
  q.project = "p1";
  q.eps = {"0"};
  q.port = 22;
  auto r = store_->ListPortHosts(q);
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->total, 2);
  EXPECT_EQ(r->rows[0].host_name, "alpha");
  EXPECT_EQ(r->rows[0].agent_id, "a-h1");
  q.host_name = "et";
  r = store_->ListPortHosts(q);
  ASSERT_EQ(r->total, 1);
  EXPECT_EQ(r->rows[0].port.host_id, "h2");
  PortCountQuery c;
  c.project = "p1";
  c.eps = {"0"};
  EXPECT_EQ(*store_->CountPorts(c), 3);
  c.host_id = "h1";
  EXPECT_EQ(*store_->CountPorts(c), 2);
  c.project = "p2";
  EXPECT_EQ(*store_->CountPorts(c), 0);
}

TEST_F(SqliteStoreTest, EventsInOrder) {
  PortEvent e;
  e.project = "p1";
  e.host_id = "h1";
  e.at_ms = 10;
  e.key = {1, "::", 443, SockType::kTcp6};
  e.path = "/usr/sbin/nginx";
  PortEvent other = e;
  other.key.port = 80;
  AddHost("h1", "a", {}, {e, other});
  e.kind = EventKind::kClose;
  e.at_ms = 20;
  e.old_path = "/old";
  e.old_status = RiskStatus::kDanger;
  AddHost("h1", "a", {}, {e});
  auto ev = store_->ListEvents("p1", "h1", 0, 100);
  ASSERT_TRUE(ev) << ev.error().ToString();
  ASSERT_EQ(ev->size(), 3u);
  EXPECT_EQ((*ev)[1].key.port, 80);
  EXPECT_EQ((*ev)[2].kind, EventKind::kClose);
  EXPECT_EQ((*ev)[2].key.laddr, "::");
  EXPECT_EQ((*ev)[2].at_ms, 20);
  EXPECT_EQ((*ev)[2].path, "/usr/sbin/nginx");
  EXPECT_EQ((*ev)[2].old_path, "/old");
  EXPECT_EQ((*ev)[2].old_status, RiskStatus::kDanger);
  EXPECT_EQ((*ev)[2].host_id, "h1");
  EXPECT_EQ(store_->ListEvents("p1", "h1", 15, 100)->size(), 1u);
  EXPECT_EQ(store_->ListEvents("p1", "", 0, 2)->size(), 2u);  // limit counts events
  EXPECT_EQ(store_->ListEvents("p2", "", 0, 100)->size(), 0u);
}

TEST_F(SqliteStoreTest, CredentialsFindListRevoke) {
  CredentialRow t;
  t.id = "tok1";
  t.project = "p1";
  t.eps = {"0", "ep-2"};
  t.token_hash = "abc";
  ASSERT_TRUE(store_->PutCredential(t).ok());
  CredentialRow k;
  k.id = "ak1";
  k.kind = CredentialKind::kAkSk;
  k.project = "p2";
  k.eps = {"0"};
  k.access_key = "AK1";
  k.sealed_sk = "sealed";
  ASSERT_TRUE(store_->PutCredential(k).ok());
  auto found = store_->FindToken("abc");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->eps, (std::vector<std::string>{"0", "ep-2"}));
  auto ak = store_->FindAccessKey("AK1");
  ASSERT_TRUE(ak && ak->has_value());
  EXPECT_EQ((*ak)->sealed_sk, "sealed");
  EXPECT_FALSE(store_->FindToken("AK1")->has_value());  // kinds do not mix
  EXPECT_EQ(store_->ListCredentials()->size(), 2u);
  ASSERT_TRUE(store_->RevokeCredential("tok1").ok());
  EXPECT_FALSE(store_->FindToken("abc")->has_value());
  EXPECT_EQ(store_->RevokeCredential("nope").kind(), ErrorKind::kNotFound);
}

TEST_F(SqliteStoreTest, ReopenKeepsDataAndSchema) {
  AddHost("h1", "a", {Port("h1", 22, SockType::kTcp)});
  store_.reset();
  auto s = SqliteStore::Open(dir_ + "/db.sqlite");
  ASSERT_TRUE(s) << s.error().ToString();
  PortCountQuery c;
  c.project = "p1";
  c.eps = {"0"};
  EXPECT_EQ(*(*s)->CountPorts(c), 1);
  PortStatQuery q;
  q.project = "p1";
  q.eps = {"0"};
  auto r = (*s)->ListPortStatistics(q);  // the index is rebuilt from the rows
  ASSERT_EQ(r->total, 1);
  EXPECT_EQ(r->rows[0].port, 22);
  EXPECT_EQ(r->rows[0].num, 1);
}

TEST_F(SqliteStoreTest, MigratesVersionOneDatabase) {
  store_.reset();
  const std::string path = dir_ + "/v1.sqlite";
  {
    auto db = SqliteDb::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Exec(SqliteMigrations()[0]).ok());
    ASSERT_TRUE((*db)
                    ->Exec(R"sql(
PRAGMA user_version = 1;
INSERT INTO hosts VALUES ('p1', 'h1', 'ag', 'web', '198.18.0.1', '0', 7, 100, 200);
INSERT INTO ports VALUES ('p1', 'h1', 4026531840, '0.0.0.0', 80, 0, '0', 0, 9, 1, '/n', 'nginx',
  0, '', '', 'http', 1, 100, 200);
INSERT INTO ports VALUES ('p1', 'h1', 4026531840, '0.0.0.0', 22, 0, '0', 0, 8, 1, '/s', 'sshd',
  0, '', '', 'ssh', 1, 100, 200);
INSERT INTO port_events(project, host_id, at, kind, netns, laddr, port, type, pid, path,
  container_id, status, old_path, old_container_id, old_status)
  VALUES ('p1', 'h1', 100, 0, 4026531840, '0.0.0.0', 22, 0, 8, '/s', '', 1, '', '', 0);
)sql")
                    .ok());
  }
  auto s = SqliteStore::Open(path);
  ASSERT_TRUE(s) << s.error().ToString();
  PortQuery q;
  q.project = "p1";
  q.eps = {"0"};
  q.host_id = "h1";
  auto r = (*s)->ListPorts(q);
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->total, 2);
  EXPECT_EQ(r->rows[0].port.key.port, 22);
  EXPECT_EQ(r->rows[0].port.comm, "sshd");
  EXPECT_EQ(r->rows[1].port.service, "http");
  EXPECT_EQ(r->rows[1].port.first_seen_ms, 100);
  EXPECT_EQ(r->rows[1].agent_id, "ag");
  auto ev = (*s)->ListEvents("p1", "h1", 0, 10);
  ASSERT_TRUE(ev) << ev.error().ToString();
  ASSERT_EQ(ev->size(), 1u);
  EXPECT_EQ((*ev)[0].key.port, 22);
  PortStatQuery st;
  st.project = "p1";
  st.eps = {"0"};
  EXPECT_EQ((*s)->ListPortStatistics(st)->total, 2);
}

TEST_F(SqliteStoreTest, DamagedHostRowIsAClearError) {
  AddHost("h1", "a", {Port("h1", 22, SockType::kTcp)});
  store_.reset();
  for (const char* damage : {"'[[1,2]]'", "'not json'",
                             "'[[0,\"x\",70000,0,1,1,\"\",\"\",0,"
                             "\"\",\"\",\"\",0,0,0]]'"}) {
    {
      auto db = SqliteDb::Open(dir_ + "/db.sqlite", SQLITE_OPEN_READWRITE);
      ASSERT_TRUE(db);
      ASSERT_TRUE((*db)->Exec(std::string("UPDATE hosts SET ports = ") + damage).ok());
    }
    auto s = SqliteStore::Open(dir_ + "/db.sqlite");
    ASSERT_FALSE(s) << damage;
    EXPECT_NE(s.error().message().find("host 'h1'"), std::string::npos) << s.error().ToString();
  }
}

TEST_F(SqliteStoreTest, RefusesNewerSchema) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/db.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = SqliteStore::Open(dir_ + "/db.sqlite");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("newer"), std::string::npos);
}

TEST_F(SqliteStoreTest, GarbageFileIsAnError) {
  const std::string path = dir_ + "/garbage.sqlite";
  FILE* f = fopen(path.c_str(), "w");
  fputs("this is not a database, just some text that is long enough to be a header......", f);
  fclose(f);
  EXPECT_FALSE(SqliteStore::Open(path).has_value());
}

}  // namespace
}  // namespace portatlas::store
