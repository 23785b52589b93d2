#include "scan/detect/detector_refine.h"

#include <array>
#include <cctype>
#include <utility>

namespace portatlas::scan {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Digits and dots from the front of `s`: "10.11.6-MariaDB" -> "10.11.6".
std::string_view LeadingVersion(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) != 0 || s[n] == '.')) ++n;
  while (n > 0 && s[n - 1] == '.') --n;
  return s.substr(0, n);
}

void RefineMariaDb(ServiceMatch& m) {
  if (m.service != "mysql") return;
  std::string_view v = m.version;
  if (StartsWith(v, "5.5.5-")) v.remove_prefix(6);  // the replication-compatibility prefix
  const size_t at = v.find("-MariaDB");
  if (at == std::string_view::npos) return;
  const std::string_view number = LeadingVersion(v.substr(0, at));
  if (number.empty()) return;
  std::string_view rest = v.substr(at + 8);
  if (StartsWith(rest, "-")) rest.remove_prefix(1);
  m.product = "MariaDB";
  const std::string info(rest);
  m.version = std::string(number);
  if (!info.empty()) m.info = m.info.empty() ? info : info + "; " + m.info;
  for (std::string& cpe : m.cpes) {
    if (StartsWith(cpe, "cpe:/a:mysql:mysql")) cpe = "cpe:/a:mariadb:mariadb:" + m.version;
  }
}

void RefineSamba(ServiceMatch& m, uint16_t port, bool tcp) {
  if (!tcp) return;
  if (m.service == "netbios-ssn" || m.service == "microsoft-ds") {
    m.service = port == 139 ? "netbios-ssn" : "microsoft-ds";
  }
  // nmap-service-probes: the SMBProgNeg reply of a Samba that refuses SMB1 carries no version,
  // yet the line says v/4.6.2/ (and cpe ...:4.6.2).
  if (m.product == "Samba smbd" && m.version == "4.6.2" && m.probe == "SMBProgNeg") {
    m.version.clear();
    m.info = m.info.empty() ? "SMB1 refused; version not disclosed"
                            : m.info + "; SMB1 refused; version not disclosed";
    for (std::string& cpe : m.cpes) {
      if (StartsWith(cpe, "cpe:/a:samba:samba")) cpe = "cpe:/a:samba:samba";
    }
  }
}

// chrony serving its own clock (the `local` directive) gives the reference ID 127.127.1.1 at
// the stratum it is told; ntpd's local clock driver says "LOCL". nmap names neither, and puts
// the NTP protocol version ("v4") where the daemon's version goes.
void RefineNtp(ServiceMatch& m, std::span<const uint8_t> reply) {
  if (m.service != "ntp" || m.product != "NTP") return;
  const std::string protocol = m.version;
  if (reply.size() >= 48 && reply[12] == 0x7f && reply[13] == 0x7f && reply[14] == 0x01 &&
      reply[15] == 0x01 && (reply[0] & 0x07) == 4) {
    m.product = "chrony";
    m.cpes = {"cpe:/a:tuxfamily:chrony"};
    m.info = m.info.empty() ? "local reference" : m.info + "; local reference";
  }
  if (!protocol.empty()) {
    m.version.clear();
    m.info = "NTP " + protocol + (m.info.empty() ? "" : "; " + m.info);
  }
}

}  // namespace

std::string TlsServiceName(std::string_view service) {
  if (StartsWith(service, "ssl/")) service.remove_prefix(4);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kNames{{
      {"http", "https"},
      {"imap", "imaps"},
      {"pop3", "pop3s"},
      {"smtp", "smtps"},
      {"ftp", "ftps"},
      {"ldap", "ldaps"},
      {"nntp", "nntps"},
      {"irc", "ircs"},
      {"telnet", "telnets"},
  }};
  for (const auto& [plain, secure] : kNames) {
    if (service == plain) return std::string(secure);
  }
  if (service.empty() || service == "ssl" || service == "https" || service == "imaps" ||
      service == "pop3s" || service == "smtps" || service == "ftps" || service == "ldaps") {
    return service.empty() ? "ssl" : std::string(service);
  }
  return "ssl/" + std::string(service);
}

void Refine(ServiceMatch& m, uint16_t port, bool tcp, std::span<const uint8_t> reply) {
  RefineMariaDb(m);
  RefineSamba(m, port, tcp);
  if (!tcp) RefineNtp(m, reply);
}

}  // namespace portatlas::scan
