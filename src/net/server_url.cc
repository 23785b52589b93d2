#include "net/server_url.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/text.h"
#include "core/types.h"

namespace portatlas::net {
namespace {

constexpr size_t kMaxUrlLength = 2048;
constexpr std::string_view kUsage = "expected http://HOST[:PORT][/PREFIX]";

bool IsUnreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

bool IsDnsName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.back() == '.') host.remove_suffix(1);  // a fully qualified "example.com."
  size_t start = 0;
  while (start <= host.size()) {
    size_t end = host.find('.', start);
    if (end == std::string_view::npos) end = host.size();
    const std::string_view label = host.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-') return false;
    }
    start = end + 1;
  }
  // "1.2.3" or "010.1.1.1" would be read as IPv4 by the resolver in surprising ways.
  const bool numeric = std::all_of(host.begin(), host.end(), [](char c) {
    return c == '.' || std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
  return !numeric;
}

Status ParseHostPort(std::string_view authority, ServerUrl* url) {
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("unterminated '[' in host");
    host = authority.substr(1, close - 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return InvalidArgument("junk after ']'");
    has_port = !rest.empty();
    if (has_port) port = rest.substr(1);
    const auto addr = ParseIpAddr(host);
    if (!addr || addr->family != Family::kIpv6) {
      return InvalidArgument(fmt::format("bad IPv6 address [{}]", host));
    }
    url->host = addr->ToString();
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    has_port = colon != std::string_view::npos;
    if (has_port) port = authority.substr(colon + 1);
    if (host.empty()) return InvalidArgument("empty host");
    const auto addr = ParseIpAddr(host);
    if (!(addr && addr->family == Family::kIpv4) && !IsDnsName(host)) {
      return InvalidArgument(fmt::format("bad host '{}' (IPv6 addresses go in brackets)", host));
    }
    url->host.assign(host);
    for (char& c : url->host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (has_port) {
    const auto n = ParseUint(port, 65535);
    if (!n || *n == 0) return InvalidArgument(fmt::format("bad port '{}'", port));
    url->port = static_cast<uint16_t>(*n);
  }
  return Status::Ok();
}

Status ParsePrefix(std::string_view path, ServerUrl* url) {
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '%') {
      if (!IsHexOfLength(path.substr(i + 1, 2), 2)) return InvalidArgument("bad %-escape in path");
      i += 2;
    } else if (c != '/' && !IsUnreserved(c)) {
      return InvalidArgument(fmt::format("character '{}' not allowed in the path",
                                         std::isprint(static_cast<unsigned char>(c)) != 0
                                             ? std::string(1, c)
                                             : fmt::format("\\x{:02x}", c & 0xff)));
    }
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start + 1);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start + 1, end - start - 1);
    if (segment == "." || segment == "..") return InvalidArgument("'.' or '..' in the path");
    if (segment.empty()) return InvalidArgument("empty segment ('//') in the path");
    start = end;
  }
  url->prefix.assign(path);
  return Status::Ok();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string ServerUrl::HostHeader() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string h = v6 ? fmt::format("[{}]", host) : host;
  if (port != 80) h += fmt::format(":{}", port);
  return h;
}

std::string ServerUrl::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("http://{}:{}{}", v6 ? fmt::format("[{}]", host) : host, port, prefix);
}

Result<ServerUrl> ParseServerUrl(std::string_view text) {
  auto fail = [&](const Status& why) {
    return InvalidArgument(fmt::format("bad server URL: {}; {}", why.message(), kUsage));
  };
  if (text.size() > kMaxUrlLength) return fail(InvalidArgument("longer than 2048 bytes"));
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos) return fail(InvalidArgument("no scheme"));
  const std::string scheme = Lower(text.substr(0, sep));
  if (scheme == "https") {
    return InvalidArgument(
        "https:// is not supported by the agent yet: use http:// on a trusted network, or "
        "reach the server through a TLS tunnel bound to a local port");
  }
  if (scheme != "http") return fail(InvalidArgument(fmt::format("scheme '{}'", scheme)));
  std::string_view rest = text.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return fail(InvalidArgument("queries and fragments are not allowed"));
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return fail(InvalidArgument("credentials in the URL are not supported (use --token)"));
  }
  ServerUrl url;
  if (Status s = ParseHostPort(authority, &url); !s.ok()) return fail(s);
  if (slash != std::string_view::npos) {
    if (Status s = ParsePrefix(rest.substr(slash), &url); !s.ok()) return fail(s);
  }
  return url;
}

}  // namespace portatlas::net
