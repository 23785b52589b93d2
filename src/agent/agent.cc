#include "agent/agent.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <set>
#include <utility>

#include "agent/agent_state.h"
#include "agent/clock.h"
#include "agent/http_client.h"
#include "agent/identity.h"
#include "agent/report.h"
#include "agent/reporter.h"
#include "collect/proc_fs.h"
#include "core/log.h"
#include "net/backoff.h"
#include "net/server_url.h"

namespace portatlas::agent {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitConfig = 2;
constexpr int64_t kBackoffInitialMs = 1000;
constexpr int64_t kBackoffCapMs = 60000;
constexpr size_t kMaxHostFieldBytes = 256;
constexpr int64_t kMaxSeconds = 86400;

// The Reporter's and the agent's lines; "warning: " at the start makes a warning.
void Log(std::string_view line) {
  constexpr std::string_view kWarning = "warning: ";
  if (line.substr(0, kWarning.size()) == kWarning) {
    logging::Logger().warn("{}", line.substr(kWarning.size()));
  } else {
    logging::Logger().info("{}", line);
  }
}

// What the agent holds for its lifetime; the collector borrows `proc`.
struct AgentContext {
  const AgentOptions* options = nullptr;
  std::string host_id;
  std::unique_ptr<collect::ProcFs> proc;
  std::unique_ptr<collect::Collector> collector;
  std::unique_ptr<AgentState> state;
  std::set<std::string> last_warnings;
  std::string last_seq_error;
};

Status CheckOptions(const AgentOptions& o) {
  if (o.interval_s < 1 || o.interval_s > kMaxSeconds) {
    return InvalidArgument("--interval must be 1-86400 seconds");
  }
  if (o.retry_for_s < 0 || o.retry_for_s > kMaxSeconds) {
    return InvalidArgument("--retry-for must be 0-86400 seconds");
  }
  if (!o.host_ip.empty() && !ParseIpAddr(o.host_ip)) {
    return InvalidArgument(fmt::format("--host-ip '{}' is not an IP address", o.host_ip));
  }
  if (o.host_name.size() > kMaxHostFieldBytes) {
    return InvalidArgument("--host-name is longer than 256 bytes");
  }
  if (o.enterprise_project_id.size() > kMaxHostFieldBytes) {
    return InvalidArgument("--enterprise-project is longer than 256 bytes");
  }
  if (!o.host_id.empty()) return ValidateHostId(o.host_id).WithContext("--host-id");
  return Status::Ok();
}

Status Prepare(const AgentOptions& o, AgentContext* ctx) {
  PA_RETURN_IF_ERROR(CheckOptions(o));
  ctx->options = &o;
  if (o.host_id.empty()) {
    auto id = ReadMachineId(o.machine_id_path);
    if (!id) return id.error();
    ctx->host_id = std::move(*id);
  } else {
    ctx->host_id = o.host_id;
  }
  auto state = AgentState::Open(o.state_dir);
  if (!state) return state.error();
  for (const std::string& w : state->warnings()) Log(fmt::format("warning: {}", w));
  ctx->state = std::make_unique<AgentState>(std::move(*state));
  auto proc = collect::ProcFs::Open(o.proc_root);
  if (!proc) return proc.error();
  ctx->proc = std::make_unique<collect::ProcFs>(std::move(*proc));
  ctx->collector = std::make_unique<collect::Collector>(*ctx->proc, o.collector);
  return Status::Ok();
}

// Logs the collector's warnings that were not there last time (they repeat every interval).
void LogNewWarnings(const std::vector<std::string>& warnings, AgentContext* ctx) {
  std::set<std::string> now(warnings.begin(), warnings.end());
  for (const std::string& w : now) {
    if (ctx->last_warnings.count(w) == 0) Log(fmt::format("warning: {}", w));
  }
  ctx->last_warnings = std::move(now);
}

Result<Report> CollectReport(AgentContext* ctx, Clock* clock) {
  const AgentOptions& o = *ctx->options;
  ReportHeader h;
  h.collected_at_ms = clock->WallMs();
  auto snap = ctx->collector->Collect();
  if (!snap) return snap.error();
  LogNewWarnings(snap->warnings, ctx);
  h.host_id = ctx->host_id;
  h.agent_id = ctx->state->agent_id();
  h.host_name = o.host_name.empty() ? LocalHostName() : o.host_name;
  h.host_ip = o.host_ip.empty() ? ChooseHostIp(LocalInterfaceAddresses()) : o.host_ip;
  h.enterprise_project_id = o.enterprise_project_id;
  Status persisted;
  h.seq = ctx->state->NextSeq(static_cast<uint64_t>(std::max<int64_t>(h.collected_at_ms, 0)),
                              &persisted);
  if (!persisted.ok() && persisted.message() != ctx->last_seq_error) {
    Log(fmt::format("warning: cannot save seq: {}", persisted.ToString()));
  }
  ctx->last_seq_error = persisted.message();
  ReportBody body = BuildReportBody(h, snap->sockets);
  if (body.dropped > 0) {
    Log(fmt::format("warning: {} sockets past the limit of {} ports were left out", body.dropped,
                    kMaxReportPorts));
  }
  return Report{std::move(body.json), h.host_id, body.ports, h.seq};
}

}  // namespace

int RunAgent(const AgentOptions& options) {
  auto url = net::ParseServerUrl(options.server);
  if (!url) {
    Log(url.error().message());
    return kExitConfig;
  }
  auto client = HttpIngestClient::Create(*url, options.token);
  if (!client) {
    Log(client.error().message());
    return kExitConfig;
  }
  AgentContext ctx;
  if (Status s = Prepare(options, &ctx); !s.ok()) {
    Log(s.ToString());
    return kExitConfig;
  }
  if (::geteuid() != 0) {
    Log("warning: not root: other namespaces and other users' processes may be invisible");
  }
  SignalClock clock;
  const int64_t interval_ms = options.interval_s * 1000;
  const int64_t cap_ms =
      options.once ? kBackoffCapMs : std::clamp(interval_ms, kBackoffInitialMs, kBackoffCapMs);
  Reporter reporter([&ctx, &clock]() { return CollectReport(&ctx, &clock); }, *client, clock,
                    net::Backoff(kBackoffInitialMs, cap_ms, net::SystemUniform01()), Log);
  Log(fmt::format("host_id={} agent_id={} server={} {}", ctx.host_id, ctx.state->agent_id(),
                  url->ToString(),
                  options.once ? "once" : fmt::format("every {} s", options.interval_s)));
  if (options.once) {
    if (Status s = reporter.RunOnce(options.retry_for_s * 1000); !s.ok()) {
      Log(s.ToString());
      return kExitFailed;
    }
    return 0;
  }
  reporter.RunForever(interval_ms);
  return 0;
}

}  // namespace portatlas::agent
