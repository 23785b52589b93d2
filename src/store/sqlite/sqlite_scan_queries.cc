// The read side of scan tasks that the AVDS API needs: filtered task lists, a task's open ports
// and addresses, and the project's current open ports over all its tasks. Each method reads in
// one snapshot (a read transaction on a pooled reader connection).
//
// Costs: a task's open-port total comes from its open_count (kept on write); its address count
// and a project's current ports are computed on read, from the scan_records primary key (one
// range per task) and, for the project, one pass over all its records (a window over
// (ip_key, proto, port)).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "core/text.h"
#include "store/sqlite/sqlite_scan_tasks.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace portatlas::store {
namespace {

// `text` as the body of a LIKE pattern with '\' as the escape character: %, _ and \ match
// themselves; with `star_is_wildcard`, '*' matches any run of characters.
std::string LikeBody(std::string_view text, bool star_is_wildcard) {
  std::string out;
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '*' && star_is_wildcard) {
      out.push_back('%');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Contains(std::string_view text, bool star_is_wildcard) {
  // Built in steps: GCC 12 at -O3 warns (-Wrestrict, a false positive) on "%" + string + "%".
  std::string pattern = "%";
  pattern += LikeBody(text, star_is_wildcard);
  pattern += '%';
  return pattern;
}

// Steps `s` to its single row and returns column 0 as an integer (0 when there is no row).
Result<int64_t> CountOf(Stmt& s) {
  auto row = s.Step();
  if (!row) return row.error();
  const int64_t n = *row ? s.Int(0) : 0;
  s.Reset();
  return n;
}

// Appends every remaining row of `s` read as a record.
Status ReadRecords(Stmt& s, int64_t task_id, std::vector<ScanRecordRow>* out) {
  return s.ForEachRow([&](const Stmt& row) -> Status {
    PA_ASSIGN_OR_RETURN(r, ReadScanRecord(row, task_id));
    out->push_back(std::move(r));
    return Status::Ok();
  });
}

}  // namespace

Result<QueryResult<ScanTaskRow>> SqliteStore::FindScanTasks(const ScanTaskQuery& q) {
  QueryResult<ScanTaskRow> out;
  if (q.statuses && q.statuses->empty()) return out;
  std::string where = "project = ?";
  if (q.id) where += " AND id = ?";
  if (!q.search.empty()) where += R"( AND (name LIKE ? ESCAPE '\' OR targets LIKE ? ESCAPE '\'))";
  if (q.statuses) {
    where += " AND status IN (?";
    for (size_t i = 1; i < q.statuses->size(); ++i) where += ",?";
    where += ")";
  }
  const std::string pattern = Contains(q.search, /*star_is_wildcard=*/true);
  // Binds the WHERE parameters from index 1; returns the next index.
  const auto bind = [&](Stmt& s) {
    int i = 1;
    s.Bind(i++, q.project);
    if (q.id) s.Bind(i++, *q.id);
    if (!q.search.empty()) {
      s.Bind(i, pattern).Bind(i + 1, pattern);
      i += 2;
    }
    if (q.statuses) {
      for (const std::string& st : *q.statuses) s.Bind(i++, st);
    }
    return i;
  };

  auto reader = AcquireReader();
  if (!reader) return reader.error();
  SqliteDb& db = reader->db();
  ReadTransaction txn(db);
  PA_RETURN_IF_ERROR(txn.Begin());
  PA_ASSIGN_OR_RETURN(count, db.Cached("SELECT count(*) FROM scan_tasks WHERE " + where));
  bind(*count);
  PA_ASSIGN_OR_RETURN(total, CountOf(*count));
  out.total = total;
  PA_ASSIGN_OR_RETURN(
      s, db.Cached(fmt::format("SELECT {} FROM scan_tasks WHERE {} ORDER BY id DESC LIMIT ? "
                               "OFFSET ?",
                               kScanTaskColumns, where)));
  const int next = bind(*s);
  s->Bind(next, q.page.limit).Bind(next + 1, q.page.offset);
  PA_RETURN_IF_ERROR(s->ForEachRow([&](const Stmt& row) {
    out.rows.push_back(ReadScanTask(row));
    return Status::Ok();
  }));
  return out;
}

namespace {

// The open records of one task, of one address when the query names one: the WHERE clause and
// its parameters (bound from 1; Bind returns the next index).
struct OpenOfTask {
  explicit OpenOfTask(const ScanPortQuery& q)
      : task_id(q.task_id),
        ip_key(q.ip ? IpSortKey(*q.ip) : std::string()),
        where(std::string("task_id = ? AND state = 'open'") + (q.ip ? " AND ip_key = ?" : "")) {}
  int Bind(Stmt& s) const {
    s.Bind(1, task_id);
    if (ip_key.empty()) return 2;
    s.BindBlob(2, ip_key);
    return 3;
  }
  int64_t task_id;
  std::string ip_key;
  std::string where;
};

}  // namespace

Result<QueryResult<ScanRecordRow>> SqliteStore::ListScanOpenPorts(const ScanPortQuery& q) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  SqliteDb& db = reader->db();
  ReadTransaction txn(db);
  PA_RETURN_IF_ERROR(txn.Begin());
  PA_ASSIGN_OR_RETURN(task, SelectScanTask(db, q.project, q.task_id));
  if (!task) return NotFound(fmt::format("no scan task {}", q.task_id));
  const OpenOfTask filter(q);
  QueryResult<ScanRecordRow> out;
  if (!q.ip) {
    out.total = task->open_count;
  } else {
    PA_ASSIGN_OR_RETURN(count,
                        db.Cached("SELECT count(*) FROM scan_records WHERE " + filter.where));
    filter.Bind(*count);
    PA_ASSIGN_OR_RETURN(total, CountOf(*count));
    out.total = total;
  }
  PA_ASSIGN_OR_RETURN(s, db.Cached(fmt::format("SELECT {} FROM scan_records WHERE {} "
                                               "ORDER BY ip_key, proto, port LIMIT ? OFFSET ?",
                                               kScanRecordColumns, filter.where)));
  const int next = filter.Bind(*s);
  s->Bind(next, q.page.limit).Bind(next + 1, q.page.offset);
  PA_RETURN_IF_ERROR(ReadRecords(*s, q.task_id, &out.rows));
  return out;
}

