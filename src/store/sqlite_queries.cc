// SqliteStore's read side. Filters become bound parameters, never text in the SQL. Counts that
// the aggregate table can answer (port_stats) are read from it instead of counting rows.
#include <fmt/format.h>

#include <variant>

#include "store/sqlite_rows.h"
#include "store/sqlite_store.h"

namespace portatlas::store {
namespace {

// A WHERE clause under construction with its bound values, in order.
class Where {
 public:
  Where& Add(std::string_view clause) {
    sql_ += sql_.empty() ? " WHERE " : " AND ";
    sql_ += clause;
    return *this;
  }
  template <typename T>
  Where& Add(std::string_view clause, T value) {
    Add(clause);
    args_.emplace_back(Arg(value));
    return *this;
  }
  // "<column> IN (?, ...)" over `values` (never empty: callers pass at least one eps).
  Where& AddIn(std::string_view column, const std::vector<std::string>& values) {
    std::string clause = fmt::format("{} IN (", column);
    for (size_t i = 0; i < values.size(); ++i) {
      clause += i == 0 ? "?" : ",?";
      args_.emplace_back(values[i]);
    }
    return Add(clause + ")");
  }
  const std::string& sql() const { return sql_; }
  // Binds this clause's values starting at index `first`; returns the next free index.
  int BindTo(Stmt& s, int first = 1) const {
    int i = first;
    for (const auto& a : args_) {
      if (const auto* n = std::get_if<int64_t>(&a)) {
        s.Bind(i++, *n);
      } else {
        s.Bind(i++, std::get<std::string>(a));
      }
    }
    return i;
  }

 private:
  using Value = std::variant<int64_t, std::string>;
  static Value Arg(int64_t v) { return v; }
  static Value Arg(int v) { return static_cast<int64_t>(v); }
  static Value Arg(uint16_t v) { return static_cast<int64_t>(v); }
  static Value Arg(const std::string& v) { return v; }
  static Value Arg(std::string_view v) { return std::string(v); }
  static Value Arg(SockType v) { return static_cast<int64_t>(v); }
  static Value Arg(RiskStatus v) { return static_cast<int64_t>(v); }
  static Value Arg(Category v) { return static_cast<int64_t>(v); }

  std::string sql_;
  std::vector<Value> args_;
};

Result<int64_t> ScalarQuery(SqliteDb& db, const std::string& sql, const Where& where) {
  auto s = db.Cached(sql);
  if (!s) return s.error();
  where.BindTo(**s);
  auto row = (*s)->Step();
  if (!row) return row.error();
  return *row ? (*s)->Int(0) : 0;
}

constexpr const char* kPortsJoinHosts =
    "FROM ports p JOIN hosts h ON h.project = p.project AND h.host_id = p.host_id";

// Reads rows of PortColumns("p.") followed by h.host_name, h.host_ip, h.agent_id.
Status ReadPortHostRows(Stmt& s, std::vector<PortHostRow>* out) {
  for (;;) {
    auto row = s.Step();
    if (!row) return row.error();
    if (!*row) return Status::Ok();
    PortHostRow r;
    r.port = ReadPortRow(s);
    r.host_name = s.Text(kPortColumnCount);
    r.host_ip = s.Text(kPortColumnCount + 1);
    r.agent_id = s.Text(kPortColumnCount + 2);
    out->push_back(std::move(r));
  }
}

constexpr const char* kStatusOfGroup =
    "(CASE WHEN SUM(danger) > 0 THEN 2 WHEN SUM(normal) > 0 THEN 1 ELSE 0 END)";

}  // namespace

Result<QueryResult<PortHostRow>> SqliteStore::ListPorts(const PortQuery& q) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  Where w;
  w.Add("p.project = ?", q.project).Add("p.host_id = ?", q.host_id).AddIn("p.eps", q.eps);
  if (q.port) w.Add("p.port = ?", *q.port);
  if (q.type) w.Add("p.type = ?", *q.type);
  if (q.status) w.Add("p.status = ?", *q.status);
  if (q.category) w.Add("p.category = ?", *q.category);
  if (!q.host_name.empty()) w.Add("instr(h.host_name, ?) > 0", q.host_name);
  if (!q.host_ip.empty()) w.Add("instr(h.host_ip, ?) > 0", q.host_ip);
  auto total =
      ScalarQuery(reader->db(), fmt::format("SELECT COUNT(*) {}{}", kPortsJoinHosts, w.sql()), w);
  if (!total) return total.error();
  QueryResult<PortHostRow> out;
  out.total = *total;
  auto s = reader->db().Cached(fmt::format(
      "SELECT {}, h.host_name, h.host_ip, h.agent_id {}{} ORDER BY p.port, p.type, p.laddr, "
      "p.netns LIMIT ? OFFSET ?",
      PortColumns("p."), kPortsJoinHosts, w.sql()));
  if (!s) return s.error();
  const int next = w.BindTo(**s);
  (*s)->Bind(next, q.page.limit).Bind(next + 1, q.page.offset);
  PA_RETURN_IF_ERROR(ReadPortHostRows(**s, &out.rows));
  return out;
}

