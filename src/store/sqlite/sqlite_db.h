// Thin RAII wrapper of the SQLite C API: a connection and prepared statements, with errors as
// Status. Not thread-safe: one connection per thread at a time.
#ifndef PORTATLAS_STORE_SQLITE_SQLITE_DB_H_
#define PORTATLAS_STORE_SQLITE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

namespace portatlas::store {

class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Bind by 1-based index. Strings are copied by SQLite (SQLITE_TRANSIENT).
  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, std::string_view v);
  Stmt& BindBlob(int i, std::string_view bytes);
  Stmt& BindNull(int i);
  // SQLITE_ROW -> true, SQLITE_DONE -> false, anything else -> error.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  Status Run();
  // Steps through every remaining row, calling `fn(*this)` (which returns Status) on each;
  // stops at the first error, the step's or fn's.
  template <typename Fn>
  Status ForEachRow(Fn&& fn) {
    for (;;) {
      auto row = Step();
      if (!row) return row.error();
      if (!*row) return Status::Ok();
      if (Status st = fn(*this); !st.ok()) return st;
    }
  }
  // Resets for reuse and clears bindings.
  void Reset();

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  std::string Text(int col) const;
  // The column's text without a copy; valid until the next Step, Reset or column read.
  std::string_view View(int col) const;
  // A BLOB column's bytes without a copy; same lifetime as View.
  std::string_view BlobView(int col) const;

 private:
  sqlite3_stmt* s_;
};

class SqliteDb {
 public:
  // Opens (creating) the database at `path` with the given sqlite3_open_v2 flags and a busy
  // timeout, so another process writing (e.g. `portatlas token create`) is waited for.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, int flags);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status Exec(std::string_view sql);
  // A statement prepared once per connection (keyed by its text) and reused, reset on each
  // call. The pointer stays valid for the connection's life.
  Result<Stmt*> Cached(const std::string& sql);
  // Resets every cached statement, ending the implicit read transaction a partly stepped one
  // holds open (it would otherwise pin an old snapshot and block WAL checkpoints).
  void ResetAll();
  // A one-off statement.
  Result<Stmt> Prepare(std::string_view sql);
  Status Error(std::string_view what) const;
  sqlite3* raw() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Stmt>> cache_;
};

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_SQLITE_DB_H_
