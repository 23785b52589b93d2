#include "api/aliyun/avds_handlers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "api/aliyun/rpc_body.h"
#include "api/aliyun/rpc_errors.h"
#include "core/text.h"

namespace portatlas::api::aliyun {
namespace {

constexpr size_t kMaxTextParamBytes = 256;
constexpr size_t kMaxStatusList = 10;

struct Page {
  int64_t size = AvdsHandlers::kDefaultPageSize;
  int64_t current = 1;
  store::PageRequest Request() const {
    return store::PageRequest{static_cast<int>(size), static_cast<int>((current - 1) * size)};
  }
  int64_t Offset() const { return (current - 1) * size; }
};

Result<Page> ReadPage(const RpcParams& p, int64_t max_size) {
  PA_ASSIGN_OR_RETURN(size, p.Int("PageSize", 1, max_size));
  PA_ASSIGN_OR_RETURN(current, p.Int("CurrentPage", 1, AvdsHandlers::kMaxCurrentPage));
  return Page{size.value_or(AvdsHandlers::kDefaultPageSize), current.value_or(1)};
}

Result<int64_t> ReadTaskId(const RpcParams& p) {
  PA_ASSIGN_OR_RETURN(id, p.Int("TaskId", 1, INT64_MAX));
  if (!id) return MissingParameter("TaskId");
  return *id;
}

Status TaskNotFound() {
  return RpcError(ErrorKind::kNotFound, "InvalidTaskId.NotFound",
                  "The specified TaskId does not exist.");
}

// A store error, with "no such task" as the API's own error.
Status FromStore(const Status& st) {
  return st.kind() == ErrorKind::kNotFound ? TaskNotFound() : st;
}

// The Asset filter: nullopt (every address), an address, or nothing at all (a domain name: scan
// records hold addresses only).
struct Asset {
  std::optional<IpAddr> ip;
  bool matches_nothing = false;
};

Result<Asset> ReadAsset(const RpcParams& p) {
  PA_ASSIGN_OR_RETURN(raw, p.String("Asset", kMaxTextParamBytes));
  Asset a;
  const std::string value = raw.value_or("");  // Trim's view must not outlive it
  const std::string_view text = Trim(value);
  if (text.empty()) return a;
  a.ip = ParseIpAddr(text);
  a.matches_nothing = !a.ip.has_value();
  return a;
}

std::string_view JobStatus(std::string_view status) {
  if (status == "done") return "finished";
  if (status == "failed") return "aborted";
  return "running";
}

// StatusList.N words to stored statuses; "waiting" has none (tasks start running).
Result<std::vector<std::string>> StoredStatuses(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    const char* stored = w == "finished"  ? "done"
                         : w == "aborted" ? "failed"
                         : w == "running" ? "running"
                                          : nullptr;
    if (stored == nullptr && w != "waiting") {
      return InvalidParameter(fmt::format("StatusList.{}", i + 1),
                              "It must be waiting, finished, running or aborted.");
    }
    if (stored != nullptr && std::find(out.begin(), out.end(), stored) == out.end()) {
      out.emplace_back(stored);
    }
  }
  return out;
}

double RunPercent(const store::ScanTaskRow& t) {
  if (t.status == "done") return 100;
  if (t.probes_total <= 0) return 0;
  return std::min(100.0,
                  100.0 * static_cast<double>(t.probes_done) / static_cast<double>(t.probes_total));
}

std::vector<std::string_view> SplitTargets(std::string_view targets) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < targets.size()) {
    const size_t end = targets.find_first_of(" \t\r\n,", i);
    const std::string_view piece = targets.substr(i, end == std::string_view::npos ? end : end - i);
    if (!piece.empty()) out.push_back(piece);
    if (end == std::string_view::npos) break;
    i = end + 1;
  }
  return out;
}

std::string_view Fingerprint(const store::ScanRecordRow& r) {
  return !r.cpe.empty() ? std::string_view(r.cpe) : std::string_view(r.banner_hash);
}

