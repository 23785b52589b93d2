// sql_baseline: times plain SQL against an SQLite file, the peer of the server's queries.
//
//   sql_baseline --db FILE [--materialize [--plain-index natural|covering]] [--runs N] [--warmup W]
//   [--pragma NAME=VALUE ...]
//                [--query NAME=SQL ...]
//
// The file is opened read-only, unless --materialize is given. Then, before any query, it
// rebuilds the table `plain_ports` in the file: the plain, normalised form of a schema-2 store,
// one row per port record, unpacked from hosts.ports (a JSON array of 15-value arrays, see
// src/store/row_codec.h) with json_each. Each row carries its host's row id (host_ref), project,
// host_id and eps, the 15 values under their own names, and category (1 when container_id is
// not empty). Two covering indexes follow, one for the statistics and one for ListPortHost:
//   plain_ports_by_group(project, category, eps, port, type, host_ref, status)
//   plain_ports_by_port(project, port, eps, type, host_ref, netns, laddr)
// and ANALYZE. It fails unless every element is an array of 15 values, and prints what it took:
//   RESULT name=materialize rows=N hosts=H container_rows=C check_ms=.. insert_ms=..
//          index_ms=.. analyze_ms=..
// With --materialize, queries are optional.
//
// Each --pragma runs once after that (the server's readers use cache_size=-16384 and
// mmap_size=268435456). A query's SQL may hold several statements separated by ';' (say a
// COUNT(*) for the total and the page itself): one run steps them all to the end, one after the
// other, and is timed as a whole on steady_clock. Statements are prepared once, before any run,
// as a server would cache them. After W warm-up runs of each (default 1), the queries run in
// turn, N times each (default 20): A B C A B C ...
//
// Output, the query plans and a table for people, then lines for scripts:
//   plan Q#I: the steps of EXPLAIN QUERY PLAN for statement I of query Q
//   RESULT name=Q runs=N p50_ms=.. p99_ms=.. mean_ms=.. min_ms=.. max_ms=..
//   ANSWER name=Q [[row, ...] per statement], each row an array of its values
// The ANSWER is what the first warm-up run returned, to check against the server's answer.
//
// `sql_baseline --selftest` checks this program, not a store: it writes a small schema-2 file
// in $TMPDIR, materialises it, compares the rows and the answers of the bench's query shapes
// with answers worked out by hand, and checks that a damaged element stops --materialize.
// Exit status: 0, 1 on an SQLite error or a failed self-test, 2 on bad usage.
#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace portatlas::bench {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStmt {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

struct Query {
  std::string name;
  std::string sql;
  std::vector<StmtPtr> stmts;
  std::vector<double> samples_ms;
  std::string answer;  // JSON, from the first run
};

struct Options {
  std::string db;
  bool materialize = false;
  bool covering = false;  // --plain-index covering
  bool selftest = false;
  int runs = 20;
  int warmup = 1;
  std::vector<std::string> pragmas;
  std::vector<Query> queries;
};

bool ParseCount(std::string_view text, int min, int* out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min) return false;
  *out = value;
  return true;
}

bool ParseArgs(int argc, char** argv, Options* opts) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--materialize") {
      opts->materialize = true;
      continue;
    }
    if (arg == "--selftest") {
      opts->selftest = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string_view value = argv[++i];
    const size_t eq = value.find('=');
    if (arg == "--db") {
      opts->db = std::string(value);
    } else if (arg == "--plain-index" && (value == "natural" || value == "covering")) {
      opts->covering = value == "covering";
    } else if (arg == "--runs") {
      if (!ParseCount(value, 1, &opts->runs)) return false;
    } else if (arg == "--warmup") {
      if (!ParseCount(value, 1, &opts->warmup)) return false;
    } else if (arg == "--pragma" && eq != std::string_view::npos) {
      opts->pragmas.push_back(fmt::format("PRAGMA {}", value));
    } else if (arg == "--query" && eq != std::string_view::npos && eq > 0) {
      Query q;
      q.name = std::string(value.substr(0, eq));
      q.sql = std::string(value.substr(eq + 1));
      opts->queries.push_back(std::move(q));
    } else {
      fmt::print(stderr, "sql_baseline: bad argument {} {}\n", arg, value);
      return false;
    }
  }
  if (opts->selftest) return true;
  return !opts->db.empty() && (opts->materialize || !opts->queries.empty());
}

