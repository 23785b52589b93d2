#include "inventory/ingestor.h"

#include <map>
#include <tuple>

namespace portatlas::inventory {
namespace {

// Caps one transaction so a flood of reports still commits (and acknowledges) steadily.
constexpr size_t kMaxPortsPerBatch = 200000;

using DeltaKey = std::tuple<std::string, std::string, store::Category, uint16_t, SockType>;

}  // namespace

Ingestor::Ingestor(store::Store& store, const RiskKb& kb, const ServicesDb& services)
    : store_(store), kb_(kb), services_(services), writer_([this] { WriterLoop(); }) {}

Ingestor::~Ingestor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  queued_cv_.notify_all();
  writer_.join();
}

Result<std::vector<IngestResult>> Ingestor::Ingest(std::vector<HostSnapshot> snapshots) {
  auto req = std::make_shared<Request>();
  req->snapshots = std::move(snapshots);
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return Unavailable("server is shutting down");
  queue_.push_back(req);
  queued_cv_.notify_one();
  done_cv_.wait(lock, [&] { return req->done; });
  if (!req->status.ok()) return req->status;
  return std::move(req->results);
}

void Ingestor::WriterLoop() {
  for (;;) {
    std::vector<std::shared_ptr<Request>> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      queued_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is drained
      size_t ports = 0;
      while (!queue_.empty() && (batch.empty() || ports < kMaxPortsPerBatch)) {
        for (const HostSnapshot& s : queue_.front()->snapshots) ports += s.ports.size() + 1;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Status st = ApplyBatch(batch);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& req : batch) {
        req->status = st;
        req->done = true;
      }
    }
    done_cv_.notify_all();
  }
}

Status Ingestor::ApplyBatch(const std::vector<std::shared_ptr<Request>>& batch) {
  for (auto& req : batch) req->results.clear();
  Status st = store_.Write([&](store::StoreWriter& w) -> Status {
    // Many hosts share few (port, type) keys: merge their aggregate deltas and write each key
    // once per batch.
    std::map<DeltaKey, store::StatDelta> deltas;
    for (auto& req : batch) {
      for (const HostSnapshot& snap : req->snapshots) {
        auto old_host = w.GetHost(snap.project, snap.host_id);
        if (!old_host) return old_host.error();
        auto old_ports = w.GetHostPorts(snap.project, snap.host_id);
        if (!old_ports) return old_ports.error();
        HostChange ch = DiffSnapshot(*old_host, *old_ports, snap, kb_, services_);
        req->results.push_back(ch.result);
        if (!ch.result.applied) continue;
        PA_RETURN_IF_ERROR(w.PutHost(ch.host));
        for (const store::PortKey& k : ch.remove) {
          PA_RETURN_IF_ERROR(w.DeletePort(snap.project, snap.host_id, k));
        }
        for (const store::PortRow& r : ch.put) PA_RETURN_IF_ERROR(w.PutPort(r));
        for (const store::PortEvent& e : ch.events) PA_RETURN_IF_ERROR(w.AddEvent(e));
        for (const store::StatDelta& d : ch.deltas) {
          auto [it, fresh] =
              deltas.try_emplace(DeltaKey{d.project, d.eps, d.category, d.port, d.type}, d);
          if (fresh) continue;
          it->second.num += d.num;
          it->second.danger += d.danger;
          it->second.normal += d.normal;
          it->second.sockets += d.sockets;
        }
      }
    }
    for (const auto& [key, d] : deltas) {
      if (d.num != 0 || d.danger != 0 || d.normal != 0 || d.sockets != 0) {
        PA_RETURN_IF_ERROR(w.AddStatDelta(d));
      }
    }
    return Status::Ok();
  });
  if (!st.ok()) return Unavailable(st.message());
  return st;
}

}  // namespace portatlas::inventory
