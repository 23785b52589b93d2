// ServerUrl: where a client of ours (the agent, the scan uploader, import) sends its requests,
// parsed strictly from `--server`.
//
// Accepted: http://HOST[:PORT][/PREFIX] where HOST is a DNS name, a dotted IPv4 address or a
// bracketed IPv6 address, PORT is 1-65535 (default 80) and PREFIX is a path of unreserved
// characters, "%XX" escapes and "/" (a reverse proxy's mount point; trailing slashes are
// dropped). Refused with a message naming the problem: other schemes (https included: no client
// speaks TLS yet, TODO(#16)), credentials ("user@"), queries, fragments, "." or ".." segments,
// bad ports and malformed hosts.
#ifndef PORTATLAS_NET_SERVER_URL_H_
#define PORTATLAS_NET_SERVER_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace portatlas::net {

struct ServerUrl {
  std::string host;  // lower-case name or address literal (IPv6 without brackets)
  uint16_t port = 80;
  std::string prefix;  // "" or "/a/b", no trailing slash

  // The Host header: host (bracketed when IPv6) plus ":port" unless the port is 80.
  std::string HostHeader() const;
  // The request target of an API path such as "/v1/ingest/ports": prefix + path.
  std::string Target(std::string_view path) const { return prefix + std::string(path); }
  // Canonical text, e.g. "http://[::1]:8080/pa".
  std::string ToString() const;

  friend bool operator==(const ServerUrl&, const ServerUrl&) = default;
};

// Parses `text` as above; InvalidArgument with the reason otherwise.
Result<ServerUrl> ParseServerUrl(std::string_view text);

}  // namespace portatlas::net

#endif  // PORTATLAS_NET_SERVER_URL_H_