bool Fail(sqlite3* db, std::string_view what) {
  fmt::print(stderr, "sql_baseline: {}: {}\n", what, sqlite3_errmsg(db));
  return false;
}

// Prepares every statement of q.sql.
bool Prepare(sqlite3* db, Query* q) {
  const char* tail = q->sql.c_str();
  while (*tail != '\0') {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, tail, -1, &raw, &tail) != SQLITE_OK) {
      return Fail(db, fmt::format("preparing {}", q->name));
    }
    if (raw != nullptr) q->stmts.emplace_back(raw);  // null for blanks after the last ';'
  }
  if (q->stmts.empty()) return Fail(db, fmt::format("{} holds no statement", q->name));
  return true;
}

void WriteValue(JsonWriter& w, sqlite3_stmt* s, int col) {
  switch (sqlite3_column_type(s, col)) {
    case SQLITE_INTEGER:
      w.Int64(sqlite3_column_int64(s, col));
      break;
    case SQLITE_FLOAT:
      w.Double(sqlite3_column_double(s, col));
      break;
    case SQLITE_NULL:
      w.Null();
      break;
    default:
      w.String(reinterpret_cast<const char*>(sqlite3_column_text(s, col)),
               static_cast<rapidjson::SizeType>(sqlite3_column_bytes(s, col)));
  }
}

// Steps every statement of `q` to the end; records the rows when `answer` is not null.
bool RunOnce(sqlite3* db, Query* q, JsonWriter* answer) {
  if (answer != nullptr) answer->StartArray();
  for (StmtPtr& stmt : q->stmts) {
    sqlite3_stmt* s = stmt.get();
    if (answer != nullptr) answer->StartArray();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      if (answer == nullptr) continue;
      answer->StartArray();
      for (int c = 0; c < sqlite3_column_count(s); ++c) WriteValue(*answer, s, c);
      answer->EndArray();
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return Fail(db, fmt::format("running {}", q->name));
    if (answer != nullptr) answer->EndArray();
  }
  if (answer != nullptr) answer->EndArray();
  return true;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

bool RunAll(sqlite3* db, Options* opts) {
  for (Query& q : opts->queries) {
    for (int i = 0; i < opts->warmup; ++i) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      if (!RunOnce(db, &q, i == 0 ? &w : nullptr)) return false;
      if (i == 0) q.answer.assign(buf.GetString(), buf.GetSize());
    }
  }
  for (int r = 0; r < opts->runs; ++r) {
    for (Query& q : opts->queries) {
      const auto start = std::chrono::steady_clock::now();
      if (!RunOnce(db, &q, nullptr)) return false;
      q.samples_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }
  }
  return true;
}

void Report(const Options& opts) {
  fmt::print("{:<28} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "query", "runs", "p50 ms",
             "p99 ms", "mean ms", "min ms", "max ms");
  for (const Query& q : opts.queries) {
    const auto& v = q.samples_ms;
    double sum = 0;
    for (double x : v) sum += x;
    fmt::print("{:<28} {:>5} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f}\n", q.name, v.size(),
               Percentile(v, 0.5), Percentile(v, 0.99), sum / static_cast<double>(v.size()),
               *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
  }
  for (const Query& q : opts.queries) {
    const auto& v = q.samples_ms;
    double sum = 0;
    for (double x : v) sum += x;
    fmt::print(
        "RESULT name={} runs={} p50_ms={:.3f} p99_ms={:.3f} mean_ms={:.3f} min_ms={:.3f} "
        "max_ms={:.3f}\n",
        q.name, v.size(), Percentile(v, 0.5), Percentile(v, 0.99),
        sum / static_cast<double>(v.size()), *std::min_element(v.begin(), v.end()),
        *std::max_element(v.begin(), v.end()));
  }
  for (const Query& q : opts.queries) fmt::print("ANSWER name={} {}\n", q.name, q.answer);
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

bool Exec(sqlite3* db, const char* sql, std::string_view what) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK || Fail(db, what);
}

// The values of the first row of `sql`, as integers.
bool Ints(sqlite3* db, const char* sql, std::string_view what, std::vector<int64_t>* out) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) return Fail(db, what);
  const StmtPtr s(raw);
  if (sqlite3_step(raw) != SQLITE_ROW) return Fail(db, what);
  out->clear();
  for (int c = 0; c < sqlite3_column_count(raw); ++c) out->push_back(sqlite3_column_int64(raw, c));
  return true;
}

