// Detector: what answers on an open port. Given open ports (from any thread, as a port scan
// finds them), it sends nmap's service probes (ProbeDb) and names the service, product and
// version from the replies; TLS through OpenSSL, with the certificate's facts.
//
// How it differs from nmap -sV, which sends one probe at a time per port and waits out each
// probe's totalwaitms (6 s for the NULL probe) before the next:
//
//  * Parallel connections per port. At once: the NULL probe's connection (read the banner) and,
//    when a probe lists the port, that probe's connection; a TLS connection at once too when a
//    probe lists the port in sslports. If no hard match has come after a short grace (a banner
//    comes within a round trip of the accept), the other probes start, `parallel` connections
//    at a time, in nmap's order, and a TLS handshake is tried. A reply that completes (the peer
//    closes, or goes quiet for `idle_ms` after sending) frees the slot for the next probe;
//    silence holds a slot for the probe's totalwaitms, but not the others.
//  * TLS. A handshake that succeeds makes the port a TLS port: the NULL probe and the probes are
//    then run inside TLS (sslports first), and that side's match wins. A plain reply that looks
//    like TLS (a record header) or a match naming "ssl" or "ssl/..." starts the handshake if it
//    has not started. A handshake that gets no byte back within `tls_silence_ms` while the plain
//    side has a hard match is dropped (a TLS server answers a ClientHello at once).
//  * Versions. A hard match without a version is not the end: the matching connection is read
//    on for `idle_ms` (MQTT's retained $SYS/broker/version comes after the CONNACK), and the
//    probes that can name that service (their own match lines do) are sent whatever their
//    rarity or ports (nmap sends Redis's INFO probe on 6379 only). The match with a version
//    wins.
//  * STARTTLS. A plain port named smtp, imap, pop3 or ftp gets one more connection that asks for
//    TLS the protocol's way (EHLO and STARTTLS if offered, STARTTLS, STLS, AUTH TLS); the
//    certificate's facts go into the record marked "starttls":true. The port stays plain.
//  * Known nmap mistakes are corrected afterwards (Refine, detector_refine.h).
//
// UDP ports get the UDP probes (listed first, then by rarity), each on its own connected socket,
// `parallel` at a time; an ICMP port unreachable ends a probe. A UDP port the scan could only
// call open|filtered gets just the probes that list it (all of them at intensity 9); one that
// answers becomes open (reason udp-response).
//
// A port's result: the hard match, else the first softmatch (service only), else "tcpwrapped"
// when the NULL probe's connection was closed without a byte within its tcpwrappedms and no
// probe got a byte, else no service. Every port ends within `port_timeout_ms`.
#ifndef PORTATLAS_SCAN_DETECT_DETECTOR_H_
#define PORTATLAS_SCAN_DETECT_DETECTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "scan/detect/service_probes.h"
#include "scan/record.h"

namespace portatlas::scan {

struct DetectOptions {
  int intensity = 7;           // nmap's --version-intensity: probes of rarity <= this
  int parallel = 4;            // probe connections in flight per port (besides the NULL probe's)
  int max_connections = 1024;  // connections in flight in all
  int per_host = 8;            // ports of one address detected at once (the rest wait their turn)
  int threads = 0;             // event loops; 0 = one per CPU, at most 4
  int connect_timeout_ms = 3000;
  int grace_ms = 150;        // wait this long for a banner before starting the other probes
  int idle_ms = 250;         // a reply is complete when the peer is quiet this long after it
  int tls_silence_ms = 500;  // at most; 8 round trips of the connect, at least 100 ms
  int followup_ms = 2000;    // the most a version follow-up probe waits
  int port_timeout_ms = 30000;
  // Set (by a signal handler) to stop: ports not finished are reported as they stand.
  const std::atomic<bool>* stop = nullptr;
};

// Counts, for tests and the summary line.
struct DetectStats {
  uint64_t ports = 0;
  uint64_t identified = 0;  // a hard match
  uint64_t connections = 0;
  uint64_t tls_handshakes = 0;  // that succeeded
  uint64_t probes_sent = 0;
};

class Detector {
 public:
  // `db` must outlive the detector. `on_done` gets each port's record (the one given to Add()
  // with the detection fields filled in) from the event-loop threads, never two at once.
  // kInternal when the event loops cannot start (epoll, eventfd, OpenSSL). Sets SIGPIPE to
  // ignored (OpenSSL writes with write()).
  static Result<std::unique_ptr<Detector>> Start(const ProbeDb& db, const DetectOptions& options,
                                                 std::function<void(ScanRecord)> on_done);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Queues an open port (record.ip, .proto, .port; the rest is kept). Thread-safe.
  void Add(ScanRecord record);
  // Waits until every port added has been reported; no Add() after this.
  DetectStats Finish();

 private:
  struct Impl;
  explicit Detector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs a Detector over `ports` and returns their records in the order given.
Result<std::vector<ScanRecord>> DetectServices(const ProbeDb& db, std::vector<ScanRecord> ports,
                                               const DetectOptions& options,
                                               DetectStats* stats = nullptr);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_DETECT_DETECTOR_H_