Result<QueryResult<PortStatRow>> SqliteStore::ListPortStatistics(const PortStatQuery& q) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  Where w;
  w.Add("project = ?", q.project).Add("category = ?", q.category).AddIn("eps", q.eps);
  if (q.port) w.Add("port = ?", *q.port);
  if (!q.port_substring.empty()) w.Add("instr(CAST(port AS TEXT), ?) > 0", q.port_substring);
  if (q.type) w.Add("type = ?", *q.type);
  std::string group = " GROUP BY port, type";
  if (q.status)
    group += fmt::format(" HAVING {} = {}", kStatusOfGroup, static_cast<int>(*q.status));
  QueryResult<PortStatRow> out;
  auto total = ScalarQuery(
      reader->db(),
      fmt::format("SELECT COUNT(*) FROM (SELECT 1 FROM port_stats{}{})", w.sql(), group), w);
  if (!total) return total.error();
  out.total = *total;
  auto s = reader->db().Cached(fmt::format(
      "SELECT port, type, SUM(num), {} FROM port_stats{}{} ORDER BY port {}, type LIMIT ? "
      "OFFSET ?",
      kStatusOfGroup, w.sql(), group, q.descending ? "DESC" : "ASC"));
  if (!s) return s.error();
  const int next = w.BindTo(**s);
  (*s)->Bind(next, q.page.limit).Bind(next + 1, q.page.offset);
  for (;;) {
    auto row = (*s)->Step();
    if (!row) return row.error();
    if (!*row) break;
    PortStatRow r;
    r.port = static_cast<uint16_t>((*s)->Int(0));
    r.type = static_cast<SockType>((*s)->Int(1));
    r.num = (*s)->Int(2);
    r.status = static_cast<RiskStatus>((*s)->Int(3));
    out.rows.push_back(r);
  }
  return out;
}

Result<QueryResult<PortHostRow>> SqliteStore::ListPortHosts(const PortHostQuery& q) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  const bool host_filter = !q.host_name.empty() || !q.host_ip.empty();
  Where stats;  // the same filter over the aggregate, for the total
  stats.Add("project = ?", q.project).Add("port = ?", q.port).AddIn("eps", q.eps);
  Where w;
  w.Add("p.project = ?", q.project).Add("p.port = ?", q.port).AddIn("p.eps", q.eps);
  if (q.type) {
    w.Add("p.type = ?", *q.type);
    stats.Add("type = ?", *q.type);
  }
  if (q.category) {
    w.Add("p.category = ?", *q.category);
    stats.Add("category = ?", *q.category);
  }
  if (!q.host_name.empty()) w.Add("instr(h.host_name, ?) > 0", q.host_name);
  if (!q.host_ip.empty()) w.Add("instr(h.host_ip, ?) > 0", q.host_ip);
  const std::string from = kPortsJoinHosts;
  QueryResult<PortHostRow> out;
  auto total =
      host_filter
          ? ScalarQuery(reader->db(), fmt::format("SELECT COUNT(*) {}{}", from, w.sql()), w)
          : ScalarQuery(reader->db(),
                        fmt::format("SELECT SUM(sockets) FROM port_stats{}", stats.sql()), stats);
  if (!total) return total.error();
  out.total = *total;
  const std::string cols = PortColumns("p.");
  // Index order of ports_by_port (project, port, type, then the primary key): no sort needed.
  auto s = reader->db().Cached(fmt::format(
      "SELECT {}, h.host_name, h.host_ip, h.agent_id {}{} ORDER BY p.type, p.host_id, p.netns, "
      "p.laddr LIMIT ? OFFSET ?",
      cols, from, w.sql()));
  if (!s) return s.error();
  const int next = w.BindTo(**s);
  (*s)->Bind(next, q.page.limit).Bind(next + 1, q.page.offset);
  PA_RETURN_IF_ERROR(ReadPortHostRows(**s, &out.rows));
  return out;
}

Result<int64_t> SqliteStore::CountPorts(const PortCountQuery& q) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  Where w;
  w.Add("project = ?", q.project).AddIn("eps", q.eps);
  if (q.category) w.Add("category = ?", *q.category);
  if (q.host_id.empty()) {
    return ScalarQuery(reader->db(), "SELECT COALESCE(SUM(sockets), 0) FROM port_stats" + w.sql(),
                       w);
  }
  w.Add("host_id = ?", q.host_id);
  return ScalarQuery(reader->db(), "SELECT COUNT(*) FROM ports" + w.sql(), w);
}

Result<std::vector<PortEvent>> SqliteStore::ListEvents(std::string_view project,
                                                       std::string_view host_id, int64_t since_ms,
                                                       int limit) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  Where w;
  w.Add("project = ?", project);
  if (!host_id.empty()) w.Add("host_id = ?", host_id);
  w.Add("at >= ?", since_ms);
  auto s = reader->db().Cached(
      "SELECT host_id, at, kind, netns, laddr, port, type, pid, path, container_id, status, "
      "old_path, old_container_id, old_status FROM port_events" +
      w.sql() + " ORDER BY id LIMIT ?");
  if (!s) return s.error();
  (*s)->Bind(w.BindTo(**s), limit);
  std::vector<PortEvent> out;
  for (;;) {
    auto row = (*s)->Step();
    if (!row) return row.error();
    if (!*row) return out;
    const Stmt& st = **s;
    PortEvent e;
    e.project = std::string(project);
    e.host_id = st.Text(0);
    e.at_ms = st.Int(1);
    e.kind = static_cast<EventKind>(st.Int(2));
    e.key = {static_cast<uint64_t>(st.Int(3)), st.Text(4), static_cast<uint16_t>(st.Int(5)),
             static_cast<SockType>(st.Int(6))};
    e.pid = static_cast<int>(st.Int(7));
    e.path = st.Text(8);
    e.container_id = st.Text(9);
    e.status = static_cast<RiskStatus>(st.Int(10));
    e.old_path = st.Text(11);
    e.old_container_id = st.Text(12);
    e.old_status = static_cast<RiskStatus>(st.Int(13));
    out.push_back(std::move(e));
  }
}

}  // namespace portatlas::store
