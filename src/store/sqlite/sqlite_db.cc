#include "store/sqlite/sqlite_db.h"

#include <fmt/format.h>

namespace portatlas::store {

Stmt::~Stmt() {
  if (s_ != nullptr) sqlite3_finalize(s_);
}

Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

Stmt& Stmt::Bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::BindBlob(int i, std::string_view bytes) {
  sqlite3_bind_blob(s_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Result<bool> Stmt::Step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(s_);
  const ErrorKind kind =
      (rc == SQLITE_BUSY || rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_READONLY)
          ? ErrorKind::kUnavailable
          : ErrorKind::kInternal;
  return Status(kind, fmt::format("sqlite step: {}", sqlite3_errmsg(db)));
}

Status Stmt::Run() {
  for (;;) {
    auto row = Step();
    if (!row) return row.error();
    if (!*row) return Status::Ok();
  }
}

void Stmt::Reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::string Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p == nullptr ? std::string()
                      : std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)));
}

std::string_view Stmt::View(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p == nullptr ? std::string_view()
                      : std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)));
}

std::string_view Stmt::BlobView(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
  return p == nullptr ? std::string_view()
                      : std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)));
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Unavailable(fmt::format("open {}: {}", path, msg));
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_extended_result_codes(db, 0);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db));
}

SqliteDb::~SqliteDb() {
  cache_.clear();  // statements must be finalised before the connection closes
  sqlite3_close(db_);
}

Status SqliteDb::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Status st = InternalError(fmt::format("sqlite: {}", err != nullptr ? err : "?"));
    sqlite3_free(err);
    return st;
  }
  return Status::Ok();
}

Result<Stmt*> SqliteDb::Cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  auto stmt = Prepare(sql);
  if (!stmt) return stmt.error();
  auto owned = std::make_unique<Stmt>(std::move(*stmt));
  Stmt* raw = owned.get();
  cache_.emplace(sql, std::move(owned));
  return raw;
}

void SqliteDb::ResetAll() {
  for (auto& [sql, stmt] : cache_) stmt->Reset();
}

Result<Stmt> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK) {
    return InternalError(fmt::format("sqlite prepare: {}", sqlite3_errmsg(db_)));
  }
  return Stmt(s);
}

Status SqliteDb::Error(std::string_view what) const {
  return InternalError(fmt::format("{}: {}", what, sqlite3_errmsg(db_)));
}

}  // namespace portatlas::store
