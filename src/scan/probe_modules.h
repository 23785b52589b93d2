// Probe modules of the raw engine (zmap's idea): what one kind of probe sends, what the receive
// filter lets in, and how a reply is judged. The engine knows only this interface; a kind is
// one entry of the table in probe_modules.cc.
//
// Cookies: a probe's source port and (TCP) sequence number are derived from a keyed hash of its
// destination (CookieHasher), so a reply is ours only when it echoes them.
#ifndef PORTATLAS_SCAN_PROBE_MODULES_H_
#define PORTATLAS_SCAN_PROBE_MODULES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/types.h"
#include "scan/connect_scanner.h"
#include "scan/packet.h"

namespace portatlas::scan {

enum class RawMode : uint8_t { kSyn, kUdp };

// The source port and the sequence number a probe with this cookie carries.
uint16_t SportOf(uint64_t cookie);
uint32_t SeqOf(uint64_t cookie);

struct ProbeVerdict {
  PortState state = PortState::kOpen;
  const char* reason = "";
  bool send_rst = false;  // tear the half-open connection down
};

struct ProbeModule {
  RawMode mode;
  Proto proto;
  size_t max_frame;        // the longest frame build() writes
  const char* bpf_protos;  // the protocols of replies, in tcpdump syntax
  PortState unanswered;    // a probe that got no reply after every round
  // Whether an ICMP port unreachable says closed (UDP) rather than filtered.
  bool port_unreach_is_closed;
  // Writes the probe to (dst, port) with this cookie into `out` (at least max_frame bytes);
  // returns its length. `payload` is for UDP and may be empty.
  size_t (*build)(const FrameTemplate& t, const IpAddr& dst, uint16_t port, uint64_t cookie,
                  std::span<const uint8_t> payload, uint8_t* out);
  // A reply of this module's protocol from the probed address and port (r.sport), whose
  // r.dport already matched the cookie's source port: what it says, or nullopt when it does
  // not answer the probe.
  std::optional<ProbeVerdict> (*judge)(const Reply& r, uint64_t cookie);
  // An ICMP error quoting a probe of this protocol to (r.quoted_dst, r.dport): whether the
  // quoted header is the probe with this cookie.
  bool (*quote_matches)(const Reply& r, uint64_t cookie);
};

// The module of a mode (the table's entry).
const ProbeModule& ModuleFor(RawMode mode);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_PROBE_MODULES_H_