// Hosts, hosts whose ports are not a JSON array, elements, and elements that are not an array of
// exactly 15 values. A malformed JSON text makes the statement fail.
constexpr const char* kCheckPorts =
    "SELECT (SELECT COUNT(*) FROM hosts), "
    "(SELECT COUNT(*) FROM hosts WHERE json_type(ports) IS NOT 'array'), COUNT(*), "
    "COALESCE(SUM(j.type IS NOT 'array' OR json_array_length(j.value) IS NOT 15), 0) "
    "FROM hosts h, json_each(h.ports) j";

// STRICT, so that a value that cannot be stored as its column's type fails the rebuild.
constexpr const char* kCreatePlain = R"sql(
DROP TABLE IF EXISTS plain_ports;
CREATE TABLE plain_ports(
  host_ref INTEGER NOT NULL, project TEXT NOT NULL, host_id TEXT NOT NULL, eps TEXT NOT NULL,
  netns INTEGER NOT NULL, laddr TEXT NOT NULL, port INTEGER NOT NULL, type INTEGER NOT NULL,
  pid INTEGER NOT NULL, sharers INTEGER NOT NULL, path TEXT NOT NULL, comm TEXT NOT NULL,
  exe_deleted INTEGER NOT NULL, container_id TEXT NOT NULL, container_runtime TEXT NOT NULL,
  service TEXT NOT NULL, status INTEGER NOT NULL, first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL, category INTEGER NOT NULL) STRICT;
INSERT INTO plain_ports
SELECT h.id, h.project, h.host_id, h.eps, j.value ->> 0, j.value ->> 1, j.value ->> 2,
  j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7, j.value ->> 8,
  j.value ->> 9, j.value ->> 10, j.value ->> 11, j.value ->> 12, j.value ->> 13, j.value ->> 14,
  (j.value ->> 9) <> ''
FROM hosts h, json_each(h.ports) j;
)sql";

// The peer's indexes. "natural" (the default) is the index the row-per-port schema (version 1)
// kept, (project, port, type): what a plain implementation of these APIs has. "covering" gives
// each query the index a careful DBA would give it, so that the peer is as fast as plain SQL
// gets: by_group covers the statistics (their GROUP BY port, type reads it in order), and by_port
// covers ListPortHost's count and gives its page in order (one eps is an equality).
constexpr const char* kIndexNatural =
    "CREATE INDEX plain_ports_by_port ON plain_ports(project, port, type)";
constexpr const char* kIndexCovering =
    "CREATE INDEX plain_ports_by_group ON plain_ports(project, category, eps, port, type, "
    "host_ref, status); "
    "CREATE INDEX plain_ports_by_port ON plain_ports(project, port, eps, type, host_ref, netns, "
    "laddr)";

// Rebuilds plain_ports from hosts.ports in one transaction; prints the counts and the times.
bool Materialize(sqlite3* db, bool covering) {
  // A big page cache for the index sort, and no fsync: the bench throws the file away after.
  if (!Exec(db, "PRAGMA cache_size=-262144; PRAGMA synchronous=OFF", "materialize pragmas")) {
    return false;
  }
  auto start = std::chrono::steady_clock::now();
  std::vector<int64_t> check;  // hosts, not arrays, elements, bad elements
  if (!Ints(db, kCheckPorts, "checking hosts.ports", &check)) return false;
  const double check_ms = MsSince(start);
  if (check[1] != 0 || check[3] != 0) {
    fmt::print(stderr,
               "sql_baseline: hosts.ports: {} hosts hold no JSON array, {} elements are not "
               "arrays of 15 values\n",
               check[1], check[3]);
    return false;
  }
  start = std::chrono::steady_clock::now();
  if (!Exec(db, "BEGIN", "BEGIN") || !Exec(db, kCreatePlain, "creating plain_ports")) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return false;
  }
  const double insert_ms = MsSince(start);
  start = std::chrono::steady_clock::now();
  if (!Exec(db, covering ? kIndexCovering : kIndexNatural, "indexing plain_ports") ||
      !Exec(db, "COMMIT", "COMMIT")) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return false;
  }
  const double index_ms = MsSince(start);
  start = std::chrono::steady_clock::now();
  if (!Exec(db, "ANALYZE plain_ports", "analyzing plain_ports")) return false;
  const double analyze_ms = MsSince(start);
  std::vector<int64_t> rows;  // rows, container rows
  if (!Ints(db, "SELECT COUNT(*), TOTAL(category) FROM plain_ports", "counting plain_ports",
            &rows)) {
    return false;
  }
  if (rows[0] != check[2]) {
    fmt::print(stderr, "sql_baseline: plain_ports has {} rows for {} elements\n", rows[0],
               check[2]);
    return false;
  }
  fmt::print(
      "materialized plain_ports: {} rows ({} in containers) from {} hosts in {:.1f} s: check "
      "{:.1f} s, insert {:.1f} s, index {:.1f} s, analyze {:.1f} s\n",
      rows[0], rows[1], check[0], (check_ms + insert_ms + index_ms + analyze_ms) / 1000,
      check_ms / 1000, insert_ms / 1000, index_ms / 1000, analyze_ms / 1000);
  fmt::print(
      "RESULT name=materialize rows={} hosts={} container_rows={} check_ms={:.1f} "
      "insert_ms={:.1f} index_ms={:.1f} analyze_ms={:.1f}\n",
      rows[0], check[0], rows[1], check_ms, insert_ms, index_ms, analyze_ms);
  return true;
}

