// Column lists and row decoders shared by SqliteStore's writer, queries and loader.
#ifndef PORTATLAS_STORE_SQLITE_SQLITE_ROWS_H_
#define PORTATLAS_STORE_SQLITE_SQLITE_ROWS_H_

#include <string>
#include <vector>

#include "store/records.h"
#include "store/sqlite/sqlite_db.h"

namespace portatlas::store {

// The columns of `hosts` in the order ReadStoredHost expects.
inline constexpr const char* kHostColumns =
    "id, project, host_id, agent_id, host_name, host_ip, eps, seq, first_seen, last_seen, ports";

// Reads a row of kHostColumns: its id into *ref, the host and its decoded port set into *out.
// A damaged port set is an error naming the row.
Status ReadStoredHost(const Stmt& s, int64_t* ref, StoredHost* out);

// Credentials keep their enterprise projects newline-joined (ids never contain newlines).
std::string JoinEps(const std::vector<std::string>& eps);
std::vector<std::string> SplitEps(const std::string& joined);

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_SQLITE_ROWS_H_
