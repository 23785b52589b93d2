#include "agent/reporter.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "core/check.h"

namespace portatlas::agent {
namespace {

constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

std::string Describe(const Report& r) {
  return fmt::format("report host_id={} seq={} ports={}", r.host_id, r.seq, r.ports);
}

std::string ResultText(const SendResult& r) {
  if (r.http_status == 0) return r.detail;
  if (r.detail.empty()) return fmt::format("HTTP {}", r.http_status);
  return fmt::format("HTTP {}: {}", r.http_status, r.detail);
}

}  // namespace

Status PermanentFailureStatus(const SendResult& result) {
  const std::string text = ResultText(result);
  if (result.http_status == 401) {
    return {ErrorKind::kUnauthenticated, fmt::format("the server refused the token ({})", text)};
  }
  if (result.http_status == 403) {
    return PermissionDenied(fmt::format("the server refused the report ({})", text));
  }
  return InvalidArgument(fmt::format("the server refused the report ({})", text));
}

Reporter::Reporter(CollectFn collect, IngestTransport& transport, Clock& clock,
                   net::Backoff backoff, LogFn log)
    : collect_(std::move(collect)),
      transport_(transport),
      clock_(clock),
      backoff_(std::move(backoff)),
      log_(std::move(log)) {
  PA_CHECK(collect_ != nullptr && log_ != nullptr);
}

void Reporter::CollectIntoPending() {
  auto report = collect_();
  if (!report) {
    log_(fmt::format("collection failed: {}", report.error().ToString()));
    return;
  }
  if (pending_) {
    // Still waiting out the backoff: the newer report takes the older one's turn.
    log_(fmt::format("{}: not delivered, replaced by seq={}", Describe(*pending_), report->seq));
  } else {
    retry_at_ms_ = clock_.SteadyMs();
  }
  pending_ = std::move(*report);
}

SendResult Reporter::Attempt(int64_t deadline_ms) {
  PA_CHECK(pending_.has_value());
  SendResult result = transport_.Send(pending_->body);
  const std::string head = Describe(*pending_);
  switch (result.outcome) {
    case SendOutcome::kCommitted:
      log_(fmt::format("{}: committed ({})", head, ResultText(result)));
      pending_.reset();
      backoff_.Reset();
      break;
    case SendOutcome::kPermanent:
      log_(fmt::format("{}: refused ({}); dropped, not retried", head, ResultText(result)));
      pending_.reset();
      backoff_.Reset();
      break;
    case SendOutcome::kTransient: {
      const int64_t now = clock_.SteadyMs();
      if (now >= deadline_ms) {
        retry_at_ms_.reset();
        log_(fmt::format("{}: failed ({}); giving up", head, ResultText(result)));
        break;
      }
      const int64_t delay_ms = std::min(backoff_.NextDelayMs(), deadline_ms - now);
      retry_at_ms_ = now + delay_ms;
      log_(fmt::format("{}: failed ({}); retry in {:.1f} s", head, ResultText(result),
                       static_cast<double>(delay_ms) / 1000.0));
      break;
    }
  }
  return result;
}

Status Reporter::RunOnce(int64_t retry_for_ms) {
  auto report = collect_();
  if (!report) return report.error();
  pending_ = std::move(*report);
  const int64_t deadline_ms = clock_.SteadyMs() + std::max<int64_t>(retry_for_ms, 0);
  for (;;) {
    const SendResult result = Attempt(deadline_ms);
    if (result.outcome == SendOutcome::kCommitted) return Status::Ok();
    if (result.outcome == SendOutcome::kPermanent) return PermanentFailureStatus(result);
    if (!retry_at_ms_) {
      return Unavailable(fmt::format("the report was not delivered within {} s (last: {})",
                                     retry_for_ms / 1000, ResultText(result)));
    }
    if (!clock_.SleepUntil(*retry_at_ms_)) {
      return Unavailable(
          fmt::format("stopped before the report was delivered (last: {})", ResultText(result)));
    }
  }
}

void Reporter::RunForever(int64_t interval_ms) {
  PA_CHECK(interval_ms > 0) << interval_ms;
  int64_t next_collect_ms = clock_.SteadyMs();
  for (;;) {
    int64_t now = clock_.SteadyMs();
    if (now >= next_collect_ms) {
      CollectIntoPending();
      now = clock_.SteadyMs();
      next_collect_ms += interval_ms;
      // A collection slower than the interval: skip the missed turns instead of bursting.
      if (next_collect_ms <= now) next_collect_ms = now + interval_ms;
    }
    if (pending_ && now >= *retry_at_ms_) Attempt(kNoDeadline);
    int64_t wake_ms = next_collect_ms;
    if (pending_) wake_ms = std::min(wake_ms, *retry_at_ms_);
    if (!clock_.SleepUntil(wake_ms)) {
      if (pending_) log_(fmt::format("{}: not delivered, stopping", Describe(*pending_)));
      log_("stopped");
      return;
    }
  }
}

}  // namespace portatlas::agent
