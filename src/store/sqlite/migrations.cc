#include "store/sqlite/migrations.h"

#include <fmt/format.h>

#include <array>

namespace portatlas::store {
namespace {

// Types are SockType and RiskStatus and Category enum values; times are epoch milliseconds.
constexpr std::array<std::string_view, 4> kMigrations = {
    R"sql(
CREATE TABLE hosts(
  project TEXT NOT NULL, host_id TEXT NOT NULL, agent_id TEXT NOT NULL,
  host_name TEXT NOT NULL, host_ip TEXT NOT NULL, eps TEXT NOT NULL, seq INTEGER NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  PRIMARY KEY(project, host_id)) WITHOUT ROWID;
CREATE TABLE ports(
  project TEXT NOT NULL, host_id TEXT NOT NULL, netns INTEGER NOT NULL, laddr TEXT NOT NULL,
  port INTEGER NOT NULL, type INTEGER NOT NULL, eps TEXT NOT NULL, category INTEGER NOT NULL,
  pid INTEGER NOT NULL, sharers INTEGER NOT NULL, path TEXT NOT NULL, comm TEXT NOT NULL,
  exe_deleted INTEGER NOT NULL, container_id TEXT NOT NULL, container_runtime TEXT NOT NULL,
  service TEXT NOT NULL, status INTEGER NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  PRIMARY KEY(project, host_id, netns, laddr, port, type)) WITHOUT ROWID;
CREATE INDEX ports_by_port ON ports(project, port, type);
CREATE TABLE port_events(
  id INTEGER PRIMARY KEY, project TEXT NOT NULL, host_id TEXT NOT NULL, at INTEGER NOT NULL,
  kind INTEGER NOT NULL, netns INTEGER NOT NULL, laddr TEXT NOT NULL, port INTEGER NOT NULL,
  type INTEGER NOT NULL, pid INTEGER NOT NULL, path TEXT NOT NULL, container_id TEXT NOT NULL,
  status INTEGER NOT NULL, old_path TEXT NOT NULL, old_container_id TEXT NOT NULL,
  old_status INTEGER NOT NULL);
CREATE INDEX port_events_by_host ON port_events(project, host_id, at);
CREATE TABLE port_stats(
  project TEXT NOT NULL, eps TEXT NOT NULL, category INTEGER NOT NULL, port INTEGER NOT NULL,
  type INTEGER NOT NULL, num INTEGER NOT NULL, danger INTEGER NOT NULL, normal INTEGER NOT NULL,
  sockets INTEGER NOT NULL,
  PRIMARY KEY(project, eps, category, port, type)) WITHOUT ROWID;
CREATE TABLE credentials(
  id TEXT PRIMARY KEY, kind INTEGER NOT NULL, project TEXT NOT NULL, eps TEXT NOT NULL,
  token_hash TEXT NOT NULL, access_key TEXT NOT NULL, sealed_sk TEXT NOT NULL,
  created INTEGER NOT NULL, revoked INTEGER NOT NULL);
CREATE UNIQUE INDEX credentials_by_token ON credentials(token_hash) WHERE kind = 0;
CREATE UNIQUE INDEX credentials_by_ak ON credentials(access_key) WHERE kind = 1;
)sql",
    // 2: a host is one row holding its whole port set (row_codec.h), and a report's changes
    // one row of history; the aggregates live in memory (PortIndex), rebuilt at start. One
    // B-tree write per host instead of three per port record.
    R"sql(
CREATE TABLE hosts_v2(
  id INTEGER PRIMARY KEY, project TEXT NOT NULL, host_id TEXT NOT NULL, agent_id TEXT NOT NULL,
  host_name TEXT NOT NULL, host_ip TEXT NOT NULL, eps TEXT NOT NULL, seq INTEGER NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, ports TEXT NOT NULL);
INSERT INTO hosts_v2(project, host_id, agent_id, host_name, host_ip, eps, seq, first_seen,
                     last_seen, ports)
SELECT h.project, h.host_id, h.agent_id, h.host_name, h.host_ip, h.eps, h.seq, h.first_seen,
  h.last_seen,
  (SELECT json_group_array(json(json_array(netns, laddr, port, type, pid, sharers, path, comm,
            exe_deleted, container_id, container_runtime, service, status, first_seen,
            last_seen)))
   FROM (SELECT * FROM ports p WHERE p.project = h.project AND p.host_id = h.host_id
         ORDER BY netns, laddr, port, type))
FROM hosts h ORDER BY h.project, h.host_id;
CREATE TABLE events(
  id INTEGER PRIMARY KEY, project TEXT NOT NULL, host_id TEXT NOT NULL, at INTEGER NOT NULL,
  changes TEXT NOT NULL);
INSERT INTO events(project, host_id, at, changes)
SELECT project, host_id, at, json_array(json_array(kind, netns, laddr, port, type, pid, path,
  container_id, status, old_path, old_container_id, old_status))
FROM port_events ORDER BY id;
DROP TABLE port_events;
DROP TABLE port_stats;
DROP TABLE ports;
DROP TABLE hosts;
ALTER TABLE hosts_v2 RENAME TO hosts;
CREATE UNIQUE INDEX hosts_by_key ON hosts(project, host_id);
CREATE INDEX events_by_host ON events(project, host_id, at);
)sql",
    // 3: scan tasks and their records (docs/scan-tasks.md). Task ids are AUTOINCREMENT so an id
    // is never handed out twice. A record's key orders its address numerically: ip_key is a
    // family byte (4 or 6) and the address bytes; ip keeps the text form for people. The
    // primary key is both the replace-on-resend rule and the per-task paging order.
    R"sql(
CREATE TABLE scan_tasks(
  id INTEGER PRIMARY KEY AUTOINCREMENT, project TEXT NOT NULL, name TEXT NOT NULL,
  kind TEXT NOT NULL, status TEXT NOT NULL, targets TEXT NOT NULL, ports TEXT NOT NULL,
  probes_done INTEGER NOT NULL, probes_total INTEGER NOT NULL, record_count INTEGER NOT NULL,
  open_count INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL, error TEXT NOT NULL);
CREATE INDEX scan_tasks_by_project ON scan_tasks(project, id);
CREATE TABLE scan_records(
  task_id INTEGER NOT NULL, ip_key BLOB NOT NULL, proto TEXT NOT NULL, port INTEGER NOT NULL,
  ip TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL, reason_ttl INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, service TEXT NOT NULL, product TEXT NOT NULL,
  version TEXT NOT NULL, info TEXT NOT NULL, cpe TEXT NOT NULL, tls TEXT NOT NULL,
  banner_hash TEXT NOT NULL,
  PRIMARY KEY(task_id, ip_key, proto, port)) WITHOUT ROWID;
)sql",
    // 4: the traffic view (docs/traffic.md). A record per (project, granularity: 0 hour, 1
    // day, server address, protocol, port, bucket start); ip_key orders addresses as in
    // scan_records. protocols, unknown and server_names are JSON objects of names and counts;
    // sources a DistinctCount text. traffic_batches holds the names of applied collector batches.
    R"sql(
