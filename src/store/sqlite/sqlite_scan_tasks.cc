// Scan tasks in SQLite. A task's record_count and open_count are kept on each write (the record
// being replaced is looked up first), so reading a task never counts its records.
#include "store/sqlite/sqlite_scan_tasks.h"

#include <fmt/format.h>

#include <cstring>

#include "store/sqlite/sqlite_store_impl.h"

namespace portatlas::store {
namespace {

int64_t IsOpen(std::string_view state) { return state == "open" ? 1 : 0; }

}  // namespace

ScanTaskRow ReadScanTask(const Stmt& s) {
  ScanTaskRow t;
  t.id = s.Int(0);
  t.project = s.Text(1);
  t.name = s.Text(2);
  t.kind = s.Text(3);
  t.status = s.Text(4);
  t.targets = s.Text(5);
  t.ports = s.Text(6);
  t.probes_done = s.Int(7);
  t.probes_total = s.Int(8);
  t.record_count = s.Int(9);
  t.open_count = s.Int(10);
  t.created_ms = s.Int(11);
  t.updated_ms = s.Int(12);
  t.finished_ms = s.Int(13);
  t.error = s.Text(14);
  return t;
}

Result<ScanRecordRow> ReadScanRecord(const Stmt& s, int64_t task_id) {
  ScanRecordRow r;
  auto ip = IpFromSortKey(s.BlobView(0));
  const std::string_view proto = s.View(1);
  const int64_t port = s.Int(2);
  if (!ip || (proto != "tcp" && proto != "udp") || port < 0 || port > 65535) {
    return InternalError(fmt::format("scan_records of task {}: damaged key", task_id));
  }
  r.ip = *ip;
  r.proto = proto == "udp" ? Proto::kUdp : Proto::kTcp;
  r.port = static_cast<uint16_t>(port);
  r.state = s.Text(3);
  r.reason = s.Text(4);
  r.reason_ttl = static_cast<int>(s.Int(5));
  r.updated_at_ms = s.Int(6);
  r.service = s.Text(7);
  r.product = s.Text(8);
  r.version = s.Text(9);
  r.info = s.Text(10);
  r.cpe = s.Text(11);
  r.tls = s.Text(12);
  r.banner_hash = s.Text(13);
  return r;
}

ReadTransaction::~ReadTransaction() {
  if (!open_) return;
  db_.ResetAll();
  (void)db_.Exec("COMMIT");
}

Status ReadTransaction::Begin() {
  PA_RETURN_IF_ERROR(db_.Exec("BEGIN"));
  open_ = true;
  return Status::Ok();
}

std::string IpSortKey(const IpAddr& ip) {
  const bool v4 = ip.family == Family::kIpv4;
  std::string key(1, v4 ? '\x04' : '\x06');
  key.append(reinterpret_cast<const char*>(ip.bytes.data()), v4 ? 4 : 16);
  return key;
}

std::optional<IpAddr> IpFromSortKey(std::string_view key) {
  IpAddr ip;
  if (key.size() == 5 && key[0] == '\x04') {
    ip.family = Family::kIpv4;
  } else if (key.size() == 17 && key[0] == '\x06') {
    ip.family = Family::kIpv6;
  } else {
    return std::nullopt;
  }
  std::memcpy(ip.bytes.data(), key.data() + 1, key.size() - 1);
  return ip;
}

Result<int64_t> InsertScanTask(SqliteDb& db, const ScanTaskRow& t) {
  PA_ASSIGN_OR_RETURN(s, db.Cached(fmt::format(
                             "INSERT INTO scan_tasks({}) VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             kScanTaskColumns)));
  s->Bind(1, t.project).Bind(2, t.name).Bind(3, t.kind).Bind(4, t.status).Bind(5, t.targets);
  s->Bind(6, t.ports).Bind(7, t.probes_done).Bind(8, t.probes_total).Bind(9, t.record_count);
  s->Bind(10, t.open_count).Bind(11, t.created_ms).Bind(12, t.updated_ms);
  s->Bind(13, t.finished_ms).Bind(14, t.error);
  Status st = s->Run();
  s->Reset();
  PA_RETURN_IF_ERROR(st);
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db.raw()));
}

Result<std::optional<ScanTaskRow>> SelectScanTask(SqliteDb& db, std::string_view project,
                                                  int64_t id) {
  PA_ASSIGN_OR_RETURN(
      s, db.Cached(fmt::format("SELECT {} FROM scan_tasks WHERE id = ? AND project = ?",
                               kScanTaskColumns)));
  s->Bind(1, id).Bind(2, project);
  auto row = s->Step();
  if (!row) return row.error();
  std::optional<ScanTaskRow> out;
  if (*row) out = ReadScanTask(*s);
  s->Reset();
  return out;
}

Status UpdateScanTaskRow(SqliteDb& db, const ScanTaskRow& t) {
  PA_ASSIGN_OR_RETURN(s, db.Cached("UPDATE scan_tasks SET status = ?, probes_done = ?, "
                                   "probes_total = ?, updated_at = ?, finished_at = ?, error = ? "
                                   "WHERE id = ?"));
  s->Bind(1, t.status).Bind(2, t.probes_done).Bind(3, t.probes_total).Bind(4, t.updated_ms);
  s->Bind(5, t.finished_ms).Bind(6, t.error).Bind(7, t.id);
  Status st = s->Run();
  s->Reset();
  PA_RETURN_IF_ERROR(st);
  if (sqlite3_changes(db.raw()) == 0) return NotFound(fmt::format("no scan task {}", t.id));
  return Status::Ok();
}

Status UpsertScanRecords(SqliteDb& db, int64_t task_id, std::span<const ScanRecordRow> records,
                         int64_t now_ms) {
  PA_ASSIGN_OR_RETURN(
      insert, db.Cached("INSERT INTO scan_records(task_id, ip, " + std::string(kScanRecordColumns) +
                        ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"));
  PA_ASSIGN_OR_RETURN(old_state, db.Cached("SELECT state FROM scan_records WHERE task_id = ? AND "
                                           "ip_key = ? AND proto = ? AND port = ?"));
  PA_ASSIGN_OR_RETURN(
      update, db.Cached("UPDATE scan_records SET ip = ?, state = ?, reason = ?, reason_ttl = ?, "
                        "updated_at = ?, service = ?, product = ?, version = ?, info = ?, "
                        "cpe = ?, tls = ?, banner_hash = ? "
                        "WHERE task_id = ? AND ip_key = ? AND proto = ? AND port = ?"));
  int64_t added = 0;
  int64_t open_delta = 0;
  for (const ScanRecordRow& r : records) {
    const std::string key = IpSortKey(r.ip);
    const std::string ip = r.ip.ToString();
    const std::string proto(ProtoName(r.proto));
    insert->Bind(1, task_id).Bind(2, ip).BindBlob(3, key).Bind(4, proto).Bind(5, r.port);
    insert->Bind(6, r.state).Bind(7, r.reason).Bind(8, r.reason_ttl).Bind(9, r.updated_at_ms);
    insert->Bind(10, r.service).Bind(11, r.product).Bind(12, r.version).Bind(13, r.info);
    insert->Bind(14, r.cpe).Bind(15, r.tls).Bind(16, r.banner_hash);
    Status st = insert->Run();
    insert->Reset();
    PA_RETURN_IF_ERROR(st);
    if (sqlite3_changes(db.raw()) == 1) {
      ++added;
      open_delta += IsOpen(r.state);
      continue;
    }
    // The key is stored already: the record replaces it, and the counters follow its state.
    old_state->Bind(1, task_id).BindBlob(2, key).Bind(3, proto).Bind(4, r.port);
    auto found = old_state->Step();
    const int64_t was_open = found && *found ? IsOpen(old_state->View(0)) : 0;
    old_state->Reset();
    if (!found) return found.error();
    open_delta += IsOpen(r.state) - was_open;
    update->Bind(1, ip).Bind(2, r.state).Bind(3, r.reason).Bind(4, r.reason_ttl);
    update->Bind(5, r.updated_at_ms).Bind(6, r.service).Bind(7, r.product).Bind(8, r.version);
    update->Bind(9, r.info).Bind(10, r.cpe).Bind(11, r.tls).Bind(12, r.banner_hash);
    update->Bind(13, task_id).BindBlob(14, key).Bind(15, proto).Bind(16, r.port);
    st = update->Run();
    update->Reset();
    PA_RETURN_IF_ERROR(st);
  }
  PA_ASSIGN_OR_RETURN(counts,
                      db.Cached("UPDATE scan_tasks SET record_count = record_count + ?, "
                                "open_count = open_count + ?, updated_at = ? WHERE id = ?"));
  counts->Bind(1, added).Bind(2, open_delta).Bind(3, now_ms).Bind(4, task_id);
  Status st = counts->Run();
  counts->Reset();
  return st;
}

Result<std::optional<ScanTaskRow>> SqliteStore::GetScanTask(std::string_view project, int64_t id) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  return SelectScanTask(reader->db(), project, id);
}

Result<QueryResult<ScanTaskRow>> SqliteStore::ListScanTasks(std::string_view project,
                                                            PageRequest page) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  SqliteDb& db = reader->db();
  ReadTransaction txn(db);
  PA_RETURN_IF_ERROR(txn.Begin());
  QueryResult<ScanTaskRow> out;
  PA_ASSIGN_OR_RETURN(count, db.Cached("SELECT count(*) FROM scan_tasks WHERE project = ?"));
  count->Bind(1, project);
  auto counted = count->Step();
  if (!counted) return counted.error();
  out.total = *counted ? count->Int(0) : 0;
  count->Reset();
  PA_ASSIGN_OR_RETURN(
      s, db.Cached(fmt::format(
             "SELECT {} FROM scan_tasks WHERE project = ? ORDER BY id DESC LIMIT ? OFFSET ?",
             kScanTaskColumns)));
  s->Bind(1, project).Bind(2, page.limit).Bind(3, page.offset);
  PA_RETURN_IF_ERROR(s->ForEachRow([&](const Stmt& row) {
    out.rows.push_back(ReadScanTask(row));
    return Status::Ok();
  }));
  return out;
}

Result<QueryResult<ScanRecordRow>> SqliteStore::ListScanRecords(std::string_view project,
                                                                int64_t task_id, PageRequest page) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  SqliteDb& db = reader->db();
  ReadTransaction txn(db);
  PA_RETURN_IF_ERROR(txn.Begin());
  PA_ASSIGN_OR_RETURN(task, SelectScanTask(db, project, task_id));
  if (!task) return NotFound(fmt::format("no scan task {}", task_id));
  QueryResult<ScanRecordRow> out;
  out.total = task->record_count;
  PA_ASSIGN_OR_RETURN(s, db.Cached(fmt::format("SELECT {} FROM scan_records WHERE task_id = ? "
                                               "ORDER BY ip_key, proto, port LIMIT ? OFFSET ?",
                                               kScanRecordColumns)));
  s->Bind(1, task_id).Bind(2, page.limit).Bind(3, page.offset);
  PA_RETURN_IF_ERROR(s->ForEachRow([&](const Stmt& row) -> Status {
    PA_ASSIGN_OR_RETURN(r, ReadScanRecord(row, task_id));
    out.rows.push_back(std::move(r));
    return Status::Ok();
  }));
  return out;
}

}  // namespace portatlas::store