std::string Root(const RpcCall& call) { return fmt::format("{}Response", call.action); }

// The fields every port record has; Port's type is the caller's (string in DescribePorts,
// number in ListUserPorts).
void PortFields(RpcBody& b, const store::ScanRecordRow& r, int64_t index) {
  b.Int("Index", index)
      .Str("IP", r.ip.ToString())
      .Str("Protocol", ProtoName(r.proto))
      .Str("Service", r.service)
      .Str("Product", r.product)
      .Str("Version", r.version)
      .Str("Fingerprint", Fingerprint(r))
      .Int("UpdatedAt", r.updated_at_ms);
}

}  // namespace

Result<Response> AvdsHandlers::DescribeScanSessions(const RpcCall& call) const {
  const RpcParams& p = call.params;
  PA_ASSIGN_OR_RETURN(page, ReadPage(p, kListPageSizeMax));
  PA_ASSIGN_OR_RETURN(scan_id, p.String("ScanId", kMaxTextParamBytes));
  PA_ASSIGN_OR_RETURN(search, p.String("Search", kMaxTextParamBytes));
  PA_ASSIGN_OR_RETURN(status_words, p.RepeatList("StatusList", kMaxStatusList));
  store::ScanTaskQuery q;
  q.project = call.principal.project;
  q.search = search.value_or("");
  q.page = page.Request();
  if (!status_words.empty()) {
    PA_ASSIGN_OR_RETURN(statuses, StoredStatuses(status_words));
    q.statuses = std::move(statuses);
  }
  store::QueryResult<store::ScanTaskRow> found;
  // A ScanId is one of our task ids; any other text names no task.
  const std::optional<uint64_t> id = ParseUint(scan_id.value_or(""), INT64_MAX);
  if (!scan_id || id) {
    if (id) q.id = static_cast<int64_t>(*id);
    PA_ASSIGN_OR_RETURN(tasks, store_.FindScanTasks(q));
    found = std::move(tasks);
  }
  RpcBody b(call.xml, Root(call));
  b.Str("RequestId", call.request_id);
  b.Int("TotalCount", found.total)
      .Int("PageSize", page.size)
      .Int("PageCount", (found.total + page.size - 1) / page.size)
      .Int("CurrentPage", page.current)
      .Int("Count", static_cast<int64_t>(found.rows.size()));
  b.BeginArray("List");
  for (const store::ScanTaskRow& t : found.rows) {
    b.BeginItem()
        .Int("TaskId", t.id)
        .Str("ScanId", fmt::format("{}", t.id))
        .Str("JobStatus", JobStatus(t.status))
        .Str("Name", t.name);
    b.BeginArray("Targets");
    for (const std::string_view target : SplitTargets(t.targets)) b.StrItem(target);
    b.EndArray();
    b.Str("TriggerType", "date")
        .Str("Period", "")
        .Int("Interval", 0)
        .Int("CreatedAt", t.created_ms)
        .Int("FinishedAt", t.finished_ms)
        .Str("ReportStatus", "inexistent")
        .Str("ReportUrl", "")
        .Float("RunPercent", RunPercent(t))
        .EndItem();
  }
  b.EndArray();
  return b.Done();
}

Result<Response> AvdsHandlers::DescribePorts(const RpcCall& call) const {
  const RpcParams& p = call.params;
  PA_ASSIGN_OR_RETURN(task_id, ReadTaskId(p));
  PA_ASSIGN_OR_RETURN(asset, ReadAsset(p));
  PA_ASSIGN_OR_RETURN(page, ReadPage(p, kTaskPageSizeMax));
  store::QueryResult<store::ScanRecordRow> found;
  if (asset.matches_nothing) {
    PA_ASSIGN_OR_RETURN(task, store_.GetScanTask(call.principal.project, task_id));
    if (!task) return TaskNotFound();
  } else {
    auto ports = store_.ListScanOpenPorts(
        store::ScanPortQuery{call.principal.project, task_id, asset.ip, page.Request()});
    if (!ports) return FromStore(ports.error());
    found = std::move(*ports);
  }
  RpcBody b(call.xml, Root(call));
  b.Str("RequestId", call.request_id);
  b.Int("Total", found.total).BeginArray("Records");
  int64_t index = page.Offset();
  for (const store::ScanRecordRow& r : found.rows) {
    b.BeginItem().Str("Port", fmt::format("{}", r.port));
    PortFields(b, r, ++index);
    b.EndItem();
  }
  b.EndArray();
  return b.Done();
}

