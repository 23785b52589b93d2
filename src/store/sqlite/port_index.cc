#include "store/sqlite/port_index.h"

#include <algorithm>
#include <bit>
#include <mutex>
#include <tuple>

namespace portatlas::store {
namespace {

constexpr int kTypes = 4;
constexpr size_t kCells = 65536 * kTypes;  // cell index = port * 4 + type
constexpr size_t kCellsPerChunk = 256;     // 64 ports
constexpr size_t kChunks = kCells / kCellsPerChunk;
constexpr size_t kWords = kCells / 64;  // one bit per cell; a word covers 16 ports

struct Cell {
  int64_t num = 0;
  int64_t danger = 0;
  int64_t normal = 0;
  int64_t sockets = 0;
};

int StatusOf(const Cell& c) {
  if (c.danger > 0) return static_cast<int>(RiskStatus::kDanger);
  if (c.normal > 0) return static_cast<int>(RiskStatus::kNormal);
  return static_cast<int>(RiskStatus::kUnknow);
}

size_t CellIndex(uint16_t port, SockType type) {
  return static_cast<size_t>(port) * kTypes + static_cast<size_t>(type);
}

uint64_t PostingKey(uint32_t project, uint16_t port, SockType type, Category category) {
  return (static_cast<uint64_t>(project) << 20) | (static_cast<uint64_t>(port) << 4) |
         (static_cast<uint64_t>(type) << 1) | static_cast<uint64_t>(category);
}

uint64_t ScopeKey(uint32_t project, uint32_t eps, Category category) {
  return (static_cast<uint64_t>(project) << 33) | (static_cast<uint64_t>(eps) << 1) |
         static_cast<uint64_t>(category);
}

// One socket's part in StatDeltas.
struct StatItem {
  std::string_view project;
  std::string_view eps;
  Category category;
  uint16_t port;
  SockType type;
  int side;  // 0 before, 1 after
  std::string_view entity;
  RiskStatus status;