// Prints the steps SQLite chose for each statement, to show which index a query uses.
bool PrintPlans(sqlite3* db, const Options& opts) {
  for (const Query& q : opts.queries) {
    for (size_t i = 0; i < q.stmts.size(); ++i) {
      const std::string sql = fmt::format("EXPLAIN QUERY PLAN {}", sqlite3_sql(q.stmts[i].get()));
      sqlite3_stmt* raw = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
        return Fail(db, fmt::format("explaining {}", q.name));
      }
      const StmtPtr s(raw);
      std::string steps;
      while (sqlite3_step(raw) == SQLITE_ROW) {
        if (!steps.empty()) steps += "; ";
        steps += reinterpret_cast<const char*>(sqlite3_column_text(raw, 3));
      }
      fmt::print("plan {}#{}: {}\n", q.name, i + 1, steps);
    }
  }
  return true;
}

// The self-test's store: host ids in another order than the row ids, two sockets of one
// (port, type) on host 2, two container ports on host 1 (one of them on 22), and a host of
// another eps and one of another project that the filters leave out.
constexpr const char* kSelfTestStore = R"sql(
CREATE TABLE hosts(
  id INTEGER PRIMARY KEY, project TEXT NOT NULL, host_id TEXT NOT NULL, agent_id TEXT NOT NULL,
  host_name TEXT NOT NULL, host_ip TEXT NOT NULL, eps TEXT NOT NULL, seq INTEGER NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, ports TEXT NOT NULL);
CREATE UNIQUE INDEX hosts_by_key ON hosts(project, host_id);
CREATE TABLE events(id INTEGER PRIMARY KEY, project TEXT NOT NULL, host_id TEXT NOT NULL,
  at INTEGER NOT NULL, changes TEXT NOT NULL);
PRAGMA user_version = 2;
INSERT INTO hosts VALUES
(1, 'p', 'h-c', 'agent-c', 'host-c', '198.18.0.3', '0', 1, 1000, 2000, '[
 [4026531840, "0.0.0.0", 22, 0, 10, 1, "/usr/sbin/sshd", "sshd", 0, "", "", "ssh", 1, 1000, 2000],
 [4026531840, "0.0.0.0", 80, 0, 11, 1, "/usr/sbin/nginx", "nginx", 0, "", "", "http", 2, 1000,
  2000],
 [4026531840, "::", 22, 1, 10, 1, "/usr/sbin/sshd", "sshd", 0, "", "", "ssh", 0, 1000, 2000],
 [4026532140, "0.0.0.0", 22, 0, 20, 1, "/usr/sbin/sshd", "sshd", 0, "c1", "docker", "ssh", 2,
  1000, 2000],
 [4026532141, "0.0.0.0", 80, 0, 21, 1, "/usr/sbin/nginx", "nginx", 1, "c2", "docker", "http", 1,
  1000, 2000]]'),
(2, 'p', 'h-a', 'agent-a', 'host-a', '198.18.0.1', '0', 1, 1500, 2500, '[
 [4026531840, "0.0.0.0", 22, 0, 30, 2, "/usr/sbin/sshd", "sshd", 0, "", "", "ssh", 2, 1500, 2500],
 [4026531840, "0.0.0.0", 8080, 2, 32, 1, "/usr/bin/java", "java", 0, "", "", "", 0, 1500, 2500],
 [4026531840, "127.0.0.1", 22, 0, 31, 1, "/usr/sbin/sshd", "sshd", 0, "", "", "ssh", 1, 1500,
  2500]]'),
