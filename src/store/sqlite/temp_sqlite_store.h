// For tests: a SqliteStore on db.sqlite in a new temporary directory. The caller removes the
// directory (std::filesystem::remove_all) after closing the store.
#ifndef PORTATLAS_STORE_SQLITE_TEMP_SQLITE_STORE_H_
#define PORTATLAS_STORE_SQLITE_TEMP_SQLITE_STORE_H_

#include <memory>
#include <string>
#include <string_view>

#include "store/sqlite/sqlite_store_impl.h"

namespace portatlas::store {

struct TempSqliteStore {
  std::string dir;  // the directory; the database is dir + "/db.sqlite"
  std::unique_ptr<SqliteStore> store;
};

// Aborts (PA_CHECK) when the directory or the store cannot be made: a test cannot go on.
TempSqliteStore OpenTempSqliteStore(std::string_view name);

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_TEMP_SQLITE_STORE_H_
