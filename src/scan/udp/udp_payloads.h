// UdpPayloads: what a UDP port scan sends to each port. An empty datagram draws no reply from
// most services, so for well-known ports the probe carries a request the service answers (a DNS
// query to 53, an NTP client packet to 123, ...). The payloads come from a small built-in set
// and, when present, from nmap's payload database (Debian: /usr/share/nmap/nmap-payloads).
//
// nmap-payloads, as nmap 7.x reads it:
//
//   # comment (to the end of the line, anywhere)
//   udp 7,9-11 "C string" "continued"     protocol, port list (ranges allowed), payload strings
//     "more on the next lines"            strings continue until the next entry or keyword
//   source 500                            a keyword ends the entry; its line is ignored
//
// Strings are double-quoted, on one line, with C escapes: \xHH, octal \0 to \377, \a \b \f \n
// \r \t \v, and a backslash before any other punctuation for that character (\\ \" \'). Several
// entries may name one port; its payloads are sent in file order (at most 255 per port).
//
// A malformed entry (bad escape, unterminated string, bad port list, a line past 1024
// characters, no payload string, more than 65507 bytes) is skipped with a warning naming its
// line; parsing resumes at the next "udp". Only a file over 16 MiB is refused as a whole.
//
// Immutable once built; const methods are safe from any number of threads.
#ifndef PORTATLAS_SCAN_UDP_UDP_PAYLOADS_H_
#define PORTATLAS_SCAN_UDP_UDP_PAYLOADS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace portatlas::scan {

class UdpPayloads {
 public:
  static constexpr size_t kMaxFileBytes = size_t{16} << 20;
  static constexpr size_t kMaxLineLength = 1024;  // characters, as nmap documents
  static constexpr size_t kMaxPayloadsPerPort = 255;
  static constexpr size_t kMaxPayloadBytes = 65507;  // the most an IPv4 UDP datagram carries
  // Bound on the payload bytes one table stores (entries beyond it are skipped with a warning).
  static constexpr size_t kMaxStoredBytes = size_t{64} << 20;
  static constexpr size_t kMaxWarnings = 100;  // further ones are counted in a last warning

  // No payloads: every port gets one empty datagram.
  UdpPayloads();

  // The built-in payloads: DNS (53, a version.bind TXT CH query), NTP (123, an NTPv4 client
  // request), NetBIOS (137, a node status query), SNMP (161, an SNMPv1 get-request for sysDescr
  // with community "public"), mDNS (5353, a DNS-SD service enumeration).
  static UdpPayloads BuiltIn();

  // Parses nmap-payloads text. Malformed entries become warnings(); kInvalidArgument only for
  // text over kMaxFileBytes.
  static Result<UdpPayloads> FromNmapPayloads(std::string_view text);

  // The built-ins plus the nmap-payloads file at `path`: a port the file names gets the file's
  // payloads, any other port the built-ins'. A file that cannot be read or is refused leaves the
  // built-ins alone, with a warning. Warnings name `path`.
  static UdpPayloads Load(const std::string& path);

  // The datagrams to send to `port`, in order: at least one; one empty payload when there are
  // none. The span stays valid as long as this object.
  std::span<const std::vector<uint8_t>> ForPort(uint16_t port) const;
  // True when `port` has payloads (ForPort would not return the lone empty one).
  bool HasPayloads(uint16_t port) const { return set_of_port_[port] != kNoSet; }

  // "line 12: unterminated string; entry skipped", ... in the order met.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  using PayloadSet = std::vector<std::vector<uint8_t>>;
  static constexpr uint32_t kNoSet = UINT32_MAX;

  // Appends `payload` to every port of `ports`; false (with the reason in *why) when a port is
  // full or the table would outgrow kMaxStoredBytes, and then nothing changes.
  bool Add(std::span<const uint16_t> ports, const std::vector<uint8_t>& payload, std::string* why);
  // Gives every port without payloads the payloads `fallback` has for it.
  void Fill(const UdpPayloads& fallback);
  // Drops sets no port uses any more.
  void Compact();
  void Warn(std::string warning);
  size_t SetBytes(uint32_t set) const;

  // Ports share payload sets: a port range names one set, not thousands of copies.
  std::vector<PayloadSet> sets_;
  std::vector<uint32_t> set_of_port_;  // 65536 entries, kNoSet when none
  size_t stored_bytes_ = 0;
  std::vector<std::string> warnings_;
  size_t unreported_warnings_ = 0;
};

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_UDP_UDP_PAYLOADS_H_