(3, 'p', 'h-b', 'agent-b', 'host-b', '198.18.0.2', '1', 1, 1000, 2000, '[
 [4026531840, "0.0.0.0", 22, 0, 40, 1, "/usr/sbin/sshd", "sshd", 0, "", "", "ssh", 2, 1000, 2000]
 ]'),
(4, 'q', 'h-a', 'agent-q', 'host-q', '198.18.1.1', '0', 1, 1000, 2000, '[
 [4026531840, "0.0.0.0", 22, 0, 50, 1, "/usr/sbin/sshd", "sshd", 0, "", "", "ssh", 2, 1000, 2000]
 ]');
)sql";

struct Expected {
  const char* name;
  const char* sql;
  const char* answer;  // as an ANSWER line prints it
};

// The shapes of server_bench.sh's plain queries, for project 'p', and what they must return.
constexpr Expected kSelfTestAnswers[] = {
    {"rows", "SELECT COUNT(*), SUM(category), COUNT(DISTINCT host_ref) FROM plain_ports",
     "[[[10,2,4]]]"},
    {"one_row",
     "SELECT host_ref, project, host_id, eps, typeof(netns), netns, laddr, port, type, pid, "
     "sharers, path, comm, exe_deleted, container_id, container_runtime, service, status, "
     "first_seen, last_seen, category FROM plain_ports WHERE container_id = 'c2'",
     R"([[[1,"p","h-c","0","integer",4026532141,"0.0.0.0",80,0,21,1,"/usr/sbin/nginx",)"
     R"("nginx",1,"c2","docker","http",1,1000,2000,1]]])"},
    {"stats",
     "SELECT COUNT(*) FROM (SELECT 1 FROM plain_ports WHERE project = 'p' AND category = 0 AND "
     "eps IN ('0') GROUP BY port, type); SELECT port, type, COUNT(DISTINCT host_ref), "
     "MAX(status) FROM plain_ports WHERE project = 'p' AND category = 0 AND eps IN ('0') "
     "GROUP BY port, type ORDER BY port, type LIMIT 10 OFFSET 0",
     "[[[4]],[[22,0,2,2],[22,1,1,0],[80,0,1,2],[8080,2,1,0]]]"},
    {"stats_port80_tcp",
     "SELECT COUNT(*) FROM (SELECT 1 FROM plain_ports WHERE project = 'p' AND category = 0 AND "
     "eps IN ('0') AND instr(CAST(port AS TEXT), '80') > 0 AND type = 0 GROUP BY port, type); "
     "SELECT port, type, COUNT(DISTINCT host_ref), MAX(status) FROM plain_ports WHERE project = "
     "'p' AND category = 0 AND eps IN ('0') AND instr(CAST(port AS TEXT), '80') > 0 AND type = 0 "
     "GROUP BY port, type ORDER BY port, type LIMIT 10 OFFSET 0",
     "[[[1]],[[80,0,1,2]]]"},
    {"stats_danger",
     "SELECT COUNT(*) FROM (SELECT 1 FROM plain_ports WHERE project = 'p' AND category = 0 AND "
     "eps IN ('0') GROUP BY port, type HAVING MAX(status) = 2); SELECT port, type, "
     "COUNT(DISTINCT host_ref), MAX(status) FROM plain_ports WHERE project = 'p' AND category = "
     "0 AND eps IN ('0') GROUP BY port, type HAVING MAX(status) = 2 ORDER BY port, type LIMIT 10 "
     "OFFSET 0",
     "[[[2]],[[22,0,2,2],[80,0,1,2]]]"},
    // Both categories; by type, then host row id (not host_id), then netns and laddr.
    {"porthost_22",
     "SELECT COUNT(*) FROM plain_ports WHERE project = 'p' AND port = 22 AND eps IN ('0'); "
     "SELECT p.host_id, p.netns, p.laddr, p.type, p.container_id, h.host_name "
     "FROM plain_ports p JOIN hosts h ON h.id = p.host_ref "
     "WHERE p.project = 'p' AND p.port = 22 AND p.eps IN ('0') "
     "ORDER BY p.type, p.host_ref, p.netns, p.laddr LIMIT 10 OFFSET 0",
     R"([[[5]],[["h-c",4026531840,"0.0.0.0",0,"","host-c"],)"
     R"(["h-c",4026532140,"0.0.0.0",0,"c1","host-c"],["h-a",4026531840,"0.0.0.0",0,"","host-a"],)"
     R"(["h-a",4026531840,"127.0.0.1",0,"","host-a"],["h-c",4026531840,"::",1,"","host-c"]]])"},
};

