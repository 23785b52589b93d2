// SqliteStore's read side. Questions about one host read its row; questions about every host
// (statistics, who has a port, counts) are answered or planned by the in-memory PortIndex, and
// only the rows of the page are read.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <tuple>

#include "store/sqlite/row_codec.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace portatlas::store {
namespace {

bool Contains(const std::vector<std::string>& set, const std::string& v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

bool HostMatches(const HostRow& h, const std::string& name, const std::string& ip) {
  return (name.empty() || h.host_name.find(name) != std::string::npos) &&
         (ip.empty() || h.host_ip.find(ip) != std::string::npos);
}

// Reads the host selected by `s` (already bound), or nullopt when there is none.
Result<std::optional<StoredHost>> ReadOne(Stmt& s) {
  auto row = s.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<StoredHost>();
  int64_t ref = 0;
  StoredHost h;
  PA_RETURN_IF_ERROR(ReadStoredHost(s, &ref, &h));
  return std::optional<StoredHost>(std::move(h));
}

Result<std::optional<StoredHost>> HostByKey(SqliteDb& db, std::string_view project,
                                            std::string_view host_id) {
  auto s = db.Cached(
      fmt::format("SELECT {} FROM hosts WHERE project = ? AND host_id = ?", kHostColumns));
  if (!s) return s.error();
  (*s)->Bind(1, project).Bind(2, host_id);
  auto h = ReadOne(**s);
  (*s)->Reset();
  return h;
}

PortHostRow WithHost(PortRow port, const HostRow& h) {
  PortHostRow r;
  r.port = std::move(port);
  r.host_name = h.host_name;
  r.host_ip = h.host_ip;
  r.agent_id = h.agent_id;
  return r;
}

}  // namespace

template <typename Fn>
auto SqliteStore::Consistent(Fn&& read) {
  constexpr int kOptimisticTries = 8;
  for (int attempt = 0; attempt < kOptimisticTries; ++attempt) {
    const uint64_t done = commits_done_.load(std::memory_order_acquire);
    if (commits_begun_.load(std::memory_order_acquire) != done) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));  // a commit is landing
      continue;
    }
    auto result = read();
    if (commits_begun_.load(std::memory_order_acquire) == done) return result;
  }
  // Missed too often: hold the next commit back, wait for the one under way, then read.
  {
    std::lock_guard<std::mutex> gate(starving_mu_);
    ++starving_readers_;
  }
  while (commits_begun_.load(std::memory_order_acquire) !=
         commits_done_.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  auto result = read();
  {
    std::lock_guard<std::mutex> gate(starving_mu_);
    --starving_readers_;
  }
  starving_cv_.notify_all();
  return result;
}

Result<QueryResult<PortHostRow>> SqliteStore::ListPorts(const PortQuery& q) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  QueryResult<PortHostRow> out;
  PA_ASSIGN_OR_RETURN(stored, HostByKey(reader->db(), q.project, q.host_id));
  if (!stored || !Contains(q.eps, stored->host.eps) ||
      !HostMatches(stored->host, q.host_name, q.host_ip)) {
    return out;
  }
  std::vector<PortRow*> match;
  for (PortRow& p : stored->ports) {
    if ((q.port && p.key.port != *q.port) || (q.type && p.key.type != *q.type) ||
        (q.status && p.status != *q.status) || (q.category && p.category() != *q.category)) {
      continue;
    }
    match.push_back(&p);
  }
  std::sort(match.begin(), match.end(), [](const PortRow* a, const PortRow* b) {
    return std::tie(a->key.port, a->key.type, a->key.laddr, a->key.netns) <
           std::tie(b->key.port, b->key.type, b->key.laddr, b->key.netns);
  });
  out.total = static_cast<int64_t>(match.size());
  const auto first = std::min(match.size(), static_cast<size_t>(q.page.offset));
  const auto last = std::min(match.size(), first + static_cast<size_t>(q.page.limit));
  for (size_t i = first; i < last; ++i) {
    out.rows.push_back(WithHost(std::move(*match[i]), stored->host));
  }
  return out;
}

Result<QueryResult<PortStatRow>> SqliteStore::ListPortStatistics(const PortStatQuery& q) {
  return Consistent([&] { return index_.Statistics(q); });
}

Result<QueryResult<PortHostRow>> SqliteStore::ListPortHosts(const PortHostQuery& q) {
  return Consistent([&] { return PortHostsPage(q); });
}

Result<QueryResult<PortHostRow>> SqliteStore::PortHostsPage(const PortHostQuery& q) {
  const PortIndex::HostPlan plan = index_.PortHosts(q);
  QueryResult<PortHostRow> out;
  out.total = plan.total;
  if (plan.slices.empty()) return out;
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  auto s = reader->db().Cached(fmt::format("SELECT {} FROM hosts WHERE id = ?", kHostColumns));
  if (!s) return s.error();
  for (const PortIndex::HostSlice& slice : plan.slices) {
    (*s)->Bind(1, slice.ref);
    auto stored = ReadOne(**s);
    (*s)->Reset();
    if (!stored) return stored.error();
    if (!*stored) continue;  // gone since the plan (Consistent() retries such a read)
    int64_t n = 0;
    for (PortRow& p : (*stored)->ports) {
      if (p.key.port != q.port || p.key.type != slice.type ||
          (q.category && p.category() != *q.category)) {
        continue;
      }
      if (n++ < slice.skip) continue;
      if (n > slice.skip + slice.take) break;
      out.rows.push_back(WithHost(std::move(p), (*stored)->host));
    }
  }
  return out;
}

Result<int64_t> SqliteStore::CountPorts(const PortCountQuery& q) {
  if (q.host_id.empty()) return Consistent([&] { return index_.CountPorts(q); });
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  PA_ASSIGN_OR_RETURN(stored, HostByKey(reader->db(), q.project, q.host_id));
  if (!stored || !Contains(q.eps, stored->host.eps)) return 0;
  return static_cast<int64_t>(
      std::count_if(stored->ports.begin(), stored->ports.end(),
                    [&](const PortRow& p) { return !q.category || p.category() == *q.category; }));
}

Result<std::vector<PortEvent>> SqliteStore::ListEvents(std::string_view project,
                                                       std::string_view host_id, int64_t since_ms,
                                                       int limit) {
  auto reader = AcquireReader();
  if (!reader) return reader.error();
  std::string sql = "SELECT host_id, at, changes FROM events WHERE project = ?";
  if (!host_id.empty()) sql += " AND host_id = ?";
  sql += " AND at >= ? ORDER BY id";
  auto s = reader->db().Cached(sql);
  if (!s) return s.error();
  int i = 1;
  (*s)->Bind(i++, project);
  if (!host_id.empty()) (*s)->Bind(i++, host_id);
  (*s)->Bind(i, since_ms);
  std::vector<PortEvent> out;
  while (static_cast<int>(out.size()) < limit) {
    auto row = (*s)->Step();
    if (!row) return row.error();
    if (!*row) break;
    const Stmt& st = **s;
    const std::string host = st.Text(0);
    Status decoded = DecodeEvents(st.View(2), project, host, st.Int(1), &out);
    if (!decoded.ok()) {
      return InternalError(fmt::format("events of host '{}': {}", host, decoded.message()));
    }
  }
  if (static_cast<int>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

}  // namespace portatlas::store
