// The embedded default Store: one SQLite file in WAL mode (sqlite_store_impl.h has how). This
// header is all a user of it needs; SQLite itself stays behind it.
#ifndef PORTATLAS_STORE_SQLITE_SQLITE_STORE_H_
#define PORTATLAS_STORE_SQLITE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace portatlas::store {

// Opens or creates the database file at `path`, applies missing migrations and loads the
// in-memory index. Errors: the file cannot be opened or is not ours, a database newer than
// this binary, a damaged host row (named).
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_SQLITE_STORE_H_
