// The server's data directory: the SQLite file and the key that seals secret keys at rest.
// Shared by `serve` and `token`, which may run at the same time on the same directory.
#ifndef PORTATLAS_CLI_DATA_DIR_H_
#define PORTATLAS_CLI_DATA_DIR_H_

#include <memory>
#include <string>

#include "api/auth/secrets.h"
#include "core/status.h"
#include "store/store.h"

namespace portatlas::cli {

inline constexpr const char* kDefaultDataDir = "/var/lib/portatlas";

struct DataDir {
  std::unique_ptr<store::Store> store;
  api::auth::SecretBox box;
};

// Creates `dir` (mode 0700) when missing and opens its store and secret key. `db_url` is "" (the
// default file DIR/portatlas.db), "sqlite:PATH" or a plain path; postgres:// URLs are refused
// until that backend exists.
Result<DataDir> OpenDataDir(const std::string& dir, const std::string& db_url);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_DATA_DIR_H_
