#include "flow/pcap_input.h"

#include <fmt/format.h>
#include <pcap/pcap.h>
#include <poll.h>

#include <chrono>

#include "core/log.h"

namespace portatlas::flow {
namespace {

constexpr uint64_t kExpireEvery = 4096;  // frames between timeout sweeps

Status ReadOne(const std::string& path, FlowBuilder& builder, PcapStats* stats) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  if (p == nullptr) return InvalidArgument(fmt::format("{}: {}", path, err));
  const int link = pcap_datalink(p);
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  int64_t now_ms = 0;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    ++stats->frames;
    now_ms = int64_t{h->ts.tv_sec} * 1000 + h->ts.tv_usec / 1000;
    auto info = ParsePacket(link, {data, h->caplen});
    if (!info) {
      ++stats->not_ip;
    } else {
      stats->bytes += info->ip_bytes;
      builder.Add(*info, now_ms);
    }
    if (stats->frames % kExpireEvery == 0) builder.Expire(now_ms);
  }
  Status st =
      rc == PCAP_ERROR ? ParseError(fmt::format("{}: {}", path, pcap_geterr(p))) : Status::Ok();
  pcap_close(p);
  if (now_ms > 0) builder.Expire(now_ms);
  return st;
}

struct Feed {
  FlowBuilder& builder;
  PcapStats* stats;
  int link;
};

void OnFrame(u_char* user, const pcap_pkthdr* h, const u_char* data) {
  Feed& f = *reinterpret_cast<Feed*>(user);
  ++f.stats->frames;
  auto info = ParsePacket(f.link, {data, h->caplen});
  if (!info) {
    ++f.stats->not_ip;
    return;
  }
  f.stats->bytes += info->ip_bytes;
  f.builder.Add(*info, int64_t{h->ts.tv_sec} * 1000 + h->ts.tv_usec / 1000);
}

}  // namespace

Status CaptureInterface(const std::string& interface, FlowBuilder& builder, PcapStats* stats,
                        const std::atomic<bool>& stop, const std::function<void(int64_t)>& tick) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(interface.c_str(), err);
  if (p == nullptr) return InvalidArgument(fmt::format("interface {}: {}", interface, err));
  pcap_set_snaplen(p, 65535);
  pcap_set_promisc(p, 1);
  pcap_set_immediate_mode(p, 1);
  pcap_set_timeout(p, 200);
  pcap_set_buffer_size(p, 32 << 20);
  if (pcap_activate(p) < 0) {
    Status st = InvalidArgument(fmt::format("interface {}: {}", interface, pcap_geterr(p)));
    pcap_close(p);
    return st;
  }
  // Non-blocking, waited on with poll: in immediate mode libpcap's own timeout does not bound a
  // read, and a quiet interface would hold the stop forever.
  const int fd = pcap_get_selectable_fd(p);
  if (fd < 0 || pcap_setnonblock(p, 1, err) != 0) {
    pcap_close(p);
    return InvalidArgument(fmt::format("interface {}: cannot be polled", interface));
  }
  logging::Logger().info("capturing on {}", interface);
  Feed feed{builder, stats, pcap_datalink(p)};
  Status st;
  while (!stop.load()) {
    pollfd pfd{fd, POLLIN, 0};
    poll(&pfd, 1, 200);
    if (pcap_dispatch(p, 256, OnFrame, reinterpret_cast<u_char*>(&feed)) == PCAP_ERROR) {
      st = IoError(fmt::format("interface {}: {}", interface, pcap_geterr(p)));
      break;
    }
    tick(std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count());
  }
  pcap_stat ps{};
  if (pcap_stats(p, &ps) == 0) stats->dropped = ps.ps_drop + ps.ps_ifdrop;
  pcap_close(p);
  return st;
}

Status ReadPcapFiles(const std::vector<std::string>& files, FlowBuilder& builder,
                     PcapStats* stats) {
  for (const std::string& f : files) PA_RETURN_IF_ERROR(ReadOne(f, builder, stats));
  return Status::Ok();
}

}  // namespace portatlas::flow
