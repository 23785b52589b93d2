#include "cli/data_dir.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include "store/sqlite/sqlite_store.h"

namespace portatlas::cli {

Result<DataDir> OpenDataDir(const std::string& dir, const std::string& db_url) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError(fmt::format("data directory {}: {}", dir, ec.message()));
  ::chmod(dir.c_str(), 0700);
  std::string path = dir + "/portatlas.db";
  if (db_url.rfind("postgres://", 0) == 0 || db_url.rfind("postgresql://", 0) == 0) {
    return InvalidArgument("--db: the PostgreSQL store is not available yet; use sqlite:PATH");
  }
  if (db_url.rfind("sqlite:", 0) == 0) {
    path = db_url.substr(7);
  } else if (!db_url.empty()) {
    path = db_url;
  }
  auto store = store::OpenSqliteStore(path);
  if (!store) return store.error();
  auto box = api::auth::SecretBox::LoadOrCreate(dir + "/secret.key");
  if (!box) return box.error().WithContext(dir + "/secret.key");
  return DataDir{std::move(*store), std::move(*box)};
}

}  // namespace portatlas::cli
