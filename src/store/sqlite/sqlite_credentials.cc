// SqliteStore's credentials. Tokens are kept only as hashes, secret keys only sealed; writes go
// through the writer connection so they are durable and serialised with ingest.
#include <fmt/format.h>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace portatlas::store {
namespace {

constexpr const char* kCredentialColumns =
    "id, kind, project, eps, token_hash, access_key, sealed_sk, created, revoked";

CredentialRow ReadCredential(const Stmt& s) {
  CredentialRow c;
  c.id = s.Text(0);
  c.kind = static_cast<CredentialKind>(s.Int(1));
  c.project = s.Text(2);
  c.eps = SplitEps(s.Text(3));
  c.token_hash = s.Text(4);
  c.access_key = s.Text(5);
  c.sealed_sk = s.Text(6);
  c.created_ms = s.Int(7);
  c.revoked = s.Int(8) != 0;
  return c;
}

}  // namespace

Status SqliteStore::PutCredential(const CredentialRow& c) {
  std::lock_guard<std::mutex> lock(write_mu_);
  auto s = writer_->Cached(fmt::format(
      "INSERT OR REPLACE INTO credentials({}) VALUES (?,?,?,?,?,?,?,?,?)", kCredentialColumns));
  if (!s) return s.error();
  Stmt& st = **s;
  st.Bind(1, c.id).Bind(2, static_cast<int64_t>(c.kind)).Bind(3, c.project);
  st.Bind(4, JoinEps(c.eps)).Bind(5, c.token_hash).Bind(6, c.access_key).Bind(7, c.sealed_sk);
  st.Bind(8, c.created_ms).Bind(9, c.revoked ? 1 : 0);
  Status result = st.Run();
  st.Reset();
  return result;
}

Result<std::optional<CredentialRow>> SqliteStore::FindCredential(const char* where,
                                                                 std::string_view value) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  auto s = reader->db().Cached(fmt::format("SELECT {} FROM credentials WHERE {} AND revoked = 0",
                                           kCredentialColumns, where));
  if (!s) return s.error();
  (*s)->Bind(1, value);
  auto row = (*s)->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<CredentialRow>();
  return std::optional<CredentialRow>(ReadCredential(**s));
}

Result<std::optional<CredentialRow>> SqliteStore::FindToken(std::string_view token_hash) {
  return FindCredential("kind = 0 AND token_hash = ?", token_hash);
}

Result<std::optional<CredentialRow>> SqliteStore::FindAccessKey(std::string_view access_key) {
  return FindCredential("kind = 1 AND access_key = ?", access_key);
}

Result<std::vector<CredentialRow>> SqliteStore::ListCredentials() {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  auto s = reader->db().Cached(
      fmt::format("SELECT {} FROM credentials ORDER BY created, id", kCredentialColumns));
  if (!s) return s.error();
  std::vector<CredentialRow> out;
  for (;;) {
    auto row = (*s)->Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(ReadCredential(**s));
  }
}

Status SqliteStore::RevokeCredential(std::string_view id) {
  std::lock_guard<std::mutex> lock(write_mu_);
  auto s = writer_->Cached("UPDATE credentials SET revoked = 1 WHERE id = ?");
  if (!s) return s.error();
  (*s)->Bind(1, id);
  Status result = (*s)->Run();
  (*s)->Reset();
  PA_RETURN_IF_ERROR(result);
  if (sqlite3_changes(writer_->raw()) == 0) return NotFound(fmt::format("no credential {}", id));
  return Status::Ok();
}

}  // namespace portatlas::store
