#include "store/sqlite_store.h"

#include <fmt/format.h>

#include <iterator>
#include <mutex>

#include "store/migrations.h"
#include "store/sqlite_rows.h"

namespace portatlas::store {

std::string PortColumns(std::string_view prefix) {
  static constexpr std::string_view kColumns[] = {"project",      "host_id",
                                                  "netns",        "laddr",
                                                  "port",         "type",
                                                  "eps",          "pid",
                                                  "sharers",      "path",
                                                  "comm",         "exe_deleted",
                                                  "container_id", "container_runtime",
                                                  "service",      "status",
                                                  "first_seen",   "last_seen"};
  static_assert(std::size(kColumns) == kPortColumnCount);
  std::string out;
  for (std::string_view c : kColumns) {
    if (!out.empty()) out += ", ";
    out += prefix;
    out += c;
  }
  return out;
}

PortRow ReadPortRow(const Stmt& s, int c) {
  PortRow r;
  r.project = s.Text(c + 0);
  r.host_id = s.Text(c + 1);
  r.key.netns = static_cast<uint64_t>(s.Int(c + 2));
  r.key.laddr = s.Text(c + 3);
  r.key.port = static_cast<uint16_t>(s.Int(c + 4));
  r.key.type = static_cast<SockType>(s.Int(c + 5));
  r.eps = s.Text(c + 6);
  r.pid = static_cast<int>(s.Int(c + 7));
  r.sharers = static_cast<int>(s.Int(c + 8));
  r.path = s.Text(c + 9);
  r.comm = s.Text(c + 10);
  r.exe_deleted = s.Int(c + 11) != 0;
  r.container_id = s.Text(c + 12);
  r.container_runtime = s.Text(c + 13);
  r.service = s.Text(c + 14);
  r.status = static_cast<RiskStatus>(s.Int(c + 15));
  r.first_seen_ms = s.Int(c + 16);
  r.last_seen_ms = s.Int(c + 17);
  return r;
}

std::string JoinEps(const std::vector<std::string>& eps) {
  std::string out;
  for (const std::string& e : eps) {
    if (!out.empty()) out += '\n';
    out += e;
  }
  return out;
}

std::vector<std::string> SplitEps(const std::string& joined) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b <= joined.size() && !joined.empty()) {
    size_t e = joined.find('\n', b);
    if (e == std::string::npos) e = joined.size();
    out.push_back(joined.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

namespace {

int64_t Key64(uint64_t v) { return static_cast<int64_t>(v); }  // netns inodes fit in 63 bits

// The StoreWriter of one open transaction on the writer connection.
class SqliteWriter final : public StoreWriter {
 public:
  explicit SqliteWriter(SqliteDb& db) : db_(db) {}

  Result<std::optional<HostRow>> GetHost(std::string_view project,
                                         std::string_view host_id) override {
    auto s = db_.Cached(
        "SELECT agent_id, host_name, host_ip, eps, seq, first_seen, last_seen FROM hosts "
        "WHERE project = ? AND host_id = ?");
    if (!s) return s.error();
    (*s)->Bind(1, project).Bind(2, host_id);
    auto row = (*s)->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<HostRow>();
    HostRow h;
    h.project = std::string(project);
    h.host_id = std::string(host_id);
    h.agent_id = (*s)->Text(0);
    h.host_name = (*s)->Text(1);
    h.host_ip = (*s)->Text(2);
    h.eps = (*s)->Text(3);
    h.seq = (*s)->Int(4);
    h.first_seen_ms = (*s)->Int(5);
    h.last_seen_ms = (*s)->Int(6);
    return std::optional<HostRow>(std::move(h));
  }

  Result<std::vector<PortRow>> GetHostPorts(std::string_view project,
                                            std::string_view host_id) override {
    auto s = db_.Cached(
        fmt::format("SELECT {} FROM ports WHERE project = ? AND host_id = ?", PortColumns()));
    if (!s) return s.error();
    (*s)->Bind(1, project).Bind(2, host_id);
    std::vector<PortRow> out;
    for (;;) {
      auto row = (*s)->Step();
      if (!row) return row.error();
      if (!*row) return out;
      out.push_back(ReadPortRow(**s));
    }
  }

  Status PutHost(const HostRow& h) override {
    auto s = db_.Cached(
        "INSERT OR REPLACE INTO hosts(project, host_id, agent_id, host_name, host_ip, eps, seq, "
        "first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?)");
    if (!s) return s.error();
    (*s)->Bind(1, h.project).Bind(2, h.host_id).Bind(3, h.agent_id).Bind(4, h.host_name);
    (*s)->Bind(5, h.host_ip).Bind(6, h.eps).Bind(7, h.seq).Bind(8, h.first_seen_ms);
    (*s)->Bind(9, h.last_seen_ms);
    return (*s)->Run();
  }

  Status PutPort(const PortRow& r) override {
    auto s =
        db_.Cached(fmt::format("INSERT OR REPLACE INTO ports({}, category) VALUES "
                               "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               PortColumns()));
    if (!s) return s.error();
    Stmt& st = **s;
    st.Bind(1, r.project).Bind(2, r.host_id).Bind(3, Key64(r.key.netns)).Bind(4, r.key.laddr);
    st.Bind(5, r.key.port).Bind(6, static_cast<int64_t>(r.key.type)).Bind(7, r.eps);
    st.Bind(8, r.pid).Bind(9, r.sharers).Bind(10, r.path).Bind(11, r.comm);
    st.Bind(12, r.exe_deleted ? 1 : 0).Bind(13, r.container_id).Bind(14, r.container_runtime);
    st.Bind(15, r.service).Bind(16, static_cast<int64_t>(r.status)).Bind(17, r.first_seen_ms);
    st.Bind(18, r.last_seen_ms).Bind(19, static_cast<int64_t>(r.category()));
    return st.Run();
  }

  Status DeletePort(std::string_view project, std::string_view host_id,
                    const PortKey& key) override {
    auto s = db_.Cached(
        "DELETE FROM ports WHERE project = ? AND host_id = ? AND netns = ? AND laddr = ? AND "
        "port = ? AND type = ?");
    if (!s) return s.error();
    (*s)->Bind(1, project).Bind(2, host_id).Bind(3, Key64(key.netns)).Bind(4, key.laddr);
    (*s)->Bind(5, key.port).Bind(6, static_cast<int64_t>(key.type));
    return (*s)->Run();
  }

  Status AddEvent(const PortEvent& e) override {
    auto s = db_.Cached(
        "INSERT INTO port_events(project, host_id, at, kind, netns, laddr, port, type, pid, path, "
        "container_id, status, old_path, old_container_id, old_status) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!s) return s.error();
    Stmt& st = **s;
    st.Bind(1, e.project).Bind(2, e.host_id).Bind(3, e.at_ms).Bind(4, static_cast<int64_t>(e.kind));
    st.Bind(5, Key64(e.key.netns)).Bind(6, e.key.laddr).Bind(7, e.key.port);
    st.Bind(8, static_cast<int64_t>(e.key.type)).Bind(9, e.pid).Bind(10, e.path);
    st.Bind(11, e.container_id).Bind(12, static_cast<int64_t>(e.status)).Bind(13, e.old_path);
    st.Bind(14, e.old_container_id).Bind(15, static_cast<int64_t>(e.old_status));
    return st.Run();
  }

  Status AddStatDelta(const StatDelta& d) override {
    auto s = db_.Cached(
        "INSERT INTO port_stats(project, eps, category, port, type, num, danger, normal, sockets) "
        "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(project, eps, category, port, type) DO UPDATE SET "
        "num = num + excluded.num, danger = danger + excluded.danger, "
        "normal = normal + excluded.normal, sockets = sockets + excluded.sockets");
    if (!s) return s.error();
    Stmt& st = **s;
    st.Bind(1, d.project).Bind(2, d.eps).Bind(3, static_cast<int64_t>(d.category));
    st.Bind(4, d.port).Bind(5, static_cast<int64_t>(d.type)).Bind(6, d.num).Bind(7, d.danger);
    st.Bind(8, d.normal).Bind(9, d.sockets);
    PA_RETURN_IF_ERROR(st.Run());
    if (d.num >= 0) return Status::Ok();
    auto del = db_.Cached(
        "DELETE FROM port_stats WHERE project = ? AND eps = ? AND category = ? AND port = ? AND "
        "type = ? AND num <= 0");
    if (!del) return del.error();
    (*del)->Bind(1, d.project).Bind(2, d.eps).Bind(3, static_cast<int64_t>(d.category));
    (*del)->Bind(4, d.port).Bind(5, static_cast<int64_t>(d.type));
    return (*del)->Run();
  }

 private:
  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  // Debian's libsqlite3 keeps memory statistics, which puts every allocation of every
  // connection behind one process-wide mutex; concurrent readers then queue on it (measured:
  // 3x fewer requests/s on an aggregate query at 8 connections). Must precede initialisation.
  static std::once_flag memstatus_off;
  std::call_once(memstatus_off, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
  });
  auto db = SqliteDb::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return db.error();
  // WAL: readers never block the writer; FULL: the WAL is synced at every commit.
  PA_RETURN_IF_ERROR((*db)->Exec("PRAGMA journal_mode = WAL"));
  PA_RETURN_IF_ERROR((*db)->Exec("PRAGMA synchronous = FULL"));
  PA_RETURN_IF_ERROR((*db)->Exec("PRAGMA cache_size = -65536"));  // 64 MiB
  PA_RETURN_IF_ERROR(MigrateSqlite(**db));
  return std::unique_ptr<SqliteStore>(new SqliteStore(path, std::move(*db)));
}

Status SqliteStore::Write(const std::function<Status(StoreWriter&)>& fn) {
  std::lock_guard<std::mutex> lock(write_mu_);
  Status st = writer_->Exec("BEGIN IMMEDIATE");
  if (!st.ok()) return Unavailable(st.message());
  SqliteWriter w(*writer_);
  st = fn(w);
  writer_->ResetAll();
  if (!st.ok()) {
    (void)writer_->Exec("ROLLBACK");
    return st;
  }
  st = writer_->Exec("COMMIT");
  if (!st.ok()) {
    (void)writer_->Exec("ROLLBACK");
    return Unavailable(fmt::format("commit failed: {}", st.message()));
  }
  return Status::Ok();
}

SqliteStore::Reader::~Reader() {
  if (db_ == nullptr) return;
  db_->ResetAll();
  std::lock_guard<std::mutex> lock(store_->readers_mu_);
  store_->idle_readers_.push_back(std::move(db_));
}

Result<SqliteStore::Reader> SqliteStore::AcquireReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (!idle_readers_.empty()) {
      auto db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return Reader(this, std::move(db));
    }
  }
  auto db = SqliteDb::Open(path_, SQLITE_OPEN_READONLY);
  if (!db) return db.error();
  PA_RETURN_IF_ERROR((*db)->Exec("PRAGMA cache_size = -16384"));
  PA_RETURN_IF_ERROR((*db)->Exec("PRAGMA mmap_size = 268435456"));
  return Reader(this, std::move(*db));
}

}  // namespace portatlas::store