Result<QueryResult<ScanHostRow>> SqliteStore::ListScanHosts(const ScanPortQuery& q) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  SqliteDb& db = reader->db();
  ReadTransaction txn(db);
  PA_RETURN_IF_ERROR(txn.Begin());
  PA_ASSIGN_OR_RETURN(task, SelectScanTask(db, q.project, q.task_id));
  if (!task) return NotFound(fmt::format("no scan task {}", q.task_id));
  const OpenOfTask filter(q);
  QueryResult<ScanHostRow> out;
  PA_ASSIGN_OR_RETURN(
      count, db.Cached("SELECT count(DISTINCT ip_key) FROM scan_records WHERE " + filter.where));
  filter.Bind(*count);
  PA_ASSIGN_OR_RETURN(total, CountOf(*count));
  out.total = total;
  PA_ASSIGN_OR_RETURN(
      s, db.Cached("SELECT ip_key, count(*), max(updated_at) FROM scan_records "
                   "WHERE " +
                   filter.where + " GROUP BY ip_key ORDER BY ip_key LIMIT ? OFFSET ?"));
  const int next = filter.Bind(*s);
  s->Bind(next, q.page.limit).Bind(next + 1, q.page.offset);
  PA_RETURN_IF_ERROR(s->ForEachRow([&](const Stmt& row) -> Status {
    auto ip = IpFromSortKey(row.BlobView(0));
    if (!ip) return InternalError(fmt::format("scan_records of task {}: damaged key", q.task_id));
    out.rows.push_back(ScanHostRow{*ip, row.Int(1), row.Int(2)});
    return Status::Ok();
  }));
  return out;
}

Result<ScanSurfaceCounts> SqliteStore::CountScanSurface(std::string_view project, int64_t task_id) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  SqliteDb& db = reader->db();
  ReadTransaction txn(db);
  PA_RETURN_IF_ERROR(txn.Begin());
  PA_ASSIGN_OR_RETURN(task, SelectScanTask(db, project, task_id));
  if (!task) return NotFound(fmt::format("no scan task {}", task_id));
  PA_ASSIGN_OR_RETURN(hosts, db.Cached("SELECT count(DISTINCT ip_key) FROM scan_records "
                                       "WHERE task_id = ? AND state = 'open'"));
  hosts->Bind(1, task_id);
  PA_ASSIGN_OR_RETURN(n, CountOf(*hosts));
  return ScanSurfaceCounts{task->open_count, n};
}

Result<QueryResult<ScanRecordRow>> SqliteStore::ListProjectOpenPorts(const ProjectPortQuery& q) {
  std::string where = "rn = 1 AND state = 'open'";
  const std::optional<uint64_t> port = ParseUint(q.search, 65535);
  if (!q.search.empty()) {
    where += R"( AND (ip LIKE ? ESCAPE '\' OR service LIKE ? ESCAPE '\' OR product LIKE ? )"
             R"(ESCAPE '\')";
    where += port ? " OR port = ?)" : ")";
  }
  const std::string pattern = Contains(q.search, /*star_is_wildcard=*/false);
  const auto bind = [&](Stmt& s) {
    int i = 1;
    s.Bind(i++, q.project);
    if (!q.search.empty()) {
      s.Bind(i, pattern).Bind(i + 1, pattern).Bind(i + 2, pattern);
      i += 3;
      if (port) s.Bind(i++, static_cast<int64_t>(*port));
    }
    return i;
  };
  // The newest record of each (ip, proto, port) among the project's tasks.
  const std::string newest =
      "WITH newest AS (SELECT r.*, row_number() OVER (PARTITION BY r.ip_key, r.proto, r.port "
      "ORDER BY r.updated_at DESC, r.task_id DESC) AS rn FROM scan_records r "
      "JOIN scan_tasks t ON t.id = r.task_id WHERE t.project = ?) ";

  auto reader = AcquireReader();
  if (!reader) return reader.error();
  SqliteDb& db = reader->db();
  ReadTransaction txn(db);
  PA_RETURN_IF_ERROR(txn.Begin());
  QueryResult<ScanRecordRow> out;
  PA_ASSIGN_OR_RETURN(count, db.Cached(newest + "SELECT count(*) FROM newest WHERE " + where));
  bind(*count);
  PA_ASSIGN_OR_RETURN(total, CountOf(*count));
  out.total = total;
  PA_ASSIGN_OR_RETURN(
      s, db.Cached(fmt::format("{}SELECT {} FROM newest WHERE {} ORDER BY ip_key, proto, port "
                               "LIMIT ? OFFSET ?",
                               newest, kScanRecordColumns, where)));
  const int next = bind(*s);
  s->Bind(next, q.page.limit).Bind(next + 1, q.page.offset);
  PA_RETURN_IF_ERROR(ReadRecords(*s, 0, &out.rows));
  return out;
}

}  // namespace portatlas::store
