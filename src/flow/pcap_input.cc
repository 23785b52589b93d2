#include "flow/pcap_input.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

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

}  // namespace

Status ReadPcapFiles(const std::vector<std::string>& files, FlowBuilder& builder,
                     PcapStats* stats) {
  for (const std::string& f : files) PA_RETURN_IF_ERROR(ReadOne(f, builder, stats));
  return Status::Ok();
}

}  // namespace portatlas::flow