CREATE TABLE traffic(
  project TEXT NOT NULL, granularity INTEGER NOT NULL, ip_key BLOB NOT NULL, proto TEXT NOT NULL,
  port INTEGER NOT NULL, bucket INTEGER NOT NULL, ip TEXT NOT NULL, bytes_in INTEGER NOT NULL,
  bytes_out INTEGER NOT NULL, packets_in INTEGER NOT NULL, packets_out INTEGER NOT NULL,
  flows INTEGER NOT NULL, sources TEXT NOT NULL, protocols TEXT NOT NULL, unknown TEXT NOT NULL,
  server_names TEXT NOT NULL,
  PRIMARY KEY(project, granularity, ip_key, proto, port, bucket)) WITHOUT ROWID;
CREATE INDEX traffic_by_bucket ON traffic(granularity, bucket);
CREATE TABLE traffic_batches(
  project TEXT NOT NULL, collector TEXT NOT NULL, batch INTEGER NOT NULL,
  claimed_at INTEGER NOT NULL, PRIMARY KEY(project, collector, batch)) WITHOUT ROWID;
CREATE INDEX traffic_batches_by_time ON traffic_batches(claimed_at);
)sql",
};

}  // namespace

std::span<const std::string_view> SqliteMigrations() { return kMigrations; }

Status MigrateSqlite(SqliteDb& db) {
  PA_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  int64_t version = 0;
  {
    // Finalised before the migrations run: DROP TABLE fails while any statement is active.
    auto version_stmt = db.Prepare("PRAGMA user_version");
    if (!version_stmt) return version_stmt.error();
    auto row = version_stmt->Step();
    if (!row) return row.error();
    version = version_stmt->Int(0);
  }
  Status st;
  if (version > static_cast<int64_t>(kMigrations.size())) {
    st = Unavailable(fmt::format("database schema version {} is newer than this binary's {}",
                                 version, kMigrations.size()));
  }
  for (size_t v = static_cast<size_t>(version); st.ok() && v < kMigrations.size(); ++v) {
    st = db.Exec(kMigrations[v]);
    if (st.ok()) st = db.Exec(fmt::format("PRAGMA user_version = {}", v + 1));
  }
  if (!st.ok()) {
    (void)db.Exec("ROLLBACK");
    return st;
  }
  return db.Exec("COMMIT");
}

}  // namespace portatlas::store
