#include "store/sqlite/temp_sqlite_store.h"

#include <stdlib.h>

#include "core/check.h"

namespace portatlas::store {

TempSqliteStore OpenTempSqliteStore(std::string_view name) {
  std::string dir = "/tmp/portatlas-" + std::string(name) + "-XXXXXX";
  PA_CHECK(::mkdtemp(dir.data()) != nullptr) << dir;
  auto s = SqliteStore::Open(dir + "/db.sqlite");
  PA_CHECK(s.has_value()) << s.error().ToString();
  return {dir, std::move(*s)};
}

}  // namespace portatlas::store
