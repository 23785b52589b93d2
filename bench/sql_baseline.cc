// sql_baseline: times plain SQL against an SQLite file, the peer of the server's queries.
//
//   sql_baseline --db FILE [--runs N] [--warmup W] [--pragma NAME=VALUE ...]
//                --query NAME=SQL [--query NAME=SQL ...]
//
// The file is opened read-only. Each --pragma runs once after opening (the server's readers
// use cache_size=-16384 and mmap_size=268435456). A query's SQL may hold several statements
// separated by ';' (say a COUNT(*) for the total and the page itself): one run steps them all
// to the end, one after the other, and is timed as a whole on steady_clock. Statements are
// prepared once, before any run, as a server would cache them. After W warm-up runs of each
// (default 1), the queries run in turn, N times each (default 20): A B C A B C ...
//
// Output, a table for people and then for scripts:
//   RESULT name=Q runs=N p50_ms=.. p99_ms=.. mean_ms=.. min_ms=.. max_ms=..
//   ANSWER name=Q [[row, ...] per statement], each row an array of its values
// The ANSWER is what the first warm-up run returned, to check against the server's answer.
// Exit status: 0, 1 on an SQLite error, 2 on bad usage.
#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
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
    if (i + 1 >= argc) return false;
    const std::string_view value = argv[++i];
    const size_t eq = value.find('=');
    if (arg == "--db") {
      opts->db = std::string(value);
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
  return !opts->db.empty() && !opts->queries.empty();
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

int Run(Options* opts) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(opts->db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    Fail(db.get(), "opening " + opts->db);
    return 1;
  }
  for (const std::string& pragma : opts->pragmas) {
    if (sqlite3_exec(db.get(), pragma.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      Fail(db.get(), pragma);
      return 1;
    }
  }
  for (Query& q : opts->queries) {
    if (!Prepare(db.get(), &q)) return 1;
  }
  if (!RunAll(db.get(), opts)) return 1;
  Report(*opts);
  return 0;
}

}  // namespace
}  // namespace portatlas::bench

int main(int argc, char** argv) {
  portatlas::bench::Options opts;
  if (!portatlas::bench::ParseArgs(argc, argv, &opts)) {
    fmt::print(stderr,
               "usage: sql_baseline --db FILE [--runs N] [--warmup W] [--pragma NAME=VALUE ...] "
               "--query NAME=SQL [--query NAME=SQL ...]\n");
    return 2;
  }
  return portatlas::bench::Run(&opts);
}
