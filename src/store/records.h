// Value types the store keeps and returns. Plain data; no behaviour beyond comparison.
#ifndef PORTATLAS_STORE_RECORDS_H_
#define PORTATLAS_STORE_RECORDS_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/scan_record.h"
#include "core/traffic_record.h"
#include "core/types.h"

namespace portatlas::store {

// HSS `category`: ports of host processes, or of containerised processes.
enum class Category : uint8_t { kHost = 0, kContainer = 1 };

struct HostRow {
  std::string project;
  std::string host_id;
  std::string agent_id;
  std::string host_name;
  std::string host_ip;
  std::string eps = "0";  // enterprise project
  int64_t seq = 0;        // newest applied snapshot counter
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
};

// Identity of a port within a host.
struct PortKey {
  uint64_t netns = 0;
  std::string laddr;
  uint16_t port = 0;
  SockType type = SockType::kTcp;
  auto operator<=>(const PortKey&) const = default;
};

struct PortRow {
  std::string project;
  std::string host_id;
  PortKey key;
  std::string eps = "0";
  int pid = 0;
  int sharers = 0;
  std::string path;
  std::string comm;
  bool exe_deleted = false;
  std::string container_id;
  std::string container_runtime;
  std::string service;
  RiskStatus status = RiskStatus::kUnknow;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;

