// ServerUrl: where the agent reports, parsed strictly from `--server`.
//
// Accepted: http://HOST[:PORT][/PREFIX] where HOST is a DNS name, a dotted IPv4 address or a
// bracketed IPv6 address, PORT is 1-65535 (default 80) and PREFIX is a path of unreserved
// characters, "%XX" escapes and "/" (a reverse proxy's mount point; trailing slashes are
// dropped). Refused with a message naming the problem: other schemes (https included: the agent
// does not speak TLS yet), credentials ("user@"), queries, fragments, "." or ".." segments,
// bad ports and malformed hosts.
#ifndef PORTATLAS_AGENT_SERVER_URL_H_
#define PORTATLAS_AGENT_SERVER_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace portatlas::agent {

struct ServerUrl {
  std::string host;  // lower-case name or address literal (IPv6 without brackets)
  uint16_t port = 80;
  std::string prefix;  // "" or "/a/b", no trailing slash

  // The Host header: host (bracketed when IPv6) plus ":port" unless the port is 80.
  std::string HostHeader() const;
  // The request target of the ingest API: prefix + "/v1/ingest/ports".
  std::string IngestTarget() const { return prefix + "/v1/ingest/ports"; }
  // Canonical text, e.g. "http://[::1]:8080/pa".
  std::string ToString() const;

  friend bool operator==(const ServerUrl&, const ServerUrl&) = default;
};

// Parses `text` as above; InvalidArgument with the reason otherwise.
Result<ServerUrl> ParseServerUrl(std::string_view text);

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_SERVER_URL_H_
