// The SQLite schema, as an ordered list of migrations. Migration i (0-based) takes the database
// from PRAGMA user_version i to i+1; the missing ones run in one IMMEDIATE transaction, so two
// processes opening a new database do not race. Never edit a released
// migration: append a new one.
#ifndef PORTATLAS_STORE_SQLITE_MIGRATIONS_H_
#define PORTATLAS_STORE_SQLITE_MIGRATIONS_H_

#include <span>
#include <string_view>

#include "core/status.h"
#include "store/sqlite/sqlite_db.h"

namespace portatlas::store {

std::span<const std::string_view> SqliteMigrations();

// Applies the migrations the database lacks. Fails (kUnavailable) on a database newer than
// this binary knows, rather than guess at its schema.
Status MigrateSqlite(SqliteDb& db);

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_MIGRATIONS_H_
