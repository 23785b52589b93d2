#include "flow/collector.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "core/addr_set.h"
#include "core/json_writer.h"
#include "core/log.h"
#include "core/traffic_json.h"
#include "flow/aggregator.h"
#include "flow/decoder.h"
#include "flow/listener_feed.h"
#include "flow/ndpi_classifier.h"
#include "flow/pcap_flows.h"
#include "flow/pcap_input.h"
#include "flow/shipper.h"
#include "flow/udp_receiver.h"
#include "inventory/services_db.h"
#include "net/http_client.h"

namespace portatlas::flow {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<AddrSet> ParseRanges(const std::vector<std::string>& specs, const char* flag) {
  AddrSet set;
  for (const std::string& spec : specs) {
    auto r = ParseAddrRange(spec);
    if (!r || !*r) {
      return InvalidArgument(
          fmt::format("{} {}: {}", flag, spec,
                      r ? "not an address, CIDR block or range" : r.error().message()));
    }
    set.Add(**r);
  }
  return set;
}

// Ports named in the services database count as well-known (classify.h).
std::shared_ptr<WellKnownPorts> LoadWellKnown(const std::string& path) {
  auto wk = std::make_shared<WellKnownPorts>();
  auto db = inventory::ServicesDb::Load(path);
  if (!db) {
    logging::Logger().warn("{}; only ports below 1024 count as well-known", db.error().message());
    return wk;
  }
  for (uint32_t port = 1024; port < 32768; ++port) {
    for (Proto p : {Proto::kTcp, Proto::kUdp}) {
      if (!db->Name(p, static_cast<uint16_t>(port)).empty()) {
        wk->Add(p, static_cast<uint16_t>(port));
      }
    }
  }
  return wk;
}

// Where flushed records go: the shipper and/or a JSON-lines file. Thread-safe.
class Outlet {
 public:
  Status Open(const CollectorOptions& o) {
    if (!o.output.empty()) {
      file_ = o.output == "-" ? stdout : std::fopen(o.output.c_str(), "a");
      if (file_ == nullptr) return ErrnoStatus(errno, "open " + o.output);
    }
    if (o.server.empty()) return Status::Ok();
    PA_ASSIGN_OR_RETURN(url, net::ParseServerUrl(o.server));
    PA_ASSIGN_OR_RETURN(client, net::HttpClient::Create(url, o.token));
    client_ = std::move(client);
    ShipperOptions so;
    so.state_dir = o.state_dir;
    PA_ASSIGN_OR_RETURN(shipper, TrafficShipper::Open(so, [this](std::string_view body) {
                          return client_->Call("POST", "/v1/ingest/traffic", body);
                        }));
    shipper_ = std::move(shipper);
    return Status::Ok();
  }
  ~Outlet() {
    shipper_.reset();  // its thread uses client_
    if (file_ != nullptr && file_ != stdout) std::fclose(file_);
  }

