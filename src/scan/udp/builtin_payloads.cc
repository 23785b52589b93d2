#include "scan/udp/builtin_payloads.h"

#include <algorithm>
#include <initializer_list>

#include "core/check.h"

namespace portatlas::scan {
namespace {

using Bytes = std::vector<uint8_t>;

void Put16(Bytes* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v & 0xFF));
}

// BER: tag, definite length (short form below 128, else long form), value.
Bytes Tlv(uint8_t tag, const Bytes& value) {
  Bytes out{tag};
  const size_t n = value.size();
  PA_CHECK(n <= 0xFFFF);
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xFF) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(0x82);
    Put16(&out, static_cast<uint16_t>(n));
  }
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// The shortest two's-complement big-endian form, as BER wants INTEGER contents.
Bytes BerInteger(int32_t v) {
  Bytes out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>((static_cast<uint32_t>(v) >> shift) & 0xFF));
  }
  while (out.size() > 1 &&
         ((out[0] == 0x00 && (out[1] & 0x80) == 0) || (out[0] == 0xFF && (out[1] & 0x80) != 0))) {
    out.erase(out.begin());
  }
  return Tlv(0x02, out);
}

// OBJECT IDENTIFIER contents: the first two arcs as 40*a+b, then each arc in base 128 with the
// high bit set on every byte but the last.
Bytes BerOid(std::span<const uint32_t> arcs) {
  PA_CHECK(arcs.size() >= 2 && arcs[0] <= 2 && (arcs[0] == 2 || arcs[1] < 40));
  Bytes out;
  auto put = [&](uint32_t arc) {
    uint8_t buf[5];
    int n = 0;
    do {
      buf[n++] = static_cast<uint8_t>(arc & 0x7F);
      arc >>= 7;
    } while (arc != 0);
    while (n > 0) {
      --n;
      out.push_back(static_cast<uint8_t>(buf[n] | (n > 0 ? 0x80 : 0x00)));
    }
  };
  put(arcs[0] * 40 + arcs[1]);
  for (size_t i = 2; i < arcs.size(); ++i) put(arcs[i]);
  return Tlv(0x06, out);
}

// NTPv4 client request (RFC 5905): LI 3 (clock not synchronized), version 4, mode 3 (client),
// all else zero but the transmit timestamp. The server echoes that as the origin timestamp of
// its reply; a fixed, recognizable value ("PATLAS\0\1") marks the reply as an answer to us.
Bytes NtpClientRequest() {
  Bytes out(48, 0);
  out[0] = (3 << 6) | (4 << 3) | 3;
  const uint8_t cookie[8] = {'P', 'A', 'T', 'L', 'A', 'S', 0, 1};
  std::copy(std::begin(cookie), std::end(cookie), out.begin() + 40);
  return out;
}

// NetBIOS node status request (RFC 1002 4.2.17) for the wildcard name "*": the reply lists the
// host's NetBIOS names, workgroup and MAC address.
Bytes NetbiosNodeStatus() {
  Bytes out;
  Put16(&out, 0x5041);  // transaction id
  Put16(&out, 0x0000);  // flags: query, not broadcast
  Put16(&out, 1);       // questions
  Put16(&out, 0);
  Put16(&out, 0);
  Put16(&out, 0);
  // "*" padded with NULs to 16 bytes, each half-byte as 'A' + nibble: "CK" then 30 'A'.
  out.push_back(32);
  out.push_back('C');
  out.push_back('K');
  out.insert(out.end(), 30, 'A');
  out.push_back(0);
  Put16(&out, 0x0021);  // NBSTAT
  Put16(&out, 0x0001);  // IN
  return out;
}

Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace

std::vector<uint8_t> DnsQuery(uint16_t id, std::string_view qname, uint16_t qtype,
                              uint16_t qclass) {
  Bytes out;
  Put16(&out, id);
  Put16(&out, 0x0000);  // standard query, no recursion wanted
  Put16(&out, 1);       // QDCOUNT
  Put16(&out, 0);
  Put16(&out, 0);
  Put16(&out, 0);
  while (!qname.empty()) {
    const size_t dot = qname.find('.');
    const std::string_view label = qname.substr(0, dot);
    PA_CHECK(!label.empty() && label.size() < 64) << qname;
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    qname = dot == std::string_view::npos ? std::string_view() : qname.substr(dot + 1);
  }
  out.push_back(0);
  Put16(&out, qtype);
  Put16(&out, qclass);
  return out;
}

std::vector<uint8_t> SnmpV1Get(std::string_view community, int32_t request_id,
                               std::span<const uint32_t> oid) {
  const Bytes varbind = Tlv(0x30, Concat({BerOid(oid), Tlv(0x05, {})}));
  const Bytes pdu = Tlv(0xA0, Concat({BerInteger(request_id), BerInteger(0) /* error-status */,
                                      BerInteger(0) /* error-index */, Tlv(0x30, varbind)}));
  return Tlv(0x30, Concat({BerInteger(0) /* version-1 */, Tlv(0x04, Text(community)), pdu}));
}

const std::vector<BuiltinPayload>& BuiltinPayloads() {
  static const std::vector<BuiltinPayload> kPayloads = [] {
    constexpr uint32_t kSysDescr[] = {1, 3, 6, 1, 2, 1, 1, 1, 0};
    std::vector<BuiltinPayload> v = {
        {53, "dns-version-bind", DnsQuery(0x5041, "version.bind", 16 /* TXT */, 3 /* CH */)},
        {123, "ntp-client", NtpClientRequest()},
        {137, "netbios-node-status", NetbiosNodeStatus()},
        {161, "snmpv1-get-sysdescr", SnmpV1Get("public", 0x5041, kSysDescr)},
        // Sent from a port other than 5353, this is a "legacy unicast" query (RFC 6762 6.7),
        // answered by unicast to the sender.
        {5353, "mdns-service-enumeration",
         DnsQuery(0x0000, "_services._dns-sd._udp.local", 12 /* PTR */, 1 /* IN */)},
    };
    return v;
  }();
  return kPayloads;
}

}  // namespace portatlas::scan