  auto Key() const { return std::tie(project, eps, category, port, type); }
  auto Order() const { return std::tie(project, eps, category, port, type, side, entity); }
};

void AddItems(std::span<const PortRow> rows, int side, std::vector<StatItem>* out) {
  for (const PortRow& r : rows) {
    out->push_back(
        {r.project, r.eps, r.category(), r.key.port, r.key.type, side, r.container_id, r.status});
  }
}

// A (port, type, category) group of one host's sockets, for its postings.
struct HostKey {
  uint16_t port;
  SockType type;
  Category category;
  uint32_t sockets;
  auto Order() const { return std::tie(port, type, category); }
};

std::vector<HostKey> GroupHostKeys(std::span<const PortRow> ports) {
  std::vector<HostKey> keys;
  keys.reserve(ports.size());
  for (const PortRow& r : ports) keys.push_back({r.key.port, r.key.type, r.category(), 1});
  std::sort(keys.begin(), keys.end(),
            [](const HostKey& a, const HostKey& b) { return a.Order() < b.Order(); });
  std::vector<HostKey> out;
  for (const HostKey& k : keys) {
    if (!out.empty() && out.back().Order() == k.Order()) {
      ++out.back().sockets;
    } else {
      out.push_back(k);
    }
  }
  return out;
}

}  // namespace

std::vector<StatDelta> StatDeltas(std::span<const PortRow> before, std::span<const PortRow> after) {
  std::vector<StatItem> items;
  items.reserve(before.size() + after.size());
  AddItems(before, 0, &items);
  AddItems(after, 1, &items);
  std::sort(items.begin(), items.end(),
            [](const StatItem& a, const StatItem& b) { return a.Order() < b.Order(); });
  std::vector<StatDelta> out;
  size_t i = 0;
  while (i < items.size()) {
    const StatItem& first = items[i];
    StatDelta d{std::string(first.project), std::string(first.eps), first.category, first.port,
                first.type};
    // Items of one key, sorted by side then entity: each run of one entity is one entity.
    while (i < items.size() && items[i].Key() == first.Key()) {
      const int sign = items[i].side == 0 ? -1 : 1;
      RiskStatus worst = items[i].status;
      const size_t run = i;
      while (i < items.size() && items[i].Key() == first.Key() &&
             items[i].side == items[run].side && items[i].entity == items[run].entity) {
        worst = std::max(worst, items[i].status);
        d.sockets += sign;
        ++i;
      }
      d.num += sign;
      if (worst == RiskStatus::kDanger) d.danger += sign;
      if (worst == RiskStatus::kNormal) d.normal += sign;
    }
    if (d.num != 0 || d.danger != 0 || d.normal != 0 || d.sockets != 0) {
      out.push_back(std::move(d));
    }
  }
  return out;
}

std::vector<uint16_t> PortsContaining(std::string_view digits) {
  std::vector<uint16_t> out;
  if (digits.empty() || digits.size() > 5) return out;
  uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return out;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  const bool leading_zero = digits[0] == '0';
  uint32_t width = 1;  // 10^len(digits)
  for (size_t i = 0; i < digits.size(); ++i) width *= 10;
  // A port containing the digits is "<prefix><digits><j more digits>": for each j, every prefix
  // (none, when the digits lead and have no leading zero) and every tail below 10^j.
  for (uint32_t tail = 1; tail <= 100000; tail *= 10) {
    const uint32_t middle = value * tail;
    for (uint32_t prefix = leading_zero ? 1 : 0;; ++prefix) {
      const uint64_t base = static_cast<uint64_t>(prefix) * width * tail + middle;
      if (base > 65535) break;
      for (uint32_t t = 0; t < tail && base + t <= 65535; ++t) {
        if (base + t > 0) out.push_back(static_cast<uint16_t>(base + t));
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

struct PortIndex::Scope {
  using Chunk = std::array<Cell, kCellsPerChunk>;
  std::array<std::unique_ptr<Chunk>, kChunks> chunks;
  std::array<uint64_t, kWords> used{};
  std::array<std::array<int64_t, 3>, kTypes> groups{};  // non-empty cells by [type][status]
  int64_t sockets = 0;

  const Cell* Find(size_t i) const {
    const Chunk* c = chunks[i / kCellsPerChunk].get();
    return c == nullptr ? nullptr : &(*c)[i % kCellsPerChunk];
  }

  void Apply(const StatDelta& d) {
    const size_t i = CellIndex(d.port, d.type);
    auto& chunk = chunks[i / kCellsPerChunk];
    if (!chunk) chunk = std::make_unique<Chunk>();
    Cell& c = (*chunk)[i % kCellsPerChunk];
    const auto t = static_cast<size_t>(d.type);
    if (c.num > 0) --groups[t][static_cast<size_t>(StatusOf(c))];
    c.num += d.num;
    c.danger += d.danger;
    c.normal += d.normal;
    c.sockets += d.sockets;
    sockets += d.sockets;
    if (c.num > 0) {
      ++groups[t][static_cast<size_t>(StatusOf(c))];
      used[i / 64] |= uint64_t{1} << (i % 64);
    } else {
      c = Cell{};
      used[i / 64] &= ~(uint64_t{1} << (i % 64));
    }
  }
};

PortIndex::PortIndex() = default;
PortIndex::~PortIndex() = default;

uint32_t PortIndex::Intern(std::unordered_map<std::string, uint32_t>& ids, std::string_view s) {
  auto it = ids.find(std::string(s));
  if (it != ids.end()) return it->second;
  const auto id = static_cast<uint32_t>(ids.size());
  ids.emplace(std::string(s), id);
  return id;
}

std::optional<uint32_t> PortIndex::Lookup(const std::unordered_map<std::string, uint32_t>& ids,
                                          std::string_view s) {
  auto it = ids.find(std::string(s));
  if (it == ids.end()) return std::nullopt;
  return it->second;
}

std::vector<const PortIndex::Scope*> PortIndex::Scopes(uint32_t project,
                                                       const std::vector<std::string>& eps,
                                                       Category category) const {
  std::vector<const Scope*> out;
  for (const std::string& e : eps) {
    auto id = Lookup(eps_ids_, e);
    if (!id) continue;
    auto it = scopes_.find(ScopeKey(project, *id, category));
    if (it == scopes_.end()) continue;
    if (std::find(out.begin(), out.end(), it->second.get()) == out.end()) {
      out.push_back(it->second.get());
    }
  }
  return out;
}

PortIndex::Scope& PortIndex::MutableScope(uint32_t project, uint32_t eps, Category category) {
  auto& s = scopes_[ScopeKey(project, eps, category)];
  if (!s) s = std::make_unique<Scope>();
  return *s;
}

void PortIndex::ReplacePostings(uint32_t ref, uint32_t project, uint32_t eps,
                                std::span<const PortRow> old_ports,
                                std::span<const PortRow> ports) {
  auto order = [](const HostKey& a, const HostKey& b) { return a.Order() < b.Order(); };
  const std::vector<HostKey> now = GroupHostKeys(ports);
  auto find = [&](const HostKey& k) {
    auto& list = postings_[PostingKey(project, k.port, k.type, k.category)];
    auto it = std::lower_bound(list.begin(), list.end(), ref,
                               [](const Posting& p, uint32_t r) { return p.host < r; });
    return std::pair{&list, it};
  };
  // Keys the host no longer has lose its posting; the others are updated or inserted.
  for (const HostKey& k : GroupHostKeys(old_ports)) {
    if (std::binary_search(now.begin(), now.end(), k, order)) continue;
    auto [list, it] = find(k);
    if (it != list->end() && it->host == ref) list->erase(it);
  }
  for (const HostKey& k : now) {
    auto [list, it] = find(k);
    if (it != list->end() && it->host == ref) {
      it->eps = eps;
      it->sockets = k.sockets;
    } else {
      list->insert(it, Posting{ref, eps, k.sockets});
    }
  }
}

void PortIndex::ReplaceHost(int64_t ref, const HostRow& host, std::span<const PortRow> old_ports,
                            std::span<const PortRow> ports) {
  const std::vector<StatDelta> deltas = StatDeltas(old_ports, ports);
  const auto r = static_cast<uint32_t>(ref);
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (const StatDelta& d : deltas) {
    MutableScope(Intern(projects_, d.project), Intern(eps_ids_, d.eps), d.category).Apply(d);
  }
  const uint32_t project = Intern(projects_, host.project);
  const uint32_t eps = Intern(eps_ids_, host.eps);
  ReplacePostings(r, project, eps, old_ports, ports);
  if (hosts_.size() <= r) hosts_.resize(static_cast<size_t>(r) + 1);
  HostInfo& info = hosts_[r];
  if (!info.live) ++host_count_;
  info.live = true;
  info.project = project;
  info.eps = eps;
  info.host_name = host.host_name;
  info.host_ip = host.host_ip;
}

namespace {

// Pages the (port, type) cells of a statistics query: each summed over the scopes, kept when
// it passes the filters, counted, and copied into the page when it falls in it. (A template
// so that it can take PortIndex's private Scope.)
template <typename Scope>
class StatPager {
 public:
  StatPager(const PortStatQuery& q, const std::vector<const Scope*>& scopes,
            QueryResult<PortStatRow>& out)
      : q_(q),
        scopes_(scopes),
        out_(out),
        offset_(static_cast<int64_t>(q.page.offset)),
        end_(offset_ + q.page.limit) {}

  // Visits one cell; false when the page is full and the total is already known.
  bool Visit(uint16_t port, SockType type) {
    if (q_.type && type != *q_.type) return true;
    Cell sum;
    for (const Scope* s : scopes_) {
      if (const Cell* c = s->Find(CellIndex(port, type))) {
        sum.num += c->num;
        sum.danger += c->danger;
        sum.normal += c->normal;
      }
    }
    if (sum.num <= 0) return true;
    const auto status = static_cast<RiskStatus>(StatusOf(sum));
    if (q_.status && status != *q_.status) return true;
    if (seen_ >= offset_ && seen_ < end_) out_.rows.push_back({port, type, sum.num, status});
    ++seen_;
    return !(total_known_ && seen_ >= end_);
  }
  void VisitPort(uint16_t port) {
    for (int t = 0; t < kTypes; ++t) Visit(port, static_cast<SockType>(t));
  }
  int64_t seen() const { return seen_; }
  void set_total_known() { total_known_ = true; }

 private:
  const PortStatQuery& q_;
  const std::vector<const Scope*>& scopes_;
  QueryResult<PortStatRow>& out_;
  const int64_t offset_;
  const int64_t end_;
  int64_t seen_ = 0;
  bool total_known_ = false;
};

// The number of (port, type) cells of one scope that pass the type and status filters, from
// its maintained totals.
template <typename Scope>
int64_t MaintainedTotal(const Scope& s, const PortStatQuery& q) {
  int64_t total = 0;
  for (int t = 0; t < kTypes; ++t) {
    if (q.type && static_cast<SockType>(t) != *q.type) continue;
    for (int st = 0; st < 3; ++st) {
      if (q.status && static_cast<RiskStatus>(st) != *q.status) continue;
      total += s.groups[static_cast<size_t>(t)][static_cast<size_t>(st)];
    }
  }
  return total;
}

// Calls visit(port, type) for every cell used in any of the scopes, in port order (then type
// order) or its reverse, until visit returns false.
template <typename Scope, typename Fn>
void WalkUsedCells(const std::vector<const Scope*>& scopes, bool descending, Fn&& visit) {
  auto word = [&](size_t w) {
    uint64_t bits = 0;
    for (const Scope* s : scopes) bits |= s->used[w];
    return bits;
  };
  if (!descending) {
    for (size_t w = 0; w < kWords; ++w) {
      for (uint64_t bits = word(w); bits != 0; bits &= bits - 1) {
        const size_t i = w * 64 + static_cast<size_t>(std::countr_zero(bits));
        if (!visit(static_cast<uint16_t>(i / kTypes), static_cast<SockType>(i % kTypes))) return;
      }
    }
    return;
  }
  for (size_t w = kWords; w-- > 0;) {
    const uint64_t bits = word(w);
    if (bits == 0) continue;
    for (size_t p = 16; p-- > 0;) {
      const uint64_t nibble = (bits >> (p * kTypes)) & 0xF;
      for (int t = 0; t < kTypes; ++t) {
        if ((nibble & (uint64_t{1} << t)) == 0) continue;
        if (!visit(static_cast<uint16_t>(w * 16 + p), static_cast<SockType>(t))) return;
      }
    }
  }
}

// The ports a query names by `port` and/or `port_substring`, in its order.
std::vector<uint16_t> NamedPorts(const PortStatQuery& q) {
  std::vector<uint16_t> ports;
  if (q.port) {
    const std::vector<uint16_t> sub = PortsContaining(q.port_substring);
    if (q.port_substring.empty() || std::binary_search(sub.begin(), sub.end(), *q.port)) {
      ports.push_back(*q.port);
    }
  } else {
    ports = PortsContaining(q.port_substring);
  }
  if (q.descending) std::reverse(ports.begin(), ports.end());
  return ports;
}

}  // namespace

QueryResult<PortStatRow> PortIndex::Statistics(const PortStatQuery& q) const {
  QueryResult<PortStatRow> out;
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto project = Lookup(projects_, q.project);
  if (!project) return out;
  const std::vector<const Scope*> scopes = Scopes(*project, q.eps, q.category);
  if (scopes.empty()) return out;
  StatPager<Scope> pager(q, scopes, out);
  if (q.port || !q.port_substring.empty()) {
    for (uint16_t port : NamedPorts(q)) pager.VisitPort(port);
    out.total = pager.seen();
    return out;
  }
  if (scopes.size() == 1) {  // the maintained totals answer the count
    out.total = MaintainedTotal(*scopes.front(), q);
    pager.set_total_known();
    if (out.total <= static_cast<int64_t>(q.page.offset)) return out;
  }
  WalkUsedCells(scopes, q.descending,
                [&](uint16_t port, SockType type) { return pager.Visit(port, type); });
  if (scopes.size() != 1) out.total = pager.seen();
  return out;
}

PortIndex::HostPlan PortIndex::PortHosts(const PortHostQuery& q) const {
  HostPlan plan;
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto project = Lookup(projects_, q.project);
  if (!project) return plan;
  std::vector<uint32_t> eps;
  for (const std::string& e : q.eps) {
    if (auto id = Lookup(eps_ids_, e)) eps.push_back(*id);
  }
  if (eps.empty()) return plan;
  std::vector<SockType> types;
  if (q.type) {
    types.push_back(*q.type);
  } else {
    for (int t = 0; t < kTypes; ++t) types.push_back(static_cast<SockType>(t));
  }
  std::vector<Category> categories;
  if (q.category) {
    categories.push_back(*q.category);
  } else {
    categories = {Category::kHost, Category::kContainer};
  }
  const bool host_filter = !q.host_name.empty() || !q.host_ip.empty();
  if (!host_filter) {
    for (uint32_t e : eps) {
      for (Category c : categories) {
        auto it = scopes_.find(ScopeKey(*project, e, c));
        if (it == scopes_.end()) continue;
        for (SockType t : types) {
          if (const Cell* cell = it->second->Find(CellIndex(q.port, t))) {
            plan.total += cell->sockets;
          }
        }
      }
    }
  }
  const auto offset = static_cast<int64_t>(q.page.offset);
  const int64_t end = offset + q.page.limit;
  int64_t pos = 0;
  auto matches = [&](const Posting& p) {
    if (std::find(eps.begin(), eps.end(), p.eps) == eps.end()) return false;
    if (!host_filter) return true;
    const HostInfo& h = hosts_[p.host];
    return (q.host_name.empty() || h.host_name.find(q.host_name) != std::string::npos) &&
           (q.host_ip.empty() || h.host_ip.find(q.host_ip) != std::string::npos);
  };
  for (SockType t : types) {
    std::vector<const std::vector<Posting>*> lists;
    for (Category c : categories) {
      auto it = postings_.find(PostingKey(*project, q.port, t, c));
      if (it != postings_.end() && !it->second.empty()) lists.push_back(&it->second);
    }
    std::vector<size_t> at(lists.size(), 0);
    for (;;) {
      // The next host in ref order across the category lists, with its sockets summed.
      uint32_t host = UINT32_MAX;
      for (size_t l = 0; l < lists.size(); ++l) {
        if (at[l] < lists[l]->size()) host = std::min(host, (*lists[l])[at[l]].host);
      }
      if (host == UINT32_MAX) break;
      int64_t n = 0;
      for (size_t l = 0; l < lists.size(); ++l) {
        if (at[l] < lists[l]->size() && (*lists[l])[at[l]].host == host) {
          const Posting& p = (*lists[l])[at[l]++];
          if (matches(p)) n += p.sockets;
        }
      }
      if (n == 0) continue;
      if (host_filter) plan.total += n;
      const int64_t lo = std::max(pos, offset);
      const int64_t hi = std::min(pos + n, end);
      if (lo < hi) plan.slices.push_back({host, t, lo - pos, hi - lo});
      pos += n;
      if (!host_filter && pos >= end) return plan;
    }
  }
  return plan;
}

int64_t PortIndex::CountPorts(const PortCountQuery& q) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto project = Lookup(projects_, q.project);
  if (!project) return 0;
  int64_t n = 0;
  for (Category c : {Category::kHost, Category::kContainer}) {
    if (q.category && c != *q.category) continue;
    for (const Scope* s : Scopes(*project, q.eps, c)) n += s->sockets;
  }
  return n;
}

size_t PortIndex::HostCount() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return host_count_;
}

}  // namespace portatlas::store
