#include "collect/proc_net.h"

#include <fmt/format.h>

#include <cstring>

#include "core/text.h"

namespace portatlas::collect {
namespace {

// "0100007F:1F90" -> address bytes and port.
Status ParseEndpoint(std::string_view text, Family family, IpAddr* addr, uint16_t* port) {
  const size_t words = family == Family::kIpv4 ? 1 : 4;
  const size_t colon = text.find(':');
  if (colon != words * 8 || text.size() != colon + 5) {
    return ParseError(fmt::format("bad endpoint '{}'", text));
  }
  addr->family = family;
  addr->bytes = {};
  for (size_t w = 0; w < words; ++w) {
    auto word = ParseHex(text.substr(w * 8, 8), UINT32_MAX);
    if (!word) return ParseError(fmt::format("bad address '{}'", text.substr(0, colon)));
    const auto v = static_cast<uint32_t>(*word);
    // The kernel printed the in-memory word in host order; copying it back restores the bytes.
    std::memcpy(addr->bytes.data() + w * 4, &v, 4);
  }
  auto p = ParseHex(text.substr(colon + 1), 0xffff);
  if (!p) return ParseError(fmt::format("bad port '{}'", text.substr(colon + 1)));
  *port = static_cast<uint16_t>(*p);
  return Status::Ok();
}

}  // namespace

Result<SocketEntry> ParseProcNetLine(std::string_view line, Proto proto, Family family) {
  const std::vector<std::string_view> f = SplitFields(line);
  // sl local rem st queues timers retrnsmt uid timeout inode
  if (f.size() < 10) return ParseError(fmt::format("truncated line ({} fields)", f.size()));
  if (f[0].empty() || f[0].back() != ':' || !ParseUint(f[0].substr(0, f[0].size() - 1))) {
    return ParseError(fmt::format("bad slot '{}'", f[0]));
  }
  SocketEntry e;
  e.proto = proto;
  PA_RETURN_IF_ERROR(ParseEndpoint(f[1], family, &e.addr, &e.port));
  IpAddr remote;
  uint16_t remote_port = 0;
  PA_RETURN_IF_ERROR(ParseEndpoint(f[2], family, &remote, &remote_port));
  auto st = ParseHex(f[3], 0xff);
  if (!st || f[3].size() != 2) return ParseError(fmt::format("bad state '{}'", f[3]));
  e.state = static_cast<uint8_t>(*st);
  auto uid = ParseUint(f[7], UINT32_MAX);
  if (!uid) return ParseError(fmt::format("bad uid '{}'", f[7]));
  e.uid = static_cast<uint32_t>(*uid);
  auto inode = ParseUint(f[9]);
  if (!inode) return ParseError(fmt::format("bad inode '{}'", f[9]));
  e.inode = *inode;
  return e;
}

ProcNetTable ParseProcNet(std::string_view content, Proto proto, Family family,
                          bool listening_only) {
  ProcNetTable table;
  int line_no = 0;
  ForEachLine(content, [&](std::string_view line) {
    ++line_no;
    if (line_no == 1 || Trim(line).empty()) return;  // header
    auto e = ParseProcNetLine(line, proto, family);
    if (!e) {
      if (table.bad_lines++ == 0) {
        table.first_error = fmt::format("line {}: {}", line_no, e.error().message());
      }
      return;
    }
    if (!listening_only || IsListening(*e)) table.entries.push_back(*e);
  });
  return table;
}

}  // namespace portatlas::collect