Result<Response> AvdsHandlers::DescribeHosts(const RpcCall& call) const {
  const RpcParams& p = call.params;
  PA_ASSIGN_OR_RETURN(task_id, ReadTaskId(p));
  PA_ASSIGN_OR_RETURN(asset, ReadAsset(p));
  PA_ASSIGN_OR_RETURN(page, ReadPage(p, kTaskPageSizeMax));
  store::QueryResult<store::ScanHostRow> found;
  if (asset.matches_nothing) {
    PA_ASSIGN_OR_RETURN(task, store_.GetScanTask(call.principal.project, task_id));
    if (!task) return TaskNotFound();
  } else {
    auto hosts = store_.ListScanHosts(
        store::ScanPortQuery{call.principal.project, task_id, asset.ip, page.Request()});
    if (!hosts) return FromStore(hosts.error());
    found = std::move(*hosts);
  }
  RpcBody b(call.xml, Root(call));
  b.Str("RequestId", call.request_id);
  b.Int("Total", found.total).BeginArray("Records");
  int64_t index = page.Offset();
  for (const store::ScanHostRow& h : found.rows) {
    b.BeginItem()
        .Int("Index", ++index)
        .Str("IP", h.ip.ToString())
        .Str("Hostname", "")
        .Str("OS", "")
        .Str("IsUp", "Up")
        .Int("UpdatedAt", h.updated_ms)
        .EndItem();
  }
  b.EndArray();
  return b.Done();
}

Result<Response> AvdsHandlers::DescribeAttackSurfacesFacets(const RpcCall& call) const {
  PA_ASSIGN_OR_RETURN(task_id, ReadTaskId(call.params));
  auto counts = store_.CountScanSurface(call.principal.project, task_id);
  if (!counts) return FromStore(counts.error());
  RpcBody b(call.xml, Root(call));
  b.Str("RequestId", call.request_id);
  b.Int("Ports", counts->open_ports).Int("Hosts", counts->hosts);
  // Web and DNS facets: a port scan finds none of these.
  for (const char* zero : {"Domains", "Subdomains", "DNSMap", "WebTechs", "WebServers", "WebPaths",
                           "CrawlerRequests"}) {
    b.Int(zero, 0);
  }
  return b.Done();
}

Result<Response> AvdsHandlers::ListUserPorts(const RpcCall& call) const {
  const RpcParams& p = call.params;
  PA_ASSIGN_OR_RETURN(page, ReadPage(p, kListPageSizeMax));
  PA_ASSIGN_OR_RETURN(search, p.String("Search", kMaxTextParamBytes));
  PA_ASSIGN_OR_RETURN(
      found, store_.ListProjectOpenPorts(store::ProjectPortQuery{
                 call.principal.project, std::string(Trim(search.value_or(""))), page.Request()}));
  RpcBody b(call.xml, Root(call));
  b.Str("RequestId", call.request_id);
  b.Int("TotalCount", found.total)
      .Int("PageSize", page.size)
      .Int("CurrentPage", page.current)
      .BeginArray("Records");
  int64_t index = page.Offset();
  for (const store::ScanRecordRow& r : found.rows) {
    ++index;
    // Id: the record's position, like Index (no AVDS API takes a port's Id).
    b.BeginItem().Int("Id", index).Int("Port", r.port);
    PortFields(b, r, index);
    b.EndItem();
  }
  b.EndArray();
  return b.Done();
}

}  // namespace portatlas::api::aliyun
