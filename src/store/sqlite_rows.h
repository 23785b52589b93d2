// Column lists and row decoders shared by SqliteStore's writer and queries.
#ifndef PORTATLAS_STORE_SQLITE_ROWS_H_
#define PORTATLAS_STORE_SQLITE_ROWS_H_

#include <string>
#include <string_view>
#include <vector>

#include "store/records.h"
#include "store/sqlite_db.h"

namespace portatlas::store {

// Columns of `ports` in the order ReadPortRow expects, each with `prefix` ("p."), comma-joined.
std::string PortColumns(std::string_view prefix = "");
inline constexpr int kPortColumnCount = 18;

// Reads a PortRow from columns [first, first + kPortColumnCount).
PortRow ReadPortRow(const Stmt& s, int first = 0);

// Credentials keep their enterprise projects newline-joined (ids never contain newlines).
std::string JoinEps(const std::vector<std::string>& eps);
std::vector<std::string> SplitEps(const std::string& joined);

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_ROWS_H_