// Damaged values of hosts.ports that --materialize must refuse.
constexpr const char* kDamagedPorts[] = {
    "not json",
    R"({"ports": []})",
    "[1]",
    R"([[4026531840, "0.0.0.0", 22, 0, 50, 1, "/usr/sbin/sshd", "sshd", 0, "", "", "ssh", 2, 1]])",
    "[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]]",
};

bool CheckAnswer(sqlite3* db, const Expected& e) {
  Query q;
  q.name = e.name;
  q.sql = e.sql;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (!Prepare(db, &q) || !RunOnce(db, &q, &w)) return false;
  const std::string_view got(buf.GetString(), buf.GetSize());
  if (got == e.answer) return true;
  fmt::print(stderr, "selftest {}:\n  got  {}\n  want {}\n", e.name, got, e.answer);
  return false;
}

bool SelfTestFile(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  const DbPtr db(raw);
  if (rc != SQLITE_OK) return Fail(db.get(), "opening " + path);
  if (!Exec(db.get(), kSelfTestStore, "writing the self-test store")) return false;
  // Twice: the second run replaces the table the first one made.
  if (!Materialize(db.get(), false) || !Materialize(db.get(), true)) return false;
  bool ok = true;
  for (const Expected& e : kSelfTestAnswers) ok = CheckAnswer(db.get(), e) && ok;
  fmt::print("selftest: {} damaged hosts.ports values, each to be refused:\n",
             std::size(kDamagedPorts));
  for (const char* damaged : kDamagedPorts) {
    sqlite3_stmt* update = nullptr;
    if (sqlite3_prepare_v2(db.get(), "UPDATE hosts SET ports = ? WHERE id = 4", -1, &update,
                           nullptr) != SQLITE_OK) {
      return Fail(db.get(), "preparing the damage");
    }
    const StmtPtr s(update);
    sqlite3_bind_text(update, 1, damaged, -1, SQLITE_STATIC);
    if (sqlite3_step(update) != SQLITE_DONE) return Fail(db.get(), "damaging hosts.ports");
    if (Materialize(db.get(), false)) {
      fmt::print(stderr, "selftest: materialized damaged ports {}\n", damaged);
      ok = false;
    }
  }
  // A refused rebuild leaves the previous table as it was.
  return CheckAnswer(db.get(), kSelfTestAnswers[0]) && ok;
}

int SelfTest() {
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  std::string path = (ec ? std::filesystem::path("/tmp") : dir) / "sql_baseline_selftest.XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    fmt::print(stderr, "sql_baseline: cannot create {}\n", path);
    return 1;
  }
  close(fd);
  const bool ok = SelfTestFile(path);
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    std::filesystem::remove(path + suffix, ec);
  }
  fmt::print("selftest: {}\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

int Run(Options* opts) {
  sqlite3* raw = nullptr;
  const int flags = opts->materialize ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
  const int rc = sqlite3_open_v2(opts->db.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    Fail(db.get(), "opening " + opts->db);
    return 1;
  }
  if (opts->materialize && !Materialize(db.get(), opts->covering)) return 1;
  for (const std::string& pragma : opts->pragmas) {
    if (sqlite3_exec(db.get(), pragma.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      Fail(db.get(), pragma);
      return 1;
    }
  }
  if (opts->queries.empty()) return 0;
  for (Query& q : opts->queries) {
    if (!Prepare(db.get(), &q)) return 1;
  }
  if (!PrintPlans(db.get(), *opts) || !RunAll(db.get(), opts)) return 1;
  Report(*opts);
  return 0;
}

}  // namespace
}  // namespace portatlas::bench

int main(int argc, char** argv) {
  portatlas::bench::Options opts;
  if (!portatlas::bench::ParseArgs(argc, argv, &opts)) {
    fmt::print(stderr,
               "usage: sql_baseline --db FILE [--materialize [--plain-index natural|covering]] "
               "[--runs N] [--warmup W] "
               "[--pragma NAME=VALUE ...] [--query NAME=SQL ...]\n"
               "       (at least one --query unless --materialize)\n");
    return 2;
  }
  if (opts.selftest) return portatlas::bench::SelfTest();
  return portatlas::bench::Run(&opts);
}