  Category category() const {
    return container_id.empty() ? Category::kHost : Category::kContainer;
  }
};

enum class EventKind : uint8_t { kOpen = 0, kClose = 1, kChange = 2 };

struct PortEvent {
  std::string project;
  std::string host_id;
  int64_t at_ms = 0;
  EventKind kind = EventKind::kOpen;
  PortKey key;
  // The port after the event (for kClose: as it was last seen).
  int pid = 0;
  std::string path;
  std::string container_id;
  RiskStatus status = RiskStatus::kUnknow;
  // For kChange: what it was before.
  std::string old_path;
  std::string old_container_id;
  RiskStatus old_status = RiskStatus::kUnknow;
};

// A host as stored: its row and its whole port set, sorted by key.
struct StoredHost {
  HostRow host;
  std::vector<PortRow> ports;
};

struct PageRequest {
  int limit = 10;
  int offset = 0;
};

template <typename T>
struct QueryResult {
  int64_t total = 0;  // rows matching the filter, not the size of this page
  std::vector<T> rows;
};

// ListPorts: the ports of one host.
struct PortQuery {
  std::string project;
  std::vector<std::string> eps;  // granted enterprise projects to search
  std::string host_id;
  std::string host_name;  // substring, "" = any
  std::string host_ip;    // substring, "" = any
  std::optional<uint16_t> port;
  std::optional<SockType> type;
  std::optional<RiskStatus> status;
  std::optional<Category> category;
  PageRequest page;
};

// ListPortStatistics.
struct PortStatQuery {
  std::string project;
  std::vector<std::string> eps;
  std::optional<uint16_t> port;
  std::string port_substring;  // "" = any
  std::optional<SockType> type;
  std::optional<RiskStatus> status;
  Category category = Category::kHost;
  bool descending = false;
  PageRequest page;
};

struct PortStatRow {
  uint16_t port = 0;
  SockType type = SockType::kTcp;
  int64_t num = 0;
  RiskStatus status = RiskStatus::kUnknow;  // the most severe among the hosts
};

// ListPortHost: who has a port open.
struct PortHostQuery {
  std::string project;
  std::vector<std::string> eps;
  uint16_t port = 0;
  std::optional<SockType> type;
  std::string host_name;
  std::string host_ip;
  std::optional<Category> category;
  PageRequest page;
};

struct PortHostRow {
  PortRow port;
  std::string host_name;
  std::string host_ip;
  std::string agent_id;
};

// ShowAssetStatistic's port_num.
struct PortCountQuery {
  std::string project;
  std::vector<std::string> eps;
  std::string host_id;  // "" = every host
  std::optional<Category> category;
};

// A scan task: one scan or import whose records the server keeps (docs/scan-tasks.md). Kind,
// status and record states are the wire words, checked by the API before they reach the store.
struct ScanTaskRow {
  int64_t id = 0;  // assigned by the store; ids only grow and are never reused
  std::string project;
  std::string name;
  std::string kind;                // connect, syn, udp, import-nmap, import-masscan
  std::string status = "running";  // running, done, failed
  std::string targets;
  std::string ports;
  int64_t probes_done = 0;
  int64_t probes_total = 0;
  int64_t record_count = 0;  // records stored, kept by PutScanRecords
  int64_t open_count = 0;    // of those, the ones in state "open"
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t finished_ms = 0;  // 0 while running
  std::string error;
};

// One port of a scan task as a scan saw it: the scan's own record (core/scan_record.h).
// Identified within its task by (ip, proto, port).
using ScanRecordRow = ::portatlas::ScanRecord;

// The scan tasks of a project that match a filter, newest first (AVDS DescribeScanSessions).
struct ScanTaskQuery {
  std::string project;
  std::optional<int64_t> id;  // only this task
  // Matched case-insensitively (ASCII) against the name and the targets: a substring, where
  // '*' stands for any run of characters. "" matches every task.
  std::string search;
  // Only tasks in one of these statuses; nullopt means any status (an empty list matches none).
  std::optional<std::vector<std::string>> statuses;
  PageRequest page;
};

// The open ports of one scan task (its records in state "open"), optionally of one address,
// in record order (AVDS DescribePorts, DescribeHosts).
struct ScanPortQuery {
  std::string project;
  int64_t task_id = 0;
  std::optional<IpAddr> ip;  // only this address
  PageRequest page;
};

// One address of a scan task with at least one open port.
struct ScanHostRow {
  IpAddr ip;
  int64_t open_ports = 0;
  int64_t updated_ms = 0;  // the newest updated_ms among its open records
};

// What a scan task found: open port records and the distinct addresses holding them.
struct ScanSurfaceCounts {
  int64_t open_ports = 0;
  int64_t hosts = 0;
};

// The project's current open ports over all its scan tasks: for each (ip, proto, port), the
// newest record (greatest updated_ms, then greatest task id), kept when its state is "open"
// (AVDS ListUserPorts).
struct ProjectPortQuery {
  std::string project;
  // Case-insensitive (ASCII) substring of the address text, service or product, or the exact
  // port number; "" matches everything.
  std::string search;
  PageRequest page;
};

enum class CredentialKind : uint8_t { kToken = 0, kAkSk = 1 };

struct CredentialRow {
  std::string id;  // public handle for list/revoke
  CredentialKind kind = CredentialKind::kToken;
  std::string project;
  std::vector<std::string> eps;
  std::string token_hash;  // kToken: hex SHA-256 of the token
  std::string access_key;  // kAkSk
  std::string sealed_sk;   // kAkSk: the secret key, encrypted at rest
  int64_t created_ms = 0;
  bool revoked = false;
};

using TrafficRecord = ::portatlas::TrafficRecord;

// The traffic view keeps each record twice: per UTC hour (kept 30 days by default) and per UTC
// day (400 days), so that long windows read few rows.
enum class TrafficGranularity : uint8_t { kHour = 0, kDay = 1 };

// Traffic records of a project at one granularity whose bucket starts in [from_ms, to_ms),
// optionally of one address, protocol and port; at most `limit` rows (in key order).
struct TrafficQuery {
  std::string project;
  TrafficGranularity granularity = TrafficGranularity::kHour;
  int64_t from_ms = 0;
  int64_t to_ms = INT64_MAX;
  std::optional<IpAddr> ip;
  std::optional<Proto> proto;
  std::optional<uint16_t> port;
  int limit = 10000;
};

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_RECORDS_H_