  void Put(std::vector<TrafficRecord> records) {
    if (records.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (file_ != nullptr) {
      for (const TrafficRecord& r : records) {
        rapidjson::StringBuffer buf;
        JsonWriter w(buf);
        WriteTrafficRecord(w, r, TrafficForm::kAnswer);
        std::fprintf(file_, "%s\n", buf.GetString());
      }
      std::fflush(file_);
    }
    if (shipper_) {
      if (Status st = shipper_->Enqueue(std::move(records)); !st.ok()) {
        logging::Logger().error("spool: {}", st.message());
      }
    }
  }
  TrafficShipper* shipper() { return shipper_.get(); }

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<net::HttpClient> client_;
  std::unique_ptr<TrafficShipper> shipper_;
};

struct Shared {
  std::shared_ptr<const InternetRanges> internet;
  std::shared_ptr<const WellKnownPorts> well_known;
  Outlet outlet;
  std::unique_ptr<ListenerFeed> listeners;  // with --server
  std::atomic<bool> stop{false};
  int64_t flush_interval_ms = 10'000;
};

void LogCounters(const std::string& where, const UdpReceiver& rx, const FlowDecoder& d,
                 const Aggregator& a) {
  const DecoderStats& s = d.stats();
  logging::Logger().info(
      "{}: {} datagrams, {} flows ({} aggregated, {} not internet), {} damaged, {} kernel "
      "drops, {} records and {} packets lost on the way, {} sets held for a template, {} "
      "dropped",
      where, rx.datagrams(), s.flows, a.stats().aggregated, a.stats().not_internet, s.bad_packets,
      rx.kernel_drops(), s.lost_records, s.lost_packets, s.pending_held, s.pending_dropped);
}

void ReceiveLoop(Shared& shared, UdpReceiver& rx, const std::string& where) {
  FlowDecoder decoder;
  Aggregator agg(shared.internet, shared.well_known);
  std::vector<FlowRecord> flows;
  int64_t last_flush = NowMs();
  int64_t last_listeners = 0;
  uint64_t drops_reported = 0;
  while (!shared.stop.load()) {
    if (shared.listeners && NowMs() - last_listeners >= 1000) {
      agg.SetListeners(shared.listeners->Current());
      last_listeners = NowMs();
    }
    auto n = rx.Receive(200, [&](const IpAddr& from, std::span<const uint8_t> d) {
      flows.clear();
      const int64_t now = NowMs();
      (void)decoder.Decode(from, d, now, &flows);  // counted in the decoder's stats
      for (const FlowRecord& f : flows) agg.Add(f, ExportedFlowLabel(f), now);
    });
    if (!n) logging::Logger().error("{}: {}", where, n.error().message());
    const int64_t now = NowMs();
    if (now - last_flush >= shared.flush_interval_ms) {
      decoder.Expire(now);
      shared.outlet.Put(agg.Drain());
      LogCounters(where, rx, decoder, agg);
      if (rx.kernel_drops() > drops_reported) {
        logging::Logger().warn("{}: the kernel dropped {} datagrams (receive buffer {} bytes)",
                               where, rx.kernel_drops() - drops_reported, rx.rcvbuf_bytes());
        drops_reported = rx.kernel_drops();
      }
      last_flush = now;
    }
  }
  shared.outlet.Put(agg.Drain());
  LogCounters(where, rx, decoder, agg);
}

Status RunPcap(const CollectorOptions& o, Shared& shared) {
  PA_ASSIGN_OR_RETURN(dpi, NdpiClassifier::Create());
  Aggregator agg(shared.internet, shared.well_known);
  FlowBuilder builder(*dpi, {}, [&](const FlowRecord& f, const FlowLabel& label) {
    agg.Add(f, label, f.start_ms);
  });
  PcapStats stats;
  Status st;
  if (o.interface.empty()) {
    st = ReadPcapFiles(o.pcap_files, builder, &stats);
  } else {
    int64_t last_flush = NowMs();
    st = CaptureInterface(o.interface, builder, &stats, shared.stop, [&](int64_t now) {
      if (now - last_flush < shared.flush_interval_ms) return;
      builder.Expire(now);
      if (shared.listeners) agg.SetListeners(shared.listeners->Current());
      shared.outlet.Put(agg.Drain());
      last_flush = now;
    });
    if (stats.dropped > 0) logging::Logger().warn("the kernel dropped {} frames", stats.dropped);
  }
  builder.Flush();
  shared.outlet.Put(agg.Drain());
  logging::Logger().info(
      "{} frames ({} not IP or damaged), {} flows ({} aggregated, {} not internet, {} neither "
      "TCP nor UDP)",
      stats.frames, stats.not_ip, builder.stats().flows, agg.stats().aggregated,
      agg.stats().not_internet, agg.stats().other_protocols);
  return st;
}

// A client of its own (HttpClient is one call at a time; the shipper has the other), owned by
// the feed's function so that it outlives the feed's thread.
Status StartListenerFeed(const CollectorOptions& o, Shared& shared) {
  PA_ASSIGN_OR_RETURN(url, net::ParseServerUrl(o.server));
  PA_ASSIGN_OR_RETURN(client, net::HttpClient::Create(url, o.token));
  std::shared_ptr<net::HttpClient> c = std::move(client);
  shared.listeners = std::make_unique<ListenerFeed>(
      [c] { return c->Call("GET", "/v1/listeners", ""); }, o.listeners_interval_ms);
  return Status::Ok();
}

// One receiving thread per --listen until a stop signal.
Status RunReceivers(const CollectorOptions& o, Shared& shared, const sigset_t& stop_signals) {
  std::vector<std::unique_ptr<UdpReceiver>> receivers;
  for (const std::string& l : o.listen) {
    PA_ASSIGN_OR_RETURN(at, ParseListenAddress(l));
    PA_ASSIGN_OR_RETURN(rx, UdpReceiver::Open(at, o.rcvbuf_bytes));
    logging::Logger().info("collecting on udp {}:{} (receive buffer {} bytes)", at.ip.ToString(),
                           rx->port(), rx->rcvbuf_bytes());
    receivers.push_back(std::move(rx));
  }
  std::vector<std::thread> threads;
  for (size_t i = 0; i < receivers.size(); ++i) {
    threads.emplace_back([&, i] { ReceiveLoop(shared, *receivers[i], o.listen[i]); });
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  logging::Logger().info("signal {}, stopping", sig);
  shared.stop = true;
  for (std::thread& t : threads) t.join();
  return Status::Ok();
}

}  // namespace

int RunCollector(const CollectorOptions& o) {
  auto fail = [](const Status& st) {
    logging::Logger().error("{}", st.message());
    return 1;
  };
  if (static_cast<int>(!o.listen.empty()) + static_cast<int>(!o.pcap_files.empty()) +
          static_cast<int>(!o.interface.empty()) !=
      1) {
    return fail(InvalidArgument("give --listen, --pcap or --interface (one of them)"));
  }
  if (o.server.empty() && o.output.empty()) {
    return fail(InvalidArgument("give --server (and --token) or --output"));
  }
  auto internet = ParseRanges(o.internet, "--internet");
  if (!internet) return fail(internet.error());
  auto internal = ParseRanges(o.internal, "--internal");
  if (!internal) return fail(internal.error());
  Shared shared;
  shared.internet = std::make_shared<InternetRanges>(std::move(*internet), std::move(*internal));
  shared.well_known = LoadWellKnown(o.services_path);
  shared.flush_interval_ms = o.flush_interval_ms;
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  if (Status st = shared.outlet.Open(o); !st.ok()) return fail(st);
  if (!o.server.empty() && o.pcap_files.empty()) {
    if (Status st = StartListenerFeed(o, shared); !st.ok()) return fail(st);
  }
  if (!o.interface.empty()) {
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      logging::Logger().info("signal {}, stopping", sig);
      shared.stop = true;
    });
    Status st = RunPcap(o, shared);
    if (!shared.stop.load()) pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    if (!st.ok()) return fail(st);
  } else if (!o.pcap_files.empty()) {
    if (Status st = RunPcap(o, shared); !st.ok()) return fail(st);
  } else if (Status st = RunReceivers(o, shared, stop_signals); !st.ok()) {
    return fail(st);
  }
  if (TrafficShipper* s = shared.outlet.shipper()) {
    const bool idle = s->WaitIdle(o.drain_timeout_ms);
    const ShipperStats st = s->stats();
    logging::Logger().info(
        "shipped: {} batches acknowledged, {} duplicates, {} refused; {} left "
        "in the spool{}",
        st.batches_acked, st.duplicates, st.refused, st.spool_files,
        idle ? "" : " (sent at the next start)");
  }
  return 0;
}

}  // namespace portatlas::flow
