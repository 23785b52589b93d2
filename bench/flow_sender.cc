// flow_sender: NetFlow v9 or IPFIX at full speed over loopback, for flow_bench.sh. Sends a
// template message, then data messages of 30 IPv4 flow records each (1 packet and 1,000 bytes
// per record, 200 server ports on 198.18.0.2..11, clients from 198.19.0.0/16), resending the
// template every 1,000 messages, for --seconds or --messages. Prints one line:
//   sent MESSAGES messages, RECORDS records in SECONDS s
// Loopback only: the destination is 127.0.0.1.
//
//   flow_sender --version 9|10 --port PORT [--seconds S | --messages N]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "flow/export_builder.h"

namespace {

using portatlas::flow::ExportBuilder;
using portatlas::flow::Version;

constexpr int kRecords = 30;

std::vector<uint8_t> Message(Version v, uint32_t seq, uint32_t n, bool with_template) {
  const auto now = static_cast<uint32_t>(::time(nullptr));
  ExportBuilder b(v, now, v == Version::kV9 ? seq : seq * kRecords, 1, 100'000);
  if (with_template) {
    b.Template(
        256, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {1, 4}, {2, 4}, {22, 4}, {21, 4}});
  }
  b.BeginSet(256);
  for (int r = 0; r < kRecords; ++r) {
    const uint32_t k = n * kRecords + static_cast<uint32_t>(r);
    const std::string src =
        "198.19." + std::to_string((k >> 8) & 0xff) + "." + std::to_string(k & 0xff);
    const std::string dst = "198.18.0." + std::to_string(2 + k % 10);
    b.Ip(src).Ip(dst).U(40000 + k % 20000, 2).U(1000 + k % 200, 2).U(6, 1).U(0x1b, 1);
    b.U(1000, 4).U(1, 4).U(90'000, 4).U(99'000, 4);
  }
  b.EndSet();
  return b.Finish();
}

}  // namespace

int main(int argc, char** argv) {
  int version = 10;
  int port = 0;
  double seconds = 5;
  long messages = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--version")
      version = std::atoi(argv[i + 1]);
    else if (k == "--port")
      port = std::atoi(argv[i + 1]);
    else if (k == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (k == "--messages")
      messages = std::atol(argv[i + 1]);
  }
  if (port <= 0 || (version != 9 && version != 10)) {
    std::fprintf(stderr,
                 "usage: flow_sender --version 9|10 --port PORT [--seconds S | --messages N]\n");
    return 2;
  }
  const Version v = version == 9 ? Version::kV9 : Version::kIpfix;
  // A pool of distinct messages, built before the clock starts.
  std::vector<std::vector<uint8_t>> pool;
  for (uint32_t n = 0; n < 1000; ++n) pool.push_back(Message(v, n, n, false));
  const std::vector<uint8_t> tmpl = Message(v, 0, 0, true);  // template and data
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  long sent = 0;
  long records = 0;
  constexpr int kBatch = 64;
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  std::vector<uint8_t> bufs[kBatch];
  // The header's sequence number: v9 counts messages (offset 12), IPFIX records (offset 8).
  const size_t seq_at = v == Version::kV9 ? 12 : 8;
  while (messages < 0 ? std::chrono::steady_clock::now() < end : sent < messages) {
    int n = 0;
    for (; n < kBatch && (messages < 0 || sent + n < messages); ++n) {
      const long k = sent + n;
      bufs[n] = k % 1000 == 0 ? tmpl : pool[static_cast<size_t>(k % 1000)];
      const auto seq = static_cast<uint32_t>(v == Version::kV9 ? k : k * kRecords);
      for (int b = 0; b < 4; ++b)
        bufs[n][seq_at + static_cast<size_t>(b)] = static_cast<uint8_t>(seq >> (24 - 8 * b));
      iov[n] = {bufs[n].data(), bufs[n].size()};
      std::memset(&msgs[n], 0, sizeof(msgs[n]));
      msgs[n].msg_hdr.msg_name = &to;
      msgs[n].msg_hdr.msg_namelen = sizeof(to);
      msgs[n].msg_hdr.msg_iov = &iov[n];
      msgs[n].msg_hdr.msg_iovlen = 1;
    }
    const int done = ::sendmmsg(fd, msgs, static_cast<unsigned>(n), 0);
    if (done <= 0) continue;
    records += static_cast<long>(done) * kRecords;
    sent += done;
  }
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sent %ld messages, %ld records in %.3f s\n", sent, records, took);
  ::close(fd);
  return 0;
}
