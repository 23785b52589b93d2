#include "store/sqlite/sqlite_traffic.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/traffic_json.h"
#include "store/sqlite/sqlite_scan_tasks.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace portatlas::store {
namespace {

constexpr const char* kColumns =
    "ip_key, proto, port, bucket, bytes_in, bytes_out, packets_in, packets_out, flows, sources, "
    "protocols, unknown, server_names";

int64_t Stored(uint64_t v) { return static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX)); }
uint64_t Loaded(int64_t v) { return v < 0 ? 0 : static_cast<uint64_t>(v); }

Result<TrafficRecord> ReadTraffic(const Stmt& s) {
  TrafficRecord r;
  auto ip = IpFromSortKey(s.BlobView(0));
  const std::string_view proto = s.View(1);
  const int64_t port = s.Int(2);
  if (!ip || (proto != "tcp" && proto != "udp") || port < 0 || port > 65535) {
    return InternalError("traffic: a damaged key");
  }
  r.ip = *ip;
  r.proto = proto == "udp" ? Proto::kUdp : Proto::kTcp;
  r.port = static_cast<uint16_t>(port);
  r.bucket_ms = s.Int(3);
  r.bytes_in = Loaded(s.Int(4));
  r.bytes_out = Loaded(s.Int(5));
  r.packets_in = Loaded(s.Int(6));
  r.packets_out = Loaded(s.Int(7));
  r.flows = Loaded(s.Int(8));
  r.sources = s.Text(9);
  auto protocols = ParseNamedCountsJson(s.View(10));
  auto unknown = ParseNamedCountsJson(s.View(11));
  auto names = ParseNamedCountsJson(s.View(12));
  if (!protocols || !unknown || !names) return InternalError("traffic: damaged named counts");
  r.protocols = std::move(*protocols);
  r.unknown = std::move(*unknown);
  r.server_names = std::move(*names);
  return r;
}

}  // namespace

Result<bool> ClaimTrafficBatchRow(SqliteDb& db, std::string_view project,
                                  std::string_view collector, uint64_t batch, int64_t now_ms) {
  PA_ASSIGN_OR_RETURN(s, db.Cached("INSERT INTO traffic_batches(project, collector, batch, "
                                   "claimed_at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING"));
  s->Bind(1, project).Bind(2, collector).Bind(3, Stored(batch)).Bind(4, now_ms);
  Status st = s->Run();
  s->Reset();
  PA_RETURN_IF_ERROR(st);
  return sqlite3_changes(db.raw()) == 1;
}

Result<std::optional<TrafficRecord>> SelectTraffic(SqliteDb& db, std::string_view project,
                                                   TrafficGranularity granularity,
                                                   const TrafficRecord& key) {
  PA_ASSIGN_OR_RETURN(
      s, db.Cached(fmt::format("SELECT {} FROM traffic WHERE project = ? AND granularity = ? AND "
                               "ip_key = ? AND proto = ? AND port = ? AND bucket = ?",
                               kColumns)));
  s->Bind(1, project).Bind(2, static_cast<int64_t>(granularity)).BindBlob(3, IpSortKey(key.ip));
  s->Bind(4, ProtoName(key.proto)).Bind(5, key.port).Bind(6, key.bucket_ms);
  auto row = s->Step();
  std::optional<TrafficRecord> out;
  Status st = row ? Status::Ok() : row.error();
  if (row && *row) {
    auto r = ReadTraffic(*s);
    if (r) {
      out = std::move(*r);
    } else {
      st = r.error();
    }
  }
  s->Reset();
  PA_RETURN_IF_ERROR(st);
  return out;
}

Status UpsertTraffic(SqliteDb& db, std::string_view project, TrafficGranularity granularity,
                     const TrafficRecord& r) {
  PA_ASSIGN_OR_RETURN(
      s, db.Cached(fmt::format("INSERT OR REPLACE INTO traffic(project, granularity, ip, {}) "
                               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               kColumns)));
  s->Bind(1, project).Bind(2, static_cast<int64_t>(granularity)).Bind(3, r.ip.ToString());
  s->BindBlob(4, IpSortKey(r.ip)).Bind(5, ProtoName(r.proto)).Bind(6, r.port);
  s->Bind(7, r.bucket_ms).Bind(8, Stored(r.bytes_in)).Bind(9, Stored(r.bytes_out));
  s->Bind(10, Stored(r.packets_in)).Bind(11, Stored(r.packets_out)).Bind(12, Stored(r.flows));
  s->Bind(13, r.sources).Bind(14, NamedCountsJson(r.protocols));
  s->Bind(15, NamedCountsJson(r.unknown)).Bind(16, NamedCountsJson(r.server_names));
  Status st = s->Run();
  s->Reset();
  return st;
}

Result<int64_t> DeleteOldTraffic(SqliteDb& db, int64_t hourly_before_ms, int64_t daily_before_ms,
                                 int64_t batches_before_ms) {
  int64_t deleted = 0;
  const std::pair<const char*, std::vector<int64_t>> deletes[] = {
      {"DELETE FROM traffic WHERE granularity = 0 AND bucket < ?", {hourly_before_ms}},
      {"DELETE FROM traffic WHERE granularity = 1 AND bucket < ?", {daily_before_ms}},
      {"DELETE FROM traffic_batches WHERE claimed_at < ?", {batches_before_ms}},
  };
  for (const auto& [sql, args] : deletes) {
    PA_ASSIGN_OR_RETURN(s, db.Cached(sql));
    s->Bind(1, args[0]);
    Status st = s->Run();
    s->Reset();
    PA_RETURN_IF_ERROR(st);
    deleted += sqlite3_changes(db.raw());
  }
  return deleted;
}

Result<std::vector<TrafficRecord>> SelectTrafficRange(SqliteDb& db, const TrafficQuery& q) {
  std::string sql = fmt::format(
      "SELECT {} FROM traffic WHERE project = ? AND granularity = ? AND bucket >= ? AND "
      "bucket < ?",
      kColumns);
  if (q.ip) sql += " AND ip_key = ?";
  if (q.proto) sql += " AND proto = ?";
  if (q.port) sql += " AND port = ?";
  sql += " ORDER BY ip_key, proto, port, bucket LIMIT ?";
  PA_ASSIGN_OR_RETURN(s, db.Cached(sql));
  s->Bind(1, q.project).Bind(2, static_cast<int64_t>(q.granularity));
  s->Bind(3, q.from_ms).Bind(4, q.to_ms);
  int i = 5;
  if (q.ip) s->BindBlob(i++, IpSortKey(*q.ip));
  if (q.proto) s->Bind(i++, ProtoName(*q.proto));
  if (q.port) s->Bind(i++, int64_t{*q.port});
  s->Bind(i, int64_t{std::max(q.limit, 0)});
  std::vector<TrafficRecord> out;
  Status st = s->ForEachRow([&](const Stmt& row) -> Status {
    PA_ASSIGN_OR_RETURN(r, ReadTraffic(row));
    out.push_back(std::move(r));
    return Status::Ok();
  });
  s->Reset();
  PA_RETURN_IF_ERROR(st);
  return out;
}

Result<std::vector<TrafficRecord>> SqliteStore::ListTraffic(const TrafficQuery& q) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  return SelectTrafficRange(reader->db(), q);
}

}  // namespace portatlas::store
